"""Sales API contracts for the shared contract suite.

A fresh order from the factory is a draft without lines: confirming it is refused (409: no
lines), cancelling needs a comment (400), closing, shipping and starting production are not
steps a draft can take (409). A fresh line belongs to a draft: shipping it without a body is a 400.
"""

from __future__ import annotations

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.contract import Contract, unique
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.partners.tests.factories import CustomerFactory

from .factories import SalesOrderFactory, SalesOrderLineFactory


def _order_payload() -> dict:
    return {
        "plant": PlantFactory().pk,
        "customer": CustomerFactory().pk,
        "customer_reference": unique("PO-"),
        "lines": [{"item": ItemFactory(status="active").pk, "quantity": "2", "due_date": "2030-03-01"}],
    }


def _line_payload() -> dict:
    return {
        "order": SalesOrderFactory().pk,
        "item": ItemFactory(status="active").pk,
        "quantity": "3",
        "unit_price": "1999.500000",
        "due_date": "2030-01-15",
    }


CONTRACTS: dict[str, Contract] = {
    "sales/orders": Contract(
        factory=SalesOrderFactory,
        payload=_order_payload,
        update={"customer_reference": "PO-7781", "notes": "Deliver to the Stavanger base."},
        put=lambda obj: {"plant": obj.plant_id, "customer": obj.customer_id, "currency": "EUR"},
        actions={"confirm": 409, "cancel": 400, "close": 409, "ship": 409, "start_production": 409},
        note="Lines come with the order on creation, afterwards through sales/order-lines; only drafts delete.",
    ),
    "sales/order-lines": Contract(
        factory=SalesOrderLineFactory,
        payload=_line_payload,
        update={"quantity": "4.000000", "notes": "Rush"},
        put=lambda obj: {"order": obj.order_id, "item": obj.item_id, "quantity": "6", "due_date": "2030-02-01"},
        actions={"ship": 400},
        note="Lines change only while their order is a draft; shipping needs a location and a quantity.",
    ),
}

NOT_EXPOSED: dict[str, str] = {}
