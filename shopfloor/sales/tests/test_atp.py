"""Available-to-promise per line: reserved stock, free stock, expected receipts from a
registered supply source (as production or purchasing would register), then lead time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import CustomerFactory
from shopfloor.sales import atp, services

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate()


@pytest.fixture
def plant(tenant):
    return PlantFactory(code="STV")


@pytest.fixture
def shelf(plant):
    return LocationFactory(plant=plant, code="FG-01")


@pytest.fixture
def bit(tenant):
    return ItemFactory(number="PDC-12", status="active", make_or_buy="make", manufacturing_lead_time_days=21)


@pytest.fixture
def receipts():
    """A supply source the test fills: {(item id, plant id): [(date, quantity)]}."""
    expected: dict[tuple[int, int], list] = {}

    def open_work_orders(item, plant):
        return expected.get((item.pk, plant.pk), [])

    atp.register_supply_source(open_work_orders)
    yield expected
    atp.unregister_supply_source(open_work_orders)


def draft(actor, plant, item, quantity, due_in_days=10):
    return services.create_order(
        actor=actor,
        data={
            "plant": plant,
            "customer": CustomerFactory(),
            "lines": [{"item": item, "quantity": quantity, "due_date": TODAY + timedelta(days=due_in_days)}],
        },
    )


def test_a_reserved_line_is_promised_today(admin_user, plant, shelf, bit):
    inventory.receive(actor=admin_user, item=bit, quantity=3, location=shelf)
    order = services.confirm(actor=admin_user, order=draft(admin_user, plant, bit, 3))
    promise = atp.for_line(order.lines.get())
    assert (promise.date, promise.basis) == (TODAY, "reserved")


def test_free_stock_promises_today(admin_user, plant, shelf, bit):
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=shelf)
    promise = atp.for_line(draft(admin_user, plant, bit, 4).lines.get())
    assert (promise.date, promise.basis) == (TODAY, "stock")


def test_quarantined_stock_does_not_count(admin_user, plant, bit):
    quarantine = LocationFactory(plant=plant, code="QC", location_type=Location.Type.QUARANTINE)
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=quarantine)
    promise = atp.for_line(draft(admin_user, plant, bit, 1).lines.get())
    assert (promise.date, promise.basis) == (TODAY + timedelta(days=21), "lead_time")


def test_expected_receipts_of_a_registered_source_cover_the_rest(admin_user, plant, shelf, bit, receipts):
    inventory.receive(actor=admin_user, item=bit, quantity=2, location=shelf)
    receipts[(bit.pk, plant.pk)] = [(TODAY + timedelta(days=9), D(3)), (TODAY + timedelta(days=4), D(1))]
    line = draft(admin_user, plant, bit, 6).lines.get()
    promise = atp.for_line(line)
    # 2 in stock + 1 on day 4 + 3 on day 9 = 6
    assert (promise.date, promise.basis) == (TODAY + timedelta(days=9), "supply")
    assert promise.receipts == [(TODAY + timedelta(days=4), D(1)), (TODAY + timedelta(days=9), D(3))]


def test_earlier_promised_orders_are_served_first(admin_user, plant, shelf, bit, receipts):
    inventory.receive(actor=admin_user, item=bit, quantity=2, location=shelf)
    receipts[(bit.pk, plant.pk)] = [(TODAY + timedelta(days=5), D(4))]
    first = services.confirm(actor=admin_user, order=draft(admin_user, plant, bit, 4, due_in_days=3))
    first_line = first.lines.get()
    assert (first_line.reserved_quantity, first_line.unreserved_quantity) == (D(2), D(2))
    # the first order holds the 2 in stock and needs 2 of the 4 arriving on day 5
    later = draft(admin_user, plant, bit, 2, due_in_days=20).lines.get()
    assert atp.for_line(later).date == TODAY + timedelta(days=5)
    too_many = draft(admin_user, plant, bit, 3, due_in_days=20).lines.get()
    assert (atp.for_line(too_many).date, atp.for_line(too_many).basis) == (TODAY + timedelta(days=21), "lead_time")
    # the earlier line itself is covered by its reservation plus the receipt
    assert atp.for_line(first_line).date == TODAY + timedelta(days=5)


def test_bought_items_use_the_purchase_lead_time(admin_user, plant):
    insert = ItemFactory(status="active", make_or_buy="buy", purchase_lead_time_days=30)
    promise = atp.for_line(draft(admin_user, plant, insert, 1).lines.get())
    assert (promise.date, promise.basis) == (TODAY + timedelta(days=30), "lead_time")


def test_receipts_in_the_past_count_as_today_and_sources_register_once(plant, bit, receipts):
    source = atp.supply_sources()[-1]
    atp.register_supply_source(source)
    assert atp.supply_sources().count(source) == 1
    receipts[(bit.pk, plant.pk)] = [(TODAY - timedelta(days=3), D(2)), (TODAY, D(1))]
    assert atp.expected_receipts(item=bit, plant=plant) == [(TODAY, D(3))]


def test_for_order_gives_every_line(admin_user, plant, shelf, bit):
    inventory.receive(actor=admin_user, item=bit, quantity=1, location=shelf)
    order = draft(admin_user, plant, bit, 1)
    services.add_line(actor=admin_user, order=order, data={"item": bit, "quantity": 5, "due_date": TODAY})
    promises = atp.for_order(order)
    assert [p.basis for p in promises.values()] == ["stock", "lead_time"]
