"""Racing confirmations and shipments, with real threads each on its own connection (SQLite and
PostgreSQL): stock is never promised twice and a line never ships more than was ordered."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.tests.factories import OrganizationFactory, PlantFactory, member
from shopfloor.core.tests.support import run_in_threads
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import StockBalance, StockMove
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import CustomerFactory
from shopfloor.sales import services
from shopfloor.sales.models import SalesOrderLine

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
ORDERS = 6


@pytest.fixture
def world():
    org = OrganizationFactory(slug="sales-race")
    user = member(org, ["*"], username="racer")
    with tenancy.use(org, user):
        plant = PlantFactory()
        shelf = LocationFactory(plant=plant, code="FG-01")
        bit = ItemFactory(number="RACE-BIT", status="active")
        inventory.receive(actor=user, item=bit, quantity=10, location=shelf)
        orders = [
            services.create_order(
                actor=user,
                data={
                    "plant": plant,
                    "customer": CustomerFactory(),
                    "lines": [{"item": bit, "quantity": 3, "due_date": timezone.localdate()}],
                },
            )
            for _ in range(ORDERS)
        ]
    return {"org": org, "user": user, "shelf": shelf, "bit": bit, "orders": orders}


def test_racing_confirmations_never_promise_the_same_stock_twice(world):
    def confirm(i: int) -> None:
        with tenancy.use(world["org"], world["user"]):
            try:
                services.confirm(actor=world["user"], order=world["orders"][i])
            except Conflict:
                pass  # the ledger was busy: a clean refusal, nothing written

    run_in_threads(ORDERS, confirm)
    with tenancy.use(world["org"], world["user"]):
        lines = list(SalesOrderLine.objects.filter(order__status="confirmed"))
        reserved = sum((line.reserved_quantity for line in lines), D(0))
        balance = StockBalance.objects.get(item=world["bit"], location=world["shelf"])
        assert balance.reserved == reserved
        assert reserved <= D(10)
        assert all(line.reserved_quantity <= D(3) for line in lines)
        if len(lines) == ORDERS:
            assert reserved == D(10)  # every order confirmed: all the stock is promised, no more


def test_racing_shipments_of_one_line_never_ship_more_than_ordered(world):
    user = world["user"]
    with tenancy.use(world["org"], user):
        order = services.confirm(actor=user, order=world["orders"][0])
        line = order.lines.get()

    def ship(i: int) -> bool:
        with tenancy.use(world["org"], user):
            try:
                services.ship_line(actor=user, line=line, quantity=D(2), location=world["shelf"])
            except (Conflict, ValidationError):  # 409 (busy) or 400 (more than is left): refused whole
                return False
            return True

    shipped = run_in_threads(4, ship)
    with tenancy.use(world["org"], user):
        line.refresh_from_db()
        assert shipped.count(True) == 1  # 2 of 3 fit once; a second 2 would be too much
        assert line.shipped_quantity == D(2)
        assert StockMove.objects.filter(reason_code="shipment").count() == 1
        assert StockBalance.objects.get(item=world["bit"], location=world["shelf"]).on_hand == D(8)
