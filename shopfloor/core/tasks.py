"""Celery tasks of core: thin, idempotent, calling services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import events


@shared_task(bind=True, max_retries=8, acks_late=True)
def dispatch_event(self, event_id: str) -> bool:
    """Deliver one outbox event to its handlers; retried with exponential back-off."""
    ok = events.dispatch(event_id)
    if not ok and not self.request.is_eager:
        raise self.retry(countdown=min(2**self.request.retries * 5, 3600))
    return ok


@shared_task
def sweep_outbox(older_than_seconds: int = 30) -> int:
    """Re-send events whose first delivery never happened (broker down at commit time)."""
    ids = events.pending(older_than_seconds=older_than_seconds)
    for event_id in ids:
        events.enqueue(event_id)
    return len(ids)


@shared_task
def purge_idempotency_keys() -> int:
    from .models import IdempotencyKey

    cutoff = timezone.now() - settings.SHOPFLOOR_IDEMPOTENCY_TTL
    deleted, _ = IdempotencyKey.objects.unscoped().filter(created_at__lt=cutoff).delete()
    return deleted
