"""Celery task of MRP: thin, idempotent (a redelivered message finds the run taken)."""

from __future__ import annotations

from celery import shared_task

from shopfloor.planning.services import mrp


@shared_task(name="planning.run_mrp", acks_late=True)
def run_mrp_task(run_id: int) -> str:
    """Run a queued MRP run; returns its final status."""
    return mrp.run_mrp(int(run_id)).status
