"""What MRP runs and schedule runs share as background jobs: queueing and progress writes."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

logger = logging.getLogger(__name__)


def queue(task: Any, run_id: int, what: str) -> None:
    """Hand the run to Celery; a broker outage leaves it queued (shown as such), never lost."""
    try:
        task.delay(run_id)
    except Exception:
        logger.warning("Could not queue %s %s; it stays queued.", what, run_id, exc_info=True)


def save_progress(model: Any, run_id: int, percent: int, message: str) -> None:
    """One short write outside the run's own work, so a polling page sees how far it got."""
    model.objects.unscoped().filter(pk=run_id).update(
        progress=max(0, min(int(percent), 100)), message=message[:200], updated_at=timezone.now()
    )
