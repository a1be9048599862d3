"""A member limited to some plants sees only those plants' locations, stock, ledger, reservations
and counts, on the pages and over the API; another plant's row is not found (404) and its
location is not a choice, like another organization's. A member of every plant sees both."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.core.tests.support import listed_ids
from shopfloor.inventory import services
from shopfloor.inventory.models import CycleCountLine, StockBalance

pytestmark = pytest.mark.django_db

API = "/api/v1/inventory/"


@pytest.fixture
def scene(org, tenant, admin_user):
    """Plants HOME and AWAY, each with a shelf (same code in both) holding 10 of one item, 2 of
    them reserved, and a count of the shelf; `local` works at HOME only."""
    item = ItemFactory(number="BOLT")
    rows = {}
    for code in ("HOME", "AWAY"):
        plant = PlantFactory(code=code)
        shelf = services.create_location(actor=admin_user, data={"plant": plant, "code": "SHELF", "name": "Shelf"})
        move = services.receive(actor=admin_user, item=item, quantity=Decimal(10), location=shelf)
        reservation = services.reserve(actor=admin_user, item=item, location=shelf, quantity=Decimal(2))
        count = services.start_count(actor=admin_user, location=shelf)
        rows[code] = {
            "plant": plant,
            "locations": shelf,
            "moves": move,
            "balances": StockBalance.objects.get(location=shelf, item=item),
            "reservations": reservation,
            "cycle-counts": count,
            "cycle-count-lines": CycleCountLine.objects.get(count=count),
        }
    local = member(org, ["*.view_*", "inventory.*"], plants=[rows["HOME"]["plant"]], username="lena")
    return {"home": rows["HOME"], "away": rows["AWAY"], "item": item, "local": local}


RESOURCES = ("locations", "moves", "balances", "reservations", "cycle-counts", "cycle-count-lines")


def test_the_api_lists_only_the_users_plant_and_404s_another_plants_rows(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    for resource in RESOURCES:
        everything = listed_ids(api.get(f"{API}{resource}/"))
        assert {home[resource].pk, away[resource].pk} <= set(everything), resource
        listed = listed_ids(local.get(f"{API}{resource}/"))
        assert home[resource].pk in listed and away[resource].pk not in listed, resource
        assert local.get(f"{API}{resource}/{home[resource].pk}/").status_code == 200, resource
        assert local.get(f"{API}{resource}/{away[resource].pk}/").status_code == 404, resource
    assert local.post(f"{API}reservations/{away['reservations'].pk}/release/").status_code == 404
    assert local.post(f"{API}cycle-counts/{away['cycle-counts'].pk}/submit/").status_code == 404


def test_stock_as_of_keeps_to_the_users_plants(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    url = f"{API}balances/as-of/?at=2999-01-01"
    seen = local.get(url).json()
    assert [(r["location"], r["on_hand"]) for r in seen] == [(home["locations"].pk, "10.000000")]
    assert {r["location"] for r in api.get(url).json()} == {home["locations"].pk, away["locations"].pk}
    refused = local.get(f"{url}&location={away['locations'].pk}")
    assert refused.status_code == 400 and "location" in refused.json()["errors"]


def test_the_pages_show_only_the_users_plant(scene):
    home, away = scene["home"], scene["away"]
    web = Client()
    web.force_login(scene["local"])
    balances = web.get(reverse("inventory:balances"))
    assert [row["object"].pk for row in balances.context["rows"]] == [home["balances"].pk]
    ledger = web.get(reverse("inventory:ledger"))
    assert {m.plant_id for m in ledger.context["moves"]} == {home["plant"].pk}
    tree = web.get(reverse("inventory:location-tree"))
    assert [p["plant"].code for p in tree.context["plants"]] == ["HOME"]
    counting = web.get(reverse("inventory:count"))
    assert [c.pk for c in counting.context["counts"]] == [home["cycle-counts"].pk]
    assert web.get(reverse("inventory:count-detail", args=[home["cycle-counts"].pk])).status_code == 200
    assert web.get(reverse("inventory:count-detail", args=[away["cycle-counts"].pk])).status_code == 404
    form = web.get(reverse("inventory:location-create")).context["form"]
    assert [p.code for p in form.fields["plant"].queryset] == ["HOME"]
    parents = list(form.fields["parent"].queryset)
    assert home["locations"] in parents and {loc.plant_id for loc in parents} == {home["plant"].pk}


def test_a_scanned_code_is_the_users_plants_location(scene):
    """SHELF exists in both plants: for a member of HOME only it is HOME's, not ambiguous."""
    web = Client()
    web.force_login(scene["local"])
    response = web.post(reverse("inventory:count"), {"location": "SHELF"})
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:count-detail", args=[scene["home"]["cycle-counts"].pk])


def test_the_items_stock_panel_shows_the_users_plants(scene):
    from shopfloor.inventory.panels import _ledger, _stock

    class Request:
        user = scene["local"]

    shown = _stock(Request(), scene["item"])
    assert [b.location_id for b in shown["balances"]] == [scene["home"]["locations"].pk]
    assert (shown["totals"].on_hand, shown["totals"].reserved) == (Decimal(10), Decimal(2))
    assert {m.plant_id for m in _ledger(Request(), scene["item"])["moves"]} == {scene["home"]["plant"].pk}


def test_a_member_of_every_plant_sees_both(scene, admin_user):
    web = Client()
    web.force_login(admin_user)
    balances = web.get(reverse("inventory:balances"))
    shown = {row["object"].pk for row in balances.context["rows"]}
    assert shown == {scene["home"]["balances"].pk, scene["away"]["balances"].pk}
    tree = web.get(reverse("inventory:location-tree"))
    assert {p["plant"].code for p in tree.context["plants"]} >= {"HOME", "AWAY"}
