"""API contracts of the scheduler's resources (collected by `contracts.py`)."""

from __future__ import annotations

from shopfloor.core.tests.contract import Contract
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.production.tests.factories import OperationJobCardFactory

from .factories import OperationPinFactory, ScheduleRunFactory


def _pin_payload() -> dict:
    op = OperationJobCardFactory()
    return {"operation": op.pk, "machine": op.eligible_machines.first().pk, "start": "2026-06-01T08:00:00Z"}


CONTRACTS: dict[str, Contract] = {
    "planning/schedule-runs": Contract(
        factory=ScheduleRunFactory,
        payload=lambda: {"plant": PlantFactory().pk, "time_limit_seconds": 1, "include_planned_orders": False},
        operations=frozenset({"list", "retrieve", "create"}),
        create_status=202,
        note="Runs are results: POST queues one (202) for the Celery worker; never edited or deleted.",
    ),
    "planning/operation-pins": Contract(
        factory=OperationPinFactory,
        payload=_pin_payload,
        operations=frozenset({"list", "retrieve", "create", "delete"}),
        note="Pinning an operation again moves its pin; unpinning deletes it.",
    ),
}

NOT_EXPOSED: dict[str, str] = {
    "planning.ScheduledOperation": "Served read-only under its run: /planning/schedule-runs/{id}/operations/.",
    "planning.ScheduleConflict": "Served read-only under its run: /planning/schedule-runs/{id}/conflicts/.",
}
