"""Purchasing API contracts for the shared contract suite.

Orders are created as drafts; their status changes only through the actions. Receipts and
their lines are posted by an order's `receive` action and are read-only resources."""

from __future__ import annotations

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.contract import Contract
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.partners.tests.factories import SupplierFactory

from .factories import (
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    ReceiptFactory,
    ReceiptLineFactory,
)

READ_ONLY = frozenset({"list", "retrieve"})


def _order_payload() -> dict:
    return {"plant": PlantFactory().pk, "supplier": SupplierFactory().pk, "supplier_reference": "Q-2211"}


def _line_payload() -> dict:
    return {"order": PurchaseOrderFactory().pk, "item": ItemFactory().pk, "quantity": "4", "unit_price": "19.90"}


CONTRACTS: dict[str, Contract] = {
    "purchasing/purchase-orders": Contract(
        factory=PurchaseOrderFactory,
        payload=_order_payload,
        update={"supplier_reference": "Q-2212", "notes": "Deliver to gate 3"},
        put=lambda obj: {"plant": obj.plant_id, "supplier": obj.supplier_id, "currency": "EUR"},
        actions={
            "submit": 409,
            "approve": 409,
            "reject": 409,
            "send": 409,
            "return_to_draft": 409,
            "close": 409,
            "cancel": 400,
            "receive": 400,
        },
        note=(
            "A fresh draft has no lines (submit: 409), is not pending approval or approved (409), "
            "cancelling needs a reason (400), receiving needs lines (400)."
        ),
    ),
    "purchasing/purchase-order-lines": Contract(
        factory=PurchaseOrderLineFactory,
        payload=_line_payload,
        update={"quantity": "12.000000", "unit_price": "11.000000"},
        put=lambda obj: {"order": obj.order_id, "item": obj.item_id, "quantity": "7", "unit_price": "3"},
    ),
    "purchasing/receipts": Contract(
        factory=ReceiptFactory,
        operations=READ_ONLY,
        note="Posted by the order's receive action; immutable.",
    ),
    "purchasing/receipt-lines": Contract(
        factory=ReceiptLineFactory,
        operations=READ_ONLY,
        note="Posted with their receipt; immutable.",
    ),
}

NOT_EXPOSED: dict[str, str] = {
    "purchasing.PurchasingSettings": (
        "One row per organization, not a collection: read and changed at purchasing/purchase-orders/rules/."
    ),
}
