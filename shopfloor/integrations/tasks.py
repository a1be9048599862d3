"""Celery tasks of integrations: send one webhook delivery, and retry the ones that are due.

`schedule()` is how a delivery leaves the transaction that recorded it:
- with a broker (production), `deliver_webhook` is queued for a worker; if the broker is
  down the delivery stays due and `retry_due_webhook_deliveries` (beat, every 30 s) sends it;
- without one (eager Celery: development, tests) running the task inline would make the
  request that emitted the event wait for the receiver, so a small pool of in-process
  background threads sends it instead. Those threads are best effort (a restart drops
  what they hold); the row stays due, and nothing is lost once a beat runs.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures

from celery import shared_task
from django.conf import settings
from django.db import connections
from django.utils import timezone

from . import services
from .models import WebhookDelivery

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_futures: set[Future] = set()


@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> str | None:
    """One attempt at one delivery; on a worker, a failed attempt is retried after its back-off.

    `next_attempt_at` holds the same schedule, so the periodic sweep retries it too if the
    broker loses the retry: whichever comes first claims it, the other finds nothing due.
    """
    delivery = services.deliver(int(delivery_id))
    if delivery is None:
        return None
    if delivery.status == WebhookDelivery.Status.FAILED and not self.request.is_eager:
        countdown = max(1, int((delivery.next_attempt_at - timezone.now()).total_seconds()))
        raise self.retry(countdown=countdown)
    return delivery.status


@shared_task
def retry_due_webhook_deliveries() -> int:
    """Send every delivery whose next attempt is due (retries, and first sends that never left)."""
    ids = services.due_deliveries()
    for delivery_id in ids:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:
            logger.warning("Could not queue webhook delivery %s; the next sweep retries.", delivery_id, exc_info=True)
            break
    return len(ids)


def schedule(delivery_id: int) -> None:
    """Hand a just-committed delivery to whoever sends it, never sending it in the caller."""
    if deliver_webhook.app.conf.task_always_eager:
        _submit_in_background(delivery_id)
        return
    try:
        deliver_webhook.apply_async((delivery_id,))
    except Exception:
        logger.warning("Could not queue webhook delivery %s; the sweep will send it.", delivery_id, exc_info=True)


def _run(delivery_id: int) -> None:
    try:
        services.deliver(delivery_id)
    except Exception:
        logger.exception("Webhook delivery %s failed in the background; the sweep retries it.", delivery_id)
    finally:
        connections.close_all()  # this thread's own connections only


def _submit_in_background(delivery_id: int) -> None:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=max(1, int(getattr(settings, "WEBHOOK_BACKGROUND_THREADS", 4))),
                thread_name_prefix="webhook",
            )
        future = _executor.submit(_run, delivery_id)
        _futures.add(future)
    future.add_done_callback(_futures.discard)


def wait_for_background(timeout: float = 30) -> bool:
    """Wait until the in-process sends started so far are done (tests, graceful shutdown)."""
    with _executor_lock:
        pending = set(_futures)
    if not pending:
        return True
    done, not_done = wait_futures(pending, timeout=timeout)
    return not not_done
