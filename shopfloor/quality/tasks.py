"""Celery tasks of quality: thin, idempotent, calling services.

`send_capa_reminders` is meant to run once a day (beat, or `celery call`); running it twice the
same day reminds nobody twice, because the service stamps each CAPA with the day it reminded.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task

from shopfloor.core import tenancy
from shopfloor.core.models import Organization

from .services import ncr as ncr_services


@shared_task
def send_capa_reminders(today: str | None = None, days_ahead: int = 3) -> dict[str, int]:
    """Remind CAPA owners of actions due within `days_ahead` days or overdue, per organization.

    `today` (ISO date) is for replaying a missed day; it defaults to the plant's today.
    Returns the number of reminders sent per organization slug.
    """
    day = date.fromisoformat(today) if today else None
    sent: dict[str, int] = {}
    for organization in Organization.objects.filter(is_active=True).order_by("pk"):
        with tenancy.use(organization):
            sent[organization.slug] = ncr_services.send_capa_reminders(today=day, days_ahead=days_ahead)
    return sent
