"""Sales pages: the same services behind the order form, the line form, the workflow panel's
Confirm and Cancel, and the ship forms."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import SerialNumber, StockBalance, StockMove
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import CustomerFactory
from shopfloor.sales import services
from shopfloor.sales.models import SalesOrder, SalesOrderLine
from shopfloor.sales.tests.factories import SalesOrderFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def plant(tenant):
    return PlantFactory(code="STV")


@pytest.fixture
def shelf(plant):
    return LocationFactory(plant=plant, code="FG-01")


@pytest.fixture
def bit(tenant):
    return ItemFactory(number="PDC-8.5", name="PDC bit", status="active")


@pytest.fixture
def order(admin_user, plant, bit):
    return services.create_order(
        actor=admin_user,
        data={
            "plant": plant,
            "customer": CustomerFactory(name="Northern Drilling"),
            "lines": [{"item": bit, "quantity": 3, "unit_price": D("100"), "due_date": timezone.localdate()}],
        },
    )


def test_list_detail_and_form_pages_render(web, order):
    assert order.number.encode() in web.get("/sales/").content
    page = web.get(f"/sales/{order.pk}/")
    assert page.status_code == 200
    assert b"PDC-8.5" in page.content and b"Add a line" in page.content and b"Confirm" in page.content
    assert web.get(f"/sales/{order.pk}/?tab=history").status_code == 200
    assert web.get("/sales/new/").status_code == 200
    assert web.get(f"/sales/{order.pk}/edit/").status_code == 200


def test_create_an_order_then_add_a_line(web, plant, bit):
    customer = CustomerFactory()
    response = web.post(
        "/sales/new/",
        {"plant": plant.pk, "customer": customer.pk, "order_date": "2030-01-05", "currency": "usd"},
    )
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/{order.pk}/"
    assert order.currency == "USD"
    response = web.post(
        f"/sales/{order.pk}/lines/add/",
        {"item": bit.pk, "quantity": "2", "unit_price": "10", "due_date": "2030-02-01"},
    )
    assert response.status_code == 302
    assert order.lines.get().quantity == D(2)


def test_a_bad_line_shows_the_fields_message_and_writes_nothing(web, order, bit):
    response = web.post(
        f"/sales/{order.pk}/lines/add/", {"item": bit.pk, "quantity": "0", "unit_price": "1", "due_date": "2030-02-01"}
    )
    assert response.status_code == 200
    assert b"Give a quantity above zero." in response.content
    assert order.lines.count() == 1


def test_confirm_through_the_workflow_panel_reserves(web, order, admin_user, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=shelf)
    response = web.post(
        "/workflows/transition/",
        {
            "object_type": "sales.salesorder",
            "object_id": order.pk,
            "to_state": "confirmed",
            "next": f"/sales/{order.pk}/",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert StockBalance.objects.get(item=bit, location=shelf).reserved == D(3)
    page = web.get(f"/sales/{order.pk}/")
    assert b"Ship all reserved" in page.content and b"Reserved stock" in page.content


def test_ship_a_line_from_the_form_twice_posts_once(web, order, admin_user, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=shelf)
    services.confirm(actor=admin_user, order=order)
    line = order.lines.get()
    page = web.get(f"/sales/lines/{line.pk}/ship/")
    assert page.status_code == 200 and b"FG-01" in page.content
    body = {"location": shelf.pk, "quantity": "2", "key": "form-token-1"}
    assert web.post(f"/sales/lines/{line.pk}/ship/", body).status_code == 302
    assert web.post(f"/sales/lines/{line.pk}/ship/", body).status_code == 302  # a double click
    line.refresh_from_db()
    assert line.shipped_quantity == D(2)
    assert StockMove.objects.filter(reason_code="shipment").count() == 1


def test_shipping_more_than_ordered_shows_the_message(web, order, admin_user, bit, shelf):
    inventory.receive(actor=admin_user, item=bit, quantity=5, location=shelf)
    services.confirm(actor=admin_user, order=order)
    line = order.lines.get()
    response = web.post(f"/sales/lines/{line.pk}/ship/", {"location": shelf.pk, "quantity": "4"})
    assert response.status_code == 200
    assert b"Only 3" in response.content
    assert not StockMove.objects.filter(reason_code="shipment").exists()


def test_ship_all_reserved_with_serials(web, admin_user, plant, shelf):
    tool = ItemFactory(number="MWD", tracking="serial", status="active")
    for text in ("A1", "A2"):
        serial = inventory.serial_for_receipt(actor=admin_user, item=tool, serial=text)
        inventory.receive(actor=admin_user, item=tool, quantity=1, serial=serial, location=shelf)
    order = services.create_order(
        actor=admin_user,
        data={
            "plant": plant,
            "customer": CustomerFactory(),
            "lines": [{"item": tool, "quantity": 2, "due_date": timezone.localdate() + timedelta(days=3)}],
        },
    )
    services.confirm(actor=admin_user, order=order)
    response = web.post(f"/sales/{order.pk}/ship/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "shipped"
    assert set(SerialNumber.objects.values_list("status", flat=True)) == {"shipped"}


def test_remove_a_line_of_a_draft(web, order):
    line = order.lines.get()
    assert web.post(f"/sales/lines/{line.pk}/delete/").status_code == 302
    assert not SalesOrderLine.objects.exists()


def test_a_viewer_reads_but_cannot_ship_or_create(viewer_user, order):
    client = Client()
    client.force_login(viewer_user)
    assert client.get(f"/sales/{order.pk}/").status_code == 200
    assert client.get("/sales/new/").status_code == 403
    assert client.post(f"/sales/{order.pk}/ship/").status_code == 403


def test_another_organizations_order_is_404(web, other_org, admin_user):
    with tenancy.use(other_org, admin_user):
        foreign = SalesOrderFactory()
    assert web.get(f"/sales/{foreign.pk}/").status_code == 404
