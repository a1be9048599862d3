"""Celery task of the finite-capacity scheduler: thin, idempotent (a redelivered message finds
the run taken and returns its status)."""

from __future__ import annotations

from celery import shared_task

from shopfloor.planning.services import schedule


@shared_task(name="planning.run_schedule", acks_late=True)
def run_schedule_task(run_id: int) -> str:
    """Run a queued schedule run; returns its final status."""
    return schedule.run_schedule(int(run_id)).status
