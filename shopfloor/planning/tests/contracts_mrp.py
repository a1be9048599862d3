"""MRP API contracts: forecasts are full CRUD; runs are asked for (202) and read; results are read-only."""

from __future__ import annotations

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.contract import Contract
from shopfloor.core.tests.factories import PlantFactory

from .factories import (
    ForecastFactory,
    MrpExceptionFactory,
    MrpItemResultFactory,
    MrpRunFactory,
    PeggingFactory,
    PlannedOrderFactory,
)

READ_ONLY = frozenset({"list", "retrieve"})
_periods = iter(range(1, 10_000))


def _forecast_payload() -> dict:
    n = next(_periods)
    return {
        "plant": PlantFactory().pk,
        "item": ItemFactory().pk,
        "period_start": f"2030-{1 + n % 12:02d}-01",
        "quantity": "40.000000",
        "notes": "Rig season",
    }


CONTRACTS: dict[str, Contract] = {
    "planning/forecasts": Contract(
        factory=ForecastFactory,
        payload=_forecast_payload,
        update={"quantity": "55.000000", "notes": "Raised after the customer call"},
        note="Written through the forecast service: one forecast per item, plant and period.",
    ),
    "planning/mrp-runs": Contract(
        factory=MrpRunFactory,
        payload=lambda: {"plant": PlantFactory().pk, "horizon_days": 30},
        operations=frozenset({"list", "retrieve", "create"}),
        create_status=202,
        note="POST asks for a run: queued, run by a Celery task after commit; runs are results, never edited.",
    ),
    "planning/planned-orders": Contract(
        factory=PlannedOrderFactory,
        operations=READ_ONLY,
        note="Written by MRP runs; changed only by the list action firm/.",
    ),
    "planning/peggings": Contract(factory=PeggingFactory, operations=READ_ONLY, note="Written by MRP runs."),
    "planning/mrp-exceptions": Contract(factory=MrpExceptionFactory, operations=READ_ONLY, note="Written by MRP runs."),
    "planning/mrp-item-results": Contract(
        factory=MrpItemResultFactory, operations=READ_ONLY, note="Written by MRP runs."
    ),
}
