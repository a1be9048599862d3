"""Stock pages: the same services behind scanner forms, balances, the ledger and the location tree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory import services
from shopfloor.inventory.models import CycleCount, StockBalance, StockMove
from shopfloor.inventory.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def shelf(tenant):
    return LocationFactory(plant=PlantFactory(), code="B-07")


PAGES = [
    "/inventory/receive/",
    "/inventory/move/",
    "/inventory/issue/",
    "/inventory/count/",
    "/inventory/balances/",
    "/inventory/ledger/",
    "/inventory/locations/",
    "/inventory/locations/new/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_stock_page_renders(web, shelf, url):
    assert web.get(url).status_code == 200


def test_a_viewer_sees_balances_but_not_the_receive_page(viewer_user, shelf):
    client = Client()
    client.force_login(viewer_user)
    assert client.get("/inventory/balances/").status_code == 200
    assert client.get("/inventory/receive/").status_code == 403
    assert client.post("/inventory/receive/", {"location": "B-07", "item": "X", "quantity": "1"}).status_code == 403


def test_receive_by_scanned_codes(web, shelf):
    item = ItemFactory(number="PIN-5")
    response = web.post("/inventory/receive/", {"location": "b-07", "item": "pin-5", "quantity": "12"}, follow=True)
    assert response.status_code == 200
    assert "Received 12" in response.content.decode()
    assert StockBalance.objects.get(item=item, location=shelf).on_hand == Decimal(12)


def test_receive_of_a_lot_item_without_a_lot_asks_for_it(web, shelf):
    ItemFactory(number="RESIN", tracking="lot")
    response = web.post("/inventory/receive/", {"location": "B-07", "item": "RESIN", "quantity": "2"})
    assert response.status_code == 200
    assert response.context["form"].errors["lot"]
    assert not StockMove.objects.exists()
    response = web.post(
        "/inventory/receive/", {"location": "B-07", "item": "RESIN", "quantity": "2", "lot": "R-1"}, follow=True
    )
    assert "lot R-1" in response.content.decode()


def test_an_unknown_code_is_a_field_error(web, shelf):
    response = web.post("/inventory/receive/", {"location": "NOPE", "item": "NOPE", "quantity": "1"})
    assert set(response.context["form"].errors) == {"location", "item"}


def test_issuing_too_much_shows_the_conflict_and_writes_nothing(web, admin_user, shelf):
    item = ItemFactory(number="NUT-8")
    services.receive(actor=admin_user, item=item, quantity="3", location=shelf)
    response = web.post("/inventory/issue/", {"location": "B-07", "item": "NUT-8", "quantity": "4"})
    assert "Only 3" in response.content.decode()
    assert StockMove.objects.count() == 1


def test_move_between_locations(web, admin_user, shelf):
    LocationFactory(plant=shelf.plant, code="B-08")
    item = ItemFactory(number="NUT-9")
    services.receive(actor=admin_user, item=item, quantity="3", location=shelf)
    web.post("/inventory/move/", {"from_location": "B-07", "item": "NUT-9", "quantity": "1", "to_location": "B-08"})
    assert StockBalance.objects.get(item=item, location__code="B-08").on_hand == Decimal(1)


def test_count_by_scanning(web, admin_user, shelf):
    item = ItemFactory(number="WASHER")
    services.receive(actor=admin_user, item=item, quantity="10", location=shelf)
    response = web.post("/inventory/count/", {"location": "B-07"})
    count = CycleCount.objects.get()
    assert response["Location"] == f"/inventory/counts/{count.pk}/"
    url = response["Location"]
    assert web.post(url, {"action": "count", "item": "WASHER", "counted_quantity": "9"}).status_code == 302
    web.post(url, {"action": "submit"})
    web.post(url, {"action": "post"})
    count.refresh_from_db()
    assert count.status == "posted"
    assert StockBalance.objects.get(item=item, location=shelf).on_hand == Decimal(9)
    assert web.get(url).status_code == 200


def test_ledger_and_balances_show_the_move(web, admin_user, shelf):
    item = ItemFactory(number="GASKET")
    services.receive(actor=admin_user, item=item, quantity="4", location=shelf)
    assert "GASKET" in web.get("/inventory/ledger/").content.decode()
    assert "GASKET" in web.get("/inventory/balances/").content.decode()
    assert "B-07" in web.get("/inventory/locations/").content.decode()


def test_item_page_panels_show_stock_and_ledger(web, admin_user, shelf):
    item = ItemFactory(number="SEAL")
    services.receive(actor=admin_user, item=item, quantity="6", location=shelf)
    stock = web.get(f"/catalog/items/{item.pk}/panels/stock/")
    assert stock.status_code == 200 and "B-07" in stock.content.decode()
    ledger = web.get(f"/catalog/items/{item.pk}/panels/ledger/")
    assert ledger.status_code == 200 and "Receipt" in ledger.content.decode()


def test_another_organizations_count_is_404(web, other_org):
    with tenancy.use(other_org):
        from shopfloor.inventory.tests.factories import CycleCountFactory

        foreign = CycleCountFactory(organization=other_org)
    assert web.get(f"/inventory/counts/{foreign.pk}/").status_code == 404
