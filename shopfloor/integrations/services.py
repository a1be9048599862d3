"""Every write of integrations: webhook subscriptions, their deliveries, signing and sending.

The flow, and why it is shaped so:
- A domain event commits with the service that emitted it (core's outbox). Its handler
  (`handlers.fan_out`) only *records* one `WebhookDelivery` per matching active subscription
  and, after that commit, schedules the send (`tasks.schedule`). No HTTP call ever happens in
  a transaction or inside the request that emitted the event: with a broker a worker sends it;
  without one (eager Celery) a small in-process thread pool does, so a slow or dead receiver
  never slows a request.
- `deliver()` first *claims* the delivery with a conditional UPDATE (a lease on
  `next_attempt_at`), so the worker, its retry and the periodic sweep never send one delivery
  twice at the same time; then it sends with a short timeout outside any transaction; then it
  records the outcome, schedules the next attempt with exponential back-off, and disables a
  subscription that keeps failing.
- Receivers get each event at least once: they deduplicate by the event id header.
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import http.client
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from shopfloor.core import access, audit, events, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Membership, OutboxEvent

from .models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
TEST_EVENT = "integrations.webhook.test"
USER_AGENT = "Shopfloor-Webhooks/1"
BODY_EXCERPT_BYTES = 2048
EDITABLE_FIELDS = ("name", "url", "event_types", "is_active", "owner")
MAX_BACKOFF_SECONDS = 6 * 3600
_PATTERN_RE = re.compile(r"^[a-z0-9_*.\-]+$")

Status = WebhookDelivery.Status
OPEN_STATUSES = (Status.PENDING, Status.FAILED)


# --- Settings (read at call time so tests and operators can change them) -------------------------


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 5))


def max_attempts() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8))


def disable_after() -> int:
    return int(getattr(settings, "WEBHOOK_DISABLE_AFTER", 10))


def backoff_seconds(attempts: int) -> float:
    """Wait after the `attempts`-th failed attempt: 30 s, 2 min, 8 min, 32 min, ... capped at 6 h
    (the base is `WEBHOOK_BACKOFF_SECONDS`)."""
    base = float(getattr(settings, "WEBHOOK_BACKOFF_SECONDS", 30))
    return min(base * 4 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


# --- Validation helpers --------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def clean_event_types(value: Any) -> list[str]:
    """A non-empty list of event-type patterns: `core.plant.created`, `workflows.*`, `*`."""
    if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
        raise ValidationError({"event_types": ['Give a list of event types or patterns, e.g. ["workflows.*"].']})
    cleaned = sorted({p.strip() for p in value})
    bad = [p for p in cleaned if not p or len(p) > 120 or not _PATTERN_RE.match(p)]
    if bad:
        raise ValidationError(
            {
                "event_types": [
                    f"'{p[:120]}' is not an event type pattern (lower-case, digits, '.', '_', '-', '*')." for p in bad
                ]
            }
        )
    return cleaned


def matches(subscription: WebhookSubscription, event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in subscription.event_types or [])


def _snapshot(subscription: WebhookSubscription) -> dict[str, Any]:
    """What the audit trail keeps: everything but the secret (the trail is readable via the API)."""
    state = audit.snapshot(subscription)
    state.pop("secret", None)
    return state


def _full_clean(obj: WebhookSubscription) -> None:
    try:
        obj.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.error_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}) from None


def _check_data(data: dict[str, Any], existing: WebhookSubscription | None = None) -> dict[str, Any]:
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: ["This field cannot be set."] for name in unknown})
    data = dict(data)
    if "event_types" in data or existing is None:
        data["event_types"] = clean_event_types(data.get("event_types"))
    owner = data.get("owner")
    if owner is not None and not Membership.objects.filter(user=owner, is_active=True).exists():
        raise ValidationError({"owner": ["The owner must be an active member of the organization."]})
    name = data.get("name")
    if name is not None:
        clash = WebhookSubscription.objects.filter(name=name)
        if existing is not None:
            clash = clash.exclude(pk=existing.pk)
        if clash.exists():
            raise ValidationError({"name": ["A webhook with this name already exists."]})
    return data


def _save(obj: WebhookSubscription, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        raise Conflict("This clashes with an existing webhook (a concurrent change?).") from exc


# --- Subscriptions -------------------------------------------------------------------------------


@transaction.atomic
def create_subscription(*, actor: Any, data: dict[str, Any]) -> tuple[WebhookSubscription, str]:
    """Create a subscription with a fresh secret; returns it with the secret, shown this once."""
    access.require(actor, "integrations.add_webhooksubscription")
    data = _check_data(data)
    if data.get("owner") is None and getattr(actor, "is_authenticated", False):
        data["owner"] = actor
    secret = new_secret()
    subscription = WebhookSubscription(
        **data,
        secret=secret,
        organization=tenancy.require_organization(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _full_clean(subscription)
    _save(subscription)
    audit.record(actor, subscription, action="create", changes=audit.diff({}, _snapshot(subscription)))
    events.emit("integrations.webhooksubscription.created", {"id": subscription.pk})
    return subscription, secret


@transaction.atomic
def update_subscription(*, actor: Any, subscription: WebhookSubscription, data: dict[str, Any]) -> WebhookSubscription:
    """Change name, URL, event types, owner or active flag. Re-activating clears the failure count."""
    access.require(actor, "integrations.change_webhooksubscription")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    data = _check_data(data, existing=subscription)
    before = _snapshot(subscription)
    for name, value in data.items():
        setattr(subscription, name, value)
    if data.get("is_active") is True and before["is_active"] is False:
        _clear_failures(subscription)
    _full_clean(subscription)
    _save(subscription)
    changes = audit.diff(before, _snapshot(subscription))
    if changes:
        audit.record(actor, subscription, action="update", changes=changes)
        events.emit("integrations.webhooksubscription.updated", {"id": subscription.pk, "fields": sorted(changes)})
    return subscription


@transaction.atomic
def delete_subscription(*, actor: Any, subscription: WebhookSubscription) -> None:
    """Delete a subscription and its delivery log (operational data; the audit keeps the record)."""
    access.require(actor, "integrations.delete_webhooksubscription")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    before = _snapshot(subscription)
    pk, text = subscription.pk, str(subscription)
    subscription.delete()
    audit.record(
        actor,
        None,
        action="delete",
        changes=audit.diff(before, {}),
        object_type=audit.object_type_of(WebhookSubscription),
        object_id=str(pk),
        object_repr=text,
    )
    events.emit("integrations.webhooksubscription.deleted", {"id": pk})


@transaction.atomic
def rotate_secret(*, actor: Any, subscription: WebhookSubscription) -> tuple[WebhookSubscription, str]:
    """Replace the signing secret at once (the old one stops verifying); returns the new one, shown once."""
    access.require(actor, "integrations.change_webhooksubscription")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    secret = new_secret()
    subscription.secret = secret
    subscription.save(update_fields=["secret", "updated_at"])
    audit.record(actor, subscription, action="update", changes={"secret": ["(hidden)", "(rotated)"]})
    return subscription, secret


def _clear_failures(subscription: WebhookSubscription) -> None:
    subscription.consecutive_failures = 0
    subscription.disabled_at = None
    subscription.disabled_reason = ""


@transaction.atomic
def enable(*, actor: Any, subscription: WebhookSubscription) -> WebhookSubscription:
    """Turn a (disabled) subscription back on with a clean failure count. Abandoned deliveries
    stay abandoned: resend the ones that matter with `redeliver`."""
    access.require(actor, "integrations.change_webhooksubscription")
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    before = _snapshot(subscription)
    subscription.is_active = True
    _clear_failures(subscription)
    subscription.save(
        update_fields=["is_active", "consecutive_failures", "disabled_at", "disabled_reason", "updated_at"]
    )
    changes = audit.diff(before, _snapshot(subscription))
    if changes:
        audit.record(actor, subscription, action="update", changes=changes, reason="Enabled")
        events.emit("integrations.webhooksubscription.enabled", {"id": subscription.pk})
    return subscription


@transaction.atomic
def send_test(*, actor: Any, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a ping (`integrations.webhook.test`) to this subscription only, even a disabled one,
    so an administrator can check the receiver before enabling it again."""
    access.require(actor, "integrations.change_webhooksubscription")
    event = events.emit(TEST_EVENT, {"subscription": subscription.pk, "name": subscription.name})
    delivery = WebhookDelivery.objects.create(
        organization=tenancy.require_organization(),
        subscription=subscription,
        event=event,
        event_type=TEST_EVENT,
        next_attempt_at=timezone.now(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(actor, subscription, action="action", reason="Sent a test delivery", changes={})
    _schedule_on_commit(delivery.pk)
    return delivery


@transaction.atomic
def redeliver(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, whatever its status; the receiver deduplicates by event id."""
    access.require(actor, "integrations.change_webhookdelivery")
    delivery = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if not delivery.subscription.is_active and delivery.event_type != TEST_EVENT:
        raise Conflict("The webhook is disabled; enable it first.")
    before = {"status": delivery.status, "next_attempt_at": delivery.next_attempt_at}
    delivery.status = Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])
    audit.record(
        actor,
        delivery,
        action="action",
        reason="Redeliver",
        changes=audit.diff(before, {"status": delivery.status, "next_attempt_at": delivery.next_attempt_at}),
    )
    _schedule_on_commit(delivery.pk)
    return delivery


# --- Fan-out: an event becomes deliveries ---------------------------------------------------------


def fan_out(event: OutboxEvent) -> list[WebhookDelivery]:
    """Record a delivery of `event` for each active subscription of its organization that wants it.

    Runs in the event's organization (core's dispatcher sets it) inside the handler's
    transaction. Idempotent: (subscription, event) is unique, and only new rows are scheduled.
    """
    if event.organization_id is None or event.event_type == TEST_EVENT:
        return []
    created: list[WebhookDelivery] = []
    for subscription in WebhookSubscription.objects.filter(is_active=True).only("id", "event_types"):
        if not matches(subscription, event.event_type):
            continue
        delivery, new = WebhookDelivery.objects.get_or_create(
            subscription=subscription,
            event=event,
            defaults={
                "organization_id": event.organization_id,
                "event_type": event.event_type,
                "next_attempt_at": timezone.now(),
            },
        )
        if new:
            created.append(delivery)
            _schedule_on_commit(delivery.pk)
    return created


def _schedule_on_commit(delivery_id: int) -> None:
    def schedule() -> None:
        from . import tasks  # tasks import services; the import is deferred to run time

        tasks.schedule(delivery_id)

    transaction.on_commit(schedule)


# --- Sending -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    ms: int | None = None
    body: str = ""
    error: str = ""


def body_for(delivery: WebhookDelivery) -> bytes:
    """The JSON document a receiver gets: the event id, type, organization, time and payload."""
    event = delivery.event
    document = {
        "id": str(event.pk),
        "type": event.event_type,
        "organization": delivery.organization.slug,
        "occurred_at": event.created_at.astimezone(UTC).isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True, default=str).encode()


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: binds the body to the time it was sent,
    so a receiver that refuses old timestamps also refuses replays."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers_for(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Shopfloor-Event": delivery.event_type,
        "X-Shopfloor-Event-Id": str(delivery.event_id),
        "X-Shopfloor-Delivery": str(delivery.pk),
        "X-Shopfloor-Timestamp": str(timestamp),
        "X-Shopfloor-Signature": signature(delivery.subscription.secret, timestamp, body),
    }


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST once with the standard library; redirects are not followed (a 3xx is a failure)."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    started = time.monotonic()
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(BODY_EXCERPT_BYTES)
        ms = int((time.monotonic() - started) * 1000)
        text = excerpt.decode("utf-8", errors="replace")
        ok = 200 <= response.status < 300
        return Outcome(ok=ok, status=response.status, ms=ms, body=text, error="" if ok else f"HTTP {response.status}")
    except (OSError, http.client.HTTPException) as exc:
        ms = int((time.monotonic() - started) * 1000)
        return Outcome(ok=False, ms=ms, error=f"{type(exc).__name__}: {exc}"[:1000])
    finally:
        connection.close()


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for one attempt: a conditional UPDATE, so concurrent senders never double-send.

    The lease (a later `next_attempt_at`) lets the sweep retry it if this sender dies mid-way.
    """
    lease = now + timedelta(seconds=timeout_seconds() * 2 + 30)
    return bool(
        WebhookDelivery.objects.unscoped()
        .filter(pk=delivery_id, status__in=OPEN_STATUSES)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=lease)
    )


def deliver(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt at a due delivery; None when it is not due or someone else is sending it.

    Never raises for a receiver's failure: the outcome is recorded and the next attempt
    scheduled. Platform code (no tenant in context): the organization comes from the row.
    """
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = (
        WebhookDelivery.objects.unscoped()
        .select_related("subscription", "event", "organization")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return None  # its subscription was deleted meanwhile
    with tenancy.use(delivery.organization):
        if not delivery.subscription.is_active and delivery.event_type != TEST_EVENT:
            return _abandon(delivery.pk, "The webhook was disabled before this delivery was sent.")
        body = body_for(delivery)
        outcome = post(
            delivery.subscription.url, body, headers_for(delivery, body, int(time.time())), timeout_seconds()
        )
        try:
            return _record(delivery.pk, delivery.subscription_id, outcome)
        except (WebhookSubscription.DoesNotExist, WebhookDelivery.DoesNotExist):
            return None  # deleted while the request was in flight: nothing left to record


@transaction.atomic
def _abandon(delivery_id: int, reason: str) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    delivery.status = Status.ABANDONED
    delivery.next_attempt_at = None
    delivery.error = reason
    delivery.save(update_fields=["status", "next_attempt_at", "error", "updated_at"])
    return delivery


@transaction.atomic
def _record(delivery_id: int, subscription_id: int, outcome: Outcome) -> WebhookDelivery:
    """Store one attempt's outcome, schedule the next, and disable a subscription that keeps failing."""
    now = timezone.now()
    # Subscription first, then delivery: the order every writer of both takes (no deadlock).
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = outcome.status
    delivery.response_ms = outcome.ms
    delivery.response_body = outcome.body[:BODY_EXCERPT_BYTES]
    counts = delivery.event_type != TEST_EVENT  # a ping says nothing about the event stream
    if outcome.ok:
        delivery.status = Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.error = ""
        if counts and subscription.consecutive_failures:
            subscription.consecutive_failures = 0
            subscription.save(update_fields=["consecutive_failures", "updated_at"])
    else:
        delivery.error = outcome.error
        if delivery.attempts >= max_attempts():
            delivery.status = Status.ABANDONED
            delivery.next_attempt_at = None
            delivery.error = f"{outcome.error} (gave up after {delivery.attempts} attempts)"
        else:
            delivery.status = Status.FAILED
            delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
        if counts:
            subscription.consecutive_failures += 1
            subscription.save(update_fields=["consecutive_failures", "updated_at"])
    delivery.save()
    if counts and not outcome.ok and subscription.is_active and subscription.consecutive_failures >= disable_after():
        disable_for_failures(subscription=subscription, last_error=outcome.error)
        delivery.refresh_from_db()
    return delivery


@transaction.atomic
def disable_for_failures(*, subscription: WebhookSubscription, last_error: str = "") -> WebhookSubscription:
    """Switch off a subscription whose receiver keeps failing, abandon what it still owes, and tell
    its owner. A system action (no actor): the platform decided, the audit trail says why."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not subscription.is_active:
        return subscription
    before = _snapshot(subscription)
    reason = f"{subscription.consecutive_failures} consecutive failed deliveries" + (
        f"; last: {last_error}" if last_error else ""
    )
    subscription.is_active = False
    subscription.disabled_at = timezone.now()
    subscription.disabled_reason = reason[:300]
    subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    WebhookDelivery.objects.filter(subscription=subscription, status__in=OPEN_STATUSES).exclude(
        event_type=TEST_EVENT
    ).update(
        status=Status.ABANDONED,
        next_attempt_at=None,
        error="The webhook was disabled after repeated failures.",
        updated_at=timezone.now(),
    )
    audit.record(
        None, subscription, action="update", changes=audit.diff(before, _snapshot(subscription)), reason=reason[:500]
    )
    events.emit("integrations.webhooksubscription.disabled", {"id": subscription.pk, "reason": reason[:300]})
    _notify_owner(subscription)
    return subscription


def _notify_owner(subscription: WebhookSubscription) -> None:
    if subscription.owner_id is None:
        return
    from django.urls import reverse

    from shopfloor.core import notifications

    notifications.notify(
        recipients=[subscription.owner],
        event_type="integrations.webhook.disabled",
        title=f"Webhook “{subscription.name}” was disabled",
        body=(
            f"Deliveries to {subscription.url} kept failing ({subscription.disabled_reason}). "
            "Fix the receiver, send a test, then enable the webhook again."
        ),
        url=reverse("integrations:webhook-detail", args=[subscription.pk]),
        obj=subscription,
    )


# --- The periodic sweep --------------------------------------------------------------------------


def due_deliveries(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose next attempt is due, oldest first, across organizations (platform code).

    Includes pending ones whose first send never happened (broker down, process restarted).
    """
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.unscoped()
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
