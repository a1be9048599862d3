"""Shop floor API contracts for the shared contract suite.

The label resources are read-only views of lots, serial numbers and locations: what a label
of each would show, and its PDF (`pdf` is a GET action, so it is not in `actions`, which are POSTs).
"""

from __future__ import annotations

from shopfloor.core.tests.contract import Contract
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory, SerialNumberFactory
from shopfloor.production.tests.factories import WorkOrderFactory

READ_ONLY = frozenset({"list", "retrieve"})

CONTRACTS: dict[str, Contract] = {
    "floor/lot-labels": Contract(
        factory=LotFactory, operations=READ_ONLY, note="Labels are printed, not stored: read-only."
    ),
    "floor/serial-labels": Contract(
        factory=SerialNumberFactory, operations=READ_ONLY, note="Labels are printed, not stored: read-only."
    ),
    "floor/location-labels": Contract(
        factory=LocationFactory, operations=READ_ONLY, note="Labels are printed, not stored: read-only."
    ),
    "floor/travellers": Contract(
        factory=WorkOrderFactory,
        operations=READ_ONLY,
        note="A traveller is the printout of a work order: read-only (work orders change in production).",
    ),
}

NOT_EXPOSED: dict[str, str] = {}
