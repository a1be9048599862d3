"""Notifications: the one way code tells a person that something happened.

`notify()` is the public API. Other apps call it from their event handlers (never from a
request's hot path), inside the organization the event belongs to. Each recipient's
preferences decide whether a row lands in their inbox and whether an e-mail copy is sent;
the e-mail goes out only after the transaction commits, so a rolled-back change never
mails anyone about something that did not happen.

Preferences are per user and organization, by exact event type or by pattern
(`workflows.*`, `*`); the exact type wins over a pattern, a longer pattern over a shorter
one, and with none both channels are on.

The services below change a user's own notifications and preferences only: another user's
notification is "not found", never "forbidden", so ids of other people's inboxes leak nothing.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.http import Http404
from django.urls import NoReverseMatch
from django.utils import timezone

from . import access, services, tenancy
from .models import Membership, Notification, NotificationPreference, User

logger = logging.getLogger(__name__)

DEFAULT_IN_APP = True
DEFAULT_EMAIL = True

# --- Known event types (the rows of the preferences page) ------------------------------------

_EVENT_TYPES: dict[str, str] = {}


def register_event_type(event_type: str, label: str) -> str:
    """Declare a kind of notification so that users can switch it on or off by name."""
    _EVENT_TYPES[event_type] = label
    return event_type


def event_types() -> dict[str, str]:
    """Every registered notification type with its label, sorted by type."""
    return dict(sorted(_EVENT_TYPES.items()))


# --- Preferences ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Channels:
    in_app: bool = DEFAULT_IN_APP
    email: bool = DEFAULT_EMAIL


def _specificity(pattern: str) -> tuple[int, int]:
    # More literal characters = more specific; among equals, fewer wildcards wins.
    wildcards = sum(pattern.count(ch) for ch in "*?")
    return len(pattern) - wildcards, -wildcards


def channels_for(preferences: Iterable[NotificationPreference], event_type: str) -> Channels:
    """Which channels a user's preferences open for `event_type` (exact type, then best pattern)."""
    best: NotificationPreference | None = None
    for pref in preferences:
        if pref.event_type == event_type:
            return Channels(pref.in_app, pref.email)
        if fnmatch.fnmatchcase(event_type, pref.event_type) and (
            best is None or _specificity(pref.event_type) > _specificity(best.event_type)
        ):
            best = pref
    return Channels(best.in_app, best.email) if best is not None else Channels()


# --- Links ---------------------------------------------------------------------------------


def url_of(obj: models.Model | None) -> str:
    """The page of `obj`, or "" when it has none (yet): a missing page never stops a notification."""
    if obj is None:
        return ""
    getter = getattr(obj, "get_absolute_url", None)
    if getter is None:
        return ""
    try:
        return str(getter())
    except NoReverseMatch:
        return ""


def absolute_url(path: str) -> str:
    """A link usable from an e-mail client: the site's base URL in front of a path."""
    if not path or "://" in path:
        return path
    return getattr(settings, "SHOPFLOOR_BASE_URL", "").rstrip("/") + path


# --- notify() --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mail:
    notification_id: int | None
    to: str
    subject: str
    body: str


def _active_members(recipients: Iterable[Any], organization: Any) -> list[User]:
    """Active users with an active membership here, each once, in the order given."""
    wanted: list[int] = []
    for user in recipients:
        pk = getattr(user, "pk", user)
        if pk is not None and pk not in wanted:
            wanted.append(pk)
    if not wanted:
        return []
    members = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=Membership.objects.unscoped()
            .filter(organization=organization, is_active=True, user_id__in=wanted)
            .values("user_id"),
            is_active=True,
        )
    }
    return [members[pk] for pk in wanted if pk in members]


