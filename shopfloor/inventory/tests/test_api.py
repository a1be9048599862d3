"""The inventory API's actions beyond CRUD (CRUD and permissions come from the contract suite)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.models import IdempotencyKey
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory import services
from shopfloor.inventory.models import Lot, SerialNumber, StockBalance, StockMove
from shopfloor.inventory.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

MOVES = "/api/v1/inventory/moves/"


@pytest.fixture
def plant(tenant):
    return PlantFactory()


@pytest.fixture
def shelf(plant):
    return LocationFactory(plant=plant, code="R-01")


def test_receive_a_lot_by_number_creates_the_lot_once(api, shelf, tenant):
    item = ItemFactory(tracking="lot")
    body = {"item": item.pk, "location": shelf.pk, "quantity": "5", "lot_number": "HEAT-42", "expires_on": "2030-05-01"}
    first = api.post(MOVES + "receive/", body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["lot_number"] == "HEAT-42"
    second = api.post(MOVES + "receive/", {**body, "quantity": "2"}, format="json")
    assert second.status_code == 201
    lot = Lot.objects.get(item=item, number="HEAT-42")
    assert str(lot.expires_on) == "2030-05-01"
    assert StockBalance.objects.get(item=item, location=shelf, lot=lot).on_hand == Decimal(7)


def test_receive_a_serial_registers_it_at_the_location(api, shelf, tenant):
    item = ItemFactory(tracking="serial")
    response = api.post(
        MOVES + "receive/",
        {"item": item.pk, "location": shelf.pk, "quantity": "1", "serial": "MWD-0007"},
        format="json",
    )
    assert response.status_code == 201, response.content
    serial = SerialNumber.objects.get(item=item, serial="MWD-0007")
    assert serial.location_id == shelf.pk and serial.status == "in_stock"


def test_issuing_more_than_available_is_409_and_writes_nothing(api, shelf, tenant):
    item = ItemFactory()
    api.post(MOVES + "receive/", {"item": item.pk, "location": shelf.pk, "quantity": "3"}, format="json")
    response = api.post(MOVES + "issue/", {"item": item.pk, "location": shelf.pk, "quantity": "5"}, format="json")
    assert response.status_code == 409
    assert "Only 3" in response.json()["detail"] and "R-01" in response.json()["detail"]
    assert StockMove.objects.count() == 1


def test_bad_input_is_400_with_the_field(api, shelf, tenant):
    item = ItemFactory(tracking="lot")
    response = api.post(MOVES + "receive/", {"item": item.pk, "location": shelf.pk, "quantity": "1"}, format="json")
    assert response.status_code == 400
    assert "lot" in response.json()["errors"]
    response = api.post(MOVES + "adjust/", {"item": item.pk, "location": shelf.pk, "quantity": "1"}, format="json")
    assert response.status_code == 400 and "reason_code" in response.json()["errors"]
    response = api.post(MOVES + "receive/", {"item": item.pk, "location": shelf.pk, "quantity": "-1"}, format="json")
    assert response.status_code == 400


def test_another_organizations_location_is_refused(api, shelf, tenant, other_org):
    from shopfloor.core import tenancy

    item = ItemFactory()
    with tenancy.use(other_org):
        foreign = LocationFactory()
    response = api.post(MOVES + "receive/", {"item": item.pk, "location": foreign.pk, "quantity": "1"}, format="json")
    assert response.status_code == 400 and "location" in response.json()["errors"]


def test_transfer_scrap_and_reverse(api, admin_user, plant, shelf, tenant):
    item = ItemFactory()
    other = LocationFactory(plant=plant, code="R-02")
    services.receive(actor=admin_user, item=item, quantity="10", location=shelf)
    moved = api.post(
        MOVES + "transfer/",
        {"item": item.pk, "from_location": shelf.pk, "to_location": other.pk, "quantity": "4"},
        format="json",
    )
    assert moved.status_code == 201, moved.content
    scrapped = api.post(
        MOVES + "scrap/", {"item": item.pk, "location": other.pk, "quantity": "1", "reason_code": "rust"}, format="json"
    )
    assert scrapped.status_code == 201 and scrapped.json()["to_location_code"] == "SCRAP"
    back = api.post(f"{MOVES}{moved.json()['id']}/reverse/", {}, format="json")
    assert back.status_code == 409  # one of the four was scrapped: only 3 left at R-02
    undone = api.post(f"{MOVES}{scrapped.json()['id']}/reverse/", {}, format="json")
    assert undone.status_code == 201 and undone.json()["reverses"] == scrapped.json()["id"]
    assert api.post(f"{MOVES}{scrapped.json()['id']}/reverse/", {}, format="json").status_code == 409


def test_the_ledger_pages_by_cursor(api, admin_user, shelf, tenant):
    item = ItemFactory()
    for _ in range(5):
        services.receive(actor=admin_user, item=item, quantity="1", location=shelf)
    seen, url = [], MOVES + "?page_size=2"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted(StockMove.objects.values_list("pk", flat=True), reverse=True)
    assert api.get(MOVES + "?cursor=nonsense").status_code == 400


def test_balances_filter_by_a_location_and_its_children(api, admin_user, plant, tenant):
    item = ItemFactory()
    store = LocationFactory(plant=plant, code="WH")
    bin_ = LocationFactory(plant=plant, code="WH-1", parent=store)
    services.receive(actor=admin_user, item=item, quantity="2", location=bin_)
    rows = api.get("/api/v1/inventory/balances/", {"location": store.pk}).json()["results"]
    assert [(r["location_code"], r["on_hand"], r["available"]) for r in rows] == [("WH-1", "2.000000", "2.000000")]
    as_of = api.get("/api/v1/inventory/balances/as-of/", {"at": "2999-01-01", "item": item.pk}).json()
    assert as_of == [{"item": item.pk, "location": bin_.pk, "lot": None, "on_hand": "2.000000"}]
    assert api.get("/api/v1/inventory/balances/as-of/", {"at": "yesterday"}).status_code == 400


def test_reserve_and_release_through_the_api(api, admin_user, shelf, tenant):
    item = ItemFactory()
    services.receive(actor=admin_user, item=item, quantity="5", location=shelf)
    url = "/api/v1/inventory/reservations/"
    made = api.post(
        url, {"item": item.pk, "location": shelf.pk, "quantity": "5", "source_number": "WO-9"}, format="json"
    )
    assert made.status_code == 201, made.content
    assert api.post(url, {"item": item.pk, "location": shelf.pk, "quantity": "1"}, format="json").status_code == 409
    released = api.post(f"{url}{made.json()['id']}/release/", {}, format="json")
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert api.post(f"{url}{made.json()['id']}/release/", {}, format="json").status_code == 409


def test_cycle_count_through_the_api(api, admin_user, shelf, tenant):
    item = ItemFactory()
    services.receive(actor=admin_user, item=item, quantity="5", location=shelf)
    count = api.post("/api/v1/inventory/cycle-counts/", {"location": shelf.pk}, format="json").json()
    line = api.get("/api/v1/inventory/cycle-count-lines/", {"count": count["id"]}).json()["results"][0]
    assert line["expected_quantity"] == "5.000000"
    counted = api.post(
        f"/api/v1/inventory/cycle-count-lines/{line['id']}/count/", {"counted_quantity": "6"}, format="json"
    )
    assert counted.status_code == 200 and counted.json()["variance"] == "1.000000"
    assert api.post(f"/api/v1/inventory/cycle-counts/{count['id']}/submit/", {}, format="json").status_code == 200
    posted = api.post(f"/api/v1/inventory/cycle-counts/{count['id']}/post/", {}, format="json")
    assert posted.status_code == 200 and posted.json()["status"] == "posted"
    assert StockBalance.objects.get(item=item, location=shelf).on_hand == Decimal(6)


def test_the_same_idempotency_key_replays_the_receipt(api, shelf, tenant):
    item = ItemFactory()
    body = {"item": item.pk, "location": shelf.pk, "quantity": "2"}
    first = api.post(MOVES + "receive/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    second = api.post(MOVES + "receive/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true" and second.json()["id"] == first.json()["id"]
    assert StockMove.objects.count() == 1
    assert IdempotencyKey.objects.filter(key="abc").count() == 1
    changed = api.post(MOVES + "receive/", {**body, "quantity": "3"}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert changed.status_code == 409
