"""Celery task of the exchange app: process one import job (eager in development and tests)."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def process_import_job(job_id: int) -> str | None:
    """Run a queued job once; a redelivered message finds it already taken and does nothing."""
    job = services.run_job(int(job_id))
    return job.status if job is not None else None


def schedule(job_id: int) -> None:
    """Queue a just-committed job; a broker outage leaves it queued (shown as such) rather than lost."""
    try:
        process_import_job.delay(job_id)
    except Exception:
        logger.warning("Could not queue import job %s; it stays queued.", job_id, exc_info=True)