def notify(
    *,
    recipients: Iterable[Any],
    event_type: str,
    title: str,
    body: str = "",
    url: str = "",
    obj: models.Model | None = None,
) -> list[Notification]:
    """Tell `recipients` (users or user ids) about something, by inbox and/or e-mail.

    Runs in the organization in context. Users who are inactive or not active members of
    it are skipped silently: a handler should not have to know who left. Returns the inbox
    rows created (none for users who switched the inbox off for this type).
    """
    organization = tenancy.require_organization()
    users = _active_members(recipients, organization)
    if not users:
        return []
    preferences: dict[int, list[NotificationPreference]] = {}
    for pref in NotificationPreference.objects.filter(user__in=[u.pk for u in users]):
        preferences.setdefault(pref.user_id, []).append(pref)
    url = url or url_of(obj)
    object_type = obj._meta.label_lower if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    title = title[:200]
    created: list[Notification] = []
    mail_to: list[tuple[User, Notification | None]] = []
    with transaction.atomic():
        for user in users:
            channels = channels_for(preferences.get(user.pk, []), event_type)
            row = None
            if channels.in_app:
                row = Notification.objects.create(
                    organization=organization,
                    created_by=tenancy.current_user(),
                    recipient=user,
                    event_type=event_type,
                    title=title,
                    body=body[:5000],
                    url=url[:500],
                    object_type=object_type,
                    object_id=object_id,
                )
                created.append(row)
            if channels.email and user.email:
                mail_to.append((user, row))
        if mail_to:
            link = absolute_url(url)
            text = "\n\n".join(part for part in (body, link) if part)
            subject = " ".join(f"[{organization.name}] {title}".split())  # a header holds no line breaks
            mails = [_Mail(row.pk if row is not None else None, user.email, subject, text) for user, row in mail_to]
            transaction.on_commit(lambda: send_mails(mails))
    return created


def send_mails(mails: list[_Mail]) -> int:
    """Send e-mail copies through Django's mail backend and stamp `emailed_at` on what went out.

    Runs after commit; a mail server that is down is logged, never raised, because the
    change it reports has already been committed and the inbox row still tells the user.
    """
    sent_ids: list[int] = []
    sent = 0
    try:
        with get_connection() as connection:
            for mail in mails:
                message = EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to])
                try:
                    if connection.send_messages([message]):
                        sent += 1
                        if mail.notification_id is not None:
                            sent_ids.append(mail.notification_id)
                except Exception:
                    logger.warning("Could not e-mail a notification to %s", mail.to, exc_info=True)
    except Exception:
        logger.warning("Could not open the mail connection for notifications", exc_info=True)
    if sent_ids:
        Notification.objects.unscoped().filter(pk__in=sent_ids).update(emailed_at=timezone.now())
    return sent


# --- Services: a user's own inbox and preferences ------------------------------------------------


def own_notifications(user: Any) -> models.QuerySet[Notification]:
    """The user's inbox in the organization in context, newest first."""
    return Notification.objects.filter(recipient_id=getattr(user, "pk", None))


def inbox(user: Any) -> models.QuerySet[Notification]:
    """The user's inbox for reading: unread first, then newest first."""
    unread = models.ExpressionWrapper(models.Q(read_at__isnull=True), output_field=models.BooleanField())
    return own_notifications(user).order_by(unread.desc(), "-created_at", "-id")


def unread_count(user: Any) -> int:
    return own_notifications(user).filter(read_at__isnull=True).count()


def own_preferences(user: Any) -> models.QuerySet[NotificationPreference]:
    return NotificationPreference.objects.filter(user_id=getattr(user, "pk", None))


@transaction.atomic
def mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (idempotent; not audited: personal state)."""
    access.require(actor, "core.change_notification")
    row = own_notifications(actor).select_for_update().filter(pk=notification.pk).first()
    if row is None:
        raise Http404("No such notification.")
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at", "updated_at"])
    return row


@transaction.atomic
def mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    access.require(actor, "core.change_notification")
    now = timezone.now()
    return own_notifications(actor).filter(read_at__isnull=True).update(read_at=now, updated_at=now)


def _own_preference(actor: Any, preference: NotificationPreference) -> NotificationPreference:
    if preference.user_id != getattr(actor, "pk", None):
        raise Http404("No such notification preference.")
    return preference


def create_preference(*, actor: Any, data: dict[str, Any]) -> NotificationPreference:
    """Add a preference of the actor's own (audited: it decides what reaches them)."""
    return services.create_object(actor=actor, model=NotificationPreference, data={**data, "user": actor})


def update_preference(
    *, actor: Any, preference: NotificationPreference, data: dict[str, Any]
) -> NotificationPreference:
    data = {k: v for k, v in data.items() if k != "user"}
    return services.update_object(actor=actor, obj=_own_preference(actor, preference), data=data)


def delete_preference(*, actor: Any, preference: NotificationPreference) -> None:
    services.delete_object(actor=actor, obj=_own_preference(actor, preference))


@transaction.atomic
def set_preference(*, actor: Any, event_type: str, in_app: bool, email: bool) -> NotificationPreference:
    """Create or change the actor's preference for one event type (or pattern)."""
    existing = own_preferences(actor).filter(event_type=event_type).first()
    if existing is None:
        return create_preference(actor=actor, data={"event_type": event_type, "in_app": in_app, "email": email})
    if (existing.in_app, existing.email) == (in_app, email):
        return existing
    return update_preference(actor=actor, preference=existing, data={"in_app": in_app, "email": email})
