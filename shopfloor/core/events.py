"""Domain events through a transactional outbox.

`emit()` writes an `OutboxEvent` in the caller's transaction. After commit, `dispatch` is
queued on Celery (run inline when no broker is configured). A rolled-back transaction takes
its events with it, so nothing it emitted is ever handled. If the broker is down at commit
time the event stays undispatched and the periodic `sweep_outbox` task sends it again.

Handlers subscribe by pattern (`production.workorder.*`) and are idempotent per event: each
(event, handler) pair is recorded in `HandledEvent` in the handler's own transaction.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import tenancy
from .models import HandledEvent, OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]


@dataclass(frozen=True)
class Subscription:
    pattern: str
    handler: Handler
    name: str


_subscriptions: list[Subscription] = []


def subscribe(pattern: str, name: str | None = None) -> Callable[[Handler], Handler]:
    """Register a handler for event types matching `pattern`."""

    def decorator(func: Handler) -> Handler:
        handler_name = name or f"{func.__module__}.{func.__qualname__}"
        if not any(s.name == handler_name and s.pattern == pattern for s in _subscriptions):
            _subscriptions.append(Subscription(pattern, func, handler_name))
        return func

    return decorator


def unsubscribe(name: str) -> None:
    _subscriptions[:] = [s for s in _subscriptions if s.name != name]


def handlers_for(event_type: str) -> list[Subscription]:
    return [s for s in _subscriptions if fnmatch.fnmatchcase(event_type, s.pattern)]


def emit(event_type: str, payload: dict[str, Any] | None = None) -> OutboxEvent:
    """Record an event in the current transaction; it is dispatched only if that commits."""
    event = OutboxEvent.objects.create(
        organization=tenancy.current_organization(), event_type=event_type, payload=payload or {}
    )
    transaction.on_commit(lambda: enqueue(event.pk))
    return event


def enqueue(event_id: Any) -> None:
    """Hand the event to Celery. A broker failure is logged, never raised: the sweep re-sends."""
    from .tasks import dispatch_event

    try:
        dispatch_event.delay(str(event_id))
    except Exception:
        logger.warning("Could not queue event %s; the outbox sweep will re-send it.", event_id, exc_info=True)


def dispatch(event_id: Any) -> bool:
    """Run every matching handler once; mark the event dispatched when all succeeded."""
    event = OutboxEvent.objects.select_related("organization").filter(pk=event_id).first()
    if event is None or event.dispatched_at is not None:
        return True
    failures: list[str] = []
    with tenancy.use(event.organization):
        for sub in handlers_for(event.event_type):
            try:
                with transaction.atomic():
                    try:
                        with transaction.atomic():
                            HandledEvent.objects.create(event=event, handler=sub.name)
                    except IntegrityError:
                        continue  # this handler already processed the event
                    # An IntegrityError raised by the handler itself is a failure, not a duplicate.
                    sub.handler(event)
            except Exception as exc:
                logger.exception("Handler %s failed on event %s", sub.name, event.pk)
                failures.append(f"{sub.name}: {exc}")
    updates: dict[str, Any] = {"attempts": F("attempts") + 1, "last_error": "\n".join(failures)[:5000]}
    if not failures:
        updates["dispatched_at"] = timezone.now()
    OutboxEvent.objects.filter(pk=event.pk).update(**updates)
    return not failures


def pending(older_than_seconds: int = 30, limit: int = 500) -> list[Any]:
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
