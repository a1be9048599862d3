"""A plant created through the core service can receive a purchase order at once: the inventory
gave it a receiving location (no 409 'no receiving location')."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import services as core_services
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.purchasing import services as purchasing

pytestmark = pytest.mark.django_db

D = Decimal


def test_a_purchase_receipt_at_a_new_plant_lands_in_its_receiving_location(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plant = core_services.create_plant(actor=admin_user, data={"code": "ABZ", "name": "Aberdeen"})
    item = ItemFactory(status="active", make_or_buy="buy")
    order = purchasing.create_purchase_order(actor=admin_user, data={"plant": plant, "supplier": SupplierFactory()})
    line = purchasing.add_line(actor=admin_user, order=order, data={"item": item, "quantity": D(4), "unit_price": D(5)})
    purchasing.submit(actor=admin_user, order=order)
    purchasing.send(actor=admin_user, order=order)
    purchasing.receive(actor=admin_user, order=order, lines=[{"order_line": line, "quantity": D(4)}])
    receiving = Location.objects.get(plant=plant, code="RECEIVING")
    assert StockBalance.objects.get(item=item, location=receiving).on_hand == D(4)
