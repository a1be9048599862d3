"""Inventory API contracts for the shared contract suite.

Moves and balances are read-only resources (the ledger changes only through the actions);
serial numbers, reservations and counts are created and then change only through actions.
"""

from __future__ import annotations

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.contract import Contract, unique
from shopfloor.core.tests.factories import PlantFactory

from .factories import (
    CycleCountFactory,
    CycleCountLineFactory,
    LocationFactory,
    LotFactory,
    ReservationFactory,
    SerialNumberFactory,
    StockBalanceFactory,
    StockMoveFactory,
)

READ_CREATE = frozenset({"list", "retrieve", "create"})
READ_ONLY = frozenset({"list", "retrieve"})


def _location_payload() -> dict:
    return {"plant": PlantFactory().pk, "code": unique("A-"), "name": "Aisle", "location_type": "storage"}


def _lot_payload() -> dict:
    return {"item": ItemFactory(tracking="lot").pk, "number": unique("LOT-"), "expires_on": "2030-01-31"}


def _serial_payload() -> dict:
    return {"item": ItemFactory(tracking="serial").pk, "serial": unique("SN-")}


def _reservation_payload() -> dict:
    balance = StockBalanceFactory()
    return {"item": balance.item_id, "location": balance.location_id, "quantity": "3", "source_number": "WO-1"}


def _count_payload() -> dict:
    return {"location": StockBalanceFactory().location_id, "note": "weekly"}


def _count_line_payload() -> dict:
    return {"count": CycleCountFactory().pk, "item": ItemFactory().pk}


CONTRACTS: dict[str, Contract] = {
    "inventory/locations": Contract(
        factory=LocationFactory,
        payload=_location_payload,
        update={"name": "Aisle 7", "allow_negative": True},
        put=lambda obj: {"plant": obj.plant_id, "code": unique("A-"), "name": "Aisle 8", "location_type": "storage"},
        note="A location stays in its plant: PUT keeps the plant.",
    ),
    "inventory/lots": Contract(
        factory=LotFactory,
        payload=_lot_payload,
        update={"supplier_lot": "SUP-99", "expires_on": "2031-06-30"},
    ),
    "inventory/serial-numbers": Contract(
        factory=SerialNumberFactory,
        payload=_serial_payload,
        operations=READ_CREATE,
        note="A serial's place and status follow the ledger; nothing edits them directly.",
    ),
    "inventory/moves": Contract(
        factory=StockMoveFactory,
        operations=READ_ONLY,
        actions={"reverse": 201},
        note="Immutable ledger: stock moves through the list actions (receive, issue...); corrections reverse.",
    ),
    "inventory/balances": Contract(
        factory=StockBalanceFactory,
        operations=READ_ONLY,
        note="Kept by the ledger in the move's transaction; never written directly.",
    ),
    "inventory/reservations": Contract(
        factory=ReservationFactory,
        payload=_reservation_payload,
        operations=READ_CREATE,
        actions={"release": 200},
        note="Creating reserves; releasing or consuming ends it.",
    ),
    "inventory/cycle-counts": Contract(
        factory=CycleCountFactory,
        payload=_count_payload,
        operations=READ_CREATE,
        actions={"submit": 400, "post": 409},
        note="A fresh count has uncounted lines (submit: 400) and is not submitted (post: 409).",
    ),
    "inventory/cycle-count-lines": Contract(
        factory=CycleCountLineFactory,
        payload=_count_line_payload,
        operations=READ_CREATE,
        actions={"count": 400},
        note="Counted quantities go through the count action (an empty body is a 400).",
    ),
}

NOT_EXPOSED: dict[str, str] = {
    "inventory.LowStockLatch": "Internal once-per-crossing flag of the low-stock alert; the alert is a notification.",
}
