"""The sales API beyond CRUD (CRUD, permissions and tenancy come from the contract suite):
orders with lines in one POST, confirm, ship, ATP, refusals with the field's message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Reservation, SerialNumber, StockBalance, StockMove
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import CustomerFactory
from shopfloor.sales.models import SalesOrder, SalesOrderLine

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/sales/orders/"
LINES = "/api/v1/sales/order-lines/"
D = Decimal


@pytest.fixture
def plant(tenant):
    return PlantFactory(code="STV")


@pytest.fixture
def shelf(plant):
    return LocationFactory(plant=plant, code="FG-01")


@pytest.fixture
def bit(tenant):
    return ItemFactory(number="PDC-8.5", status="active")


def create(api, plant, *lines, **fields):
    body = {
        "plant": plant.pk,
        "customer": CustomerFactory().pk,
        **fields,
        "lines": [
            {"item": item.pk, "quantity": str(q), "due_date": "2030-05-01", "unit_price": "100"} for item, q in lines
        ],
    }
    response = api.post(ORDERS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_create_with_lines_then_confirm_reserves_and_atp_answers(api, admin_user, plant, shelf, bit):
    inventory.receive(actor=admin_user, item=bit, quantity=3, location=shelf)
    order = create(api, plant, (bit, 5))
    assert order["number"].startswith("SO-")
    assert order["status"] == "draft"
    assert order["total_amount"] == "500.000000"
    assert [line["position"] for line in order["lines"]] == [10]

    response = api.post(f"{ORDERS}{order['id']}/confirm/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["lines"][0]["reserved_quantity"] == "3.000000"

    atp = api.get(f"{ORDERS}{order['id']}/atp/").json()
    assert atp[0]["basis"] == "lead_time"
    assert atp[0]["needed"] == "5.000000" and atp[0]["reserved"] == "3.000000"
    line_atp = api.get(f"{LINES}{order['lines'][0]['id']}/atp/").json()
    assert line_atp["atp_date"] == atp[0]["atp_date"]


def test_confirming_with_an_inactive_item_is_409_and_nothing_is_reserved(api, admin_user, plant, shelf):
    draft_item = ItemFactory(number="PROTO-1")
    inventory.receive(actor=admin_user, item=draft_item, quantity=3, location=shelf)
    order = create(api, plant, (draft_item, 1))
    response = api.post(f"{ORDERS}{order['id']}/confirm/", {}, format="json")
    assert response.status_code == 409
    assert "PROTO-1" in response.json()["detail"]
    assert SalesOrder.objects.get(pk=order["id"]).status == "draft"
    assert not Reservation.objects.exists()


def test_a_bad_line_in_the_order_is_400_and_writes_nothing(api, plant, bit):
    body = {
        "plant": plant.pk,
        "customer": CustomerFactory().pk,
        "lines": [{"item": bit.pk, "quantity": "-1", "due_date": "2030-05-01"}],
    }
    response = api.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert "lines" in response.json()["errors"] or any(k.startswith("lines") for k in response.json()["errors"])
    assert not SalesOrder.objects.exists()


def test_ship_a_line_with_serials_and_replay_with_the_same_key(api, admin_user, plant, shelf):
    tool = ItemFactory(number="MWD", tracking="serial", status="active")
    for text in ("S-1", "S-2"):
        serial = inventory.serial_for_receipt(actor=admin_user, item=tool, serial=text)
        inventory.receive(actor=admin_user, item=tool, quantity=1, serial=serial, location=shelf)
    order = create(api, plant, (tool, 2))
    api.post(f"{ORDERS}{order['id']}/confirm/", {}, format="json")
    line_id = order["lines"][0]["id"]
    body = {"location": shelf.pk, "quantity": "1", "serials": ["S-2"]}

    first = api.post(f"{LINES}{line_id}/ship/", body, format="json", HTTP_IDEMPOTENCY_KEY="ship-1")
    again = api.post(f"{LINES}{line_id}/ship/", body, format="json", HTTP_IDEMPOTENCY_KEY="ship-1")

    assert first.status_code == 200, first.content
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert first.json()["shipped_quantity"] == "1.000000"
    assert StockMove.objects.filter(reason_code="shipment").count() == 1
    assert SerialNumber.objects.get(serial="S-2").status == "shipped"
    assert SalesOrder.objects.get(pk=order["id"]).status == "partially_shipped"


def test_shipping_more_than_ordered_is_400_with_the_fields_message(api, admin_user, plant, shelf, bit):
    inventory.receive(actor=admin_user, item=bit, quantity=10, location=shelf)
    order = create(api, plant, (bit, 2))
    api.post(f"{ORDERS}{order['id']}/confirm/", {}, format="json")
    response = api.post(
        f"{LINES}{order['lines'][0]['id']}/ship/", {"location": shelf.pk, "quantity": "3"}, format="json"
    )
    assert response.status_code == 400
    assert "Only 2" in response.json()["errors"]["quantity"][0]
    assert not StockMove.objects.filter(reason_code="shipment").exists()
    assert StockBalance.objects.get(item=bit, location=shelf).reserved == D(2)


def test_an_unknown_serial_is_400(api, admin_user, plant, shelf):
    tool = ItemFactory(tracking="serial", status="active")
    serial = inventory.serial_for_receipt(actor=admin_user, item=tool, serial="K-1")
    inventory.receive(actor=admin_user, item=tool, quantity=1, serial=serial, location=shelf)
    order = create(api, plant, (tool, 1))
    api.post(f"{ORDERS}{order['id']}/confirm/", {}, format="json")
    response = api.post(
        f"{LINES}{order['lines'][0]['id']}/ship/",
        {"location": shelf.pk, "quantity": "1", "serials": ["NOPE"]},
        format="json",
    )
    assert response.status_code == 400
    assert "NOPE" in response.json()["errors"]["serials"][0]


def test_ship_the_order_then_close_it(api, admin_user, plant, shelf, bit):
    inventory.receive(actor=admin_user, item=bit, quantity=4, location=shelf)
    order = create(api, plant, (bit, 4))
    api.post(f"{ORDERS}{order['id']}/confirm/", {}, format="json")
    response = api.post(f"{ORDERS}{order['id']}/ship/", format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "shipped"
    assert StockBalance.objects.get(item=bit, location=shelf).on_hand == 0
    closed = api.post(f"{ORDERS}{order['id']}/close/", {}, format="json")
    assert closed.json()["status"] == "closed"
    assert api.patch(f"{ORDERS}{order['id']}/", {"notes": "late"}, format="json").status_code == 409


def test_forbidden_transitions_are_409(api, plant, bit):
    order = create(api, plant, (bit, 1))
    response = api.post(f"{ORDERS}{order['id']}/transition/", {"to_state": "shipped"}, format="json")
    assert response.status_code == 409
    assert api.post(f"{ORDERS}{order['id']}/close/", {}, format="json").status_code == 409
    assert SalesOrder.objects.get(pk=order["id"]).status == "draft"


def test_the_generic_transition_also_reserves(api, admin_user, plant, shelf, bit):
    inventory.receive(actor=admin_user, item=bit, quantity=2, location=shelf)
    order = create(api, plant, (bit, 2))
    response = api.post(f"{ORDERS}{order['id']}/transition/", {"to_state": "confirmed"}, format="json")
    assert response.status_code == 200, response.content
    assert SalesOrderLine.objects.get(order_id=order["id"]).reserved_quantity == D(2)


def test_cancel_needs_a_reason_and_releases(api, admin_user, plant, shelf, bit):
    inventory.receive(actor=admin_user, item=bit, quantity=2, location=shelf)
    order = create(api, plant, (bit, 2))
    api.post(f"{ORDERS}{order['id']}/confirm/", {}, format="json")
    assert api.post(f"{ORDERS}{order['id']}/cancel/", {}, format="json").status_code == 400
    response = api.post(f"{ORDERS}{order['id']}/cancel/", {"comment": "Well abandoned"}, format="json")
    assert response.json()["status"] == "cancelled"
    assert StockBalance.objects.get(item=bit, location=shelf).reserved == 0


def test_lines_of_a_confirmed_order_do_not_change(api, plant, bit):
    order = create(api, plant, (bit, 1))
    api.post(f"{ORDERS}{order['id']}/confirm/", {}, format="json")
    line_id = order["lines"][0]["id"]
    assert api.patch(f"{LINES}{line_id}/", {"quantity": "9"}, format="json").status_code == 409
    response = api.post(
        LINES, {"order": order["id"], "item": bit.pk, "quantity": "1", "due_date": "2030-01-01"}, format="json"
    )
    assert response.status_code == 409
    assert api.delete(f"{LINES}{line_id}/").status_code == 409
    assert api.patch(f"{ORDERS}{order['id']}/", {"plant": PlantFactory().pk}, format="json").status_code == 409


def test_a_rig_of_another_customer_is_400(api, plant):
    from shopfloor.partners.tests.factories import RigFactory

    response = api.post(
        ORDERS, {"plant": plant.pk, "customer": CustomerFactory().pk, "rig": RigFactory().pk}, format="json"
    )
    assert response.status_code == 400
    assert "rig" in response.json()["errors"]
