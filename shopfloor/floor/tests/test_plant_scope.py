"""A member limited to some plants prints only those plants' travellers and location labels, on
the pages and over the API; another plant's work order or bin is not found (404), like another
organization's. A member of every plant prints both."""

from __future__ import annotations

import pytest
from django.test import Client

from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.core.tests.support import listed_ids
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.production.tests.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/floor/"


@pytest.fixture
def scene(org, tenant):
    """Plants HOME and AWAY, each with a work order and a bin; `local` works at HOME only."""
    rows = {}
    for code in ("HOME", "AWAY"):
        plant = PlantFactory(code=code)
        rows[code] = {"travellers": WorkOrderFactory(plant=plant), "location-labels": LocationFactory(plant=plant)}
    local = member(org, ["*.view_*"], plants=[rows["HOME"]["travellers"].plant], username="lena")
    return {"home": rows["HOME"], "away": rows["AWAY"], "local": local}


def test_the_api_lists_only_the_users_plant_and_404s_another_plants_rows(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    for resource in ("travellers", "location-labels"):
        mine = local.get(f"{API}{resource}/", {"plant": home[resource].plant_id})
        theirs = local.get(f"{API}{resource}/", {"plant": away[resource].plant_id})
        assert listed_ids(mine) == [home[resource].pk] and listed_ids(theirs) == [], resource
        assert listed_ids(api.get(f"{API}{resource}/", {"plant": away[resource].plant_id})) == [away[resource].pk]
        assert local.get(f"{API}{resource}/{home[resource].pk}/").status_code == 200, resource
        assert local.get(f"{API}{resource}/{away[resource].pk}/").status_code == 404, resource
        assert local.get(f"{API}{resource}/{away[resource].pk}/pdf/").status_code == 404, resource


def test_the_pages_print_only_the_users_plant(scene, admin_user):
    home, away = scene["home"], scene["away"]
    web = Client()
    web.force_login(scene["local"])
    assert web.get(f"/floor/work-orders/{home['travellers'].pk}/traveller/").status_code == 200
    assert web.get(f"/floor/work-orders/{away['travellers'].pk}/traveller/").status_code == 404
    assert web.get(f"/floor/labels/location/{home['location-labels'].pk}/").status_code == 200
    assert web.get(f"/floor/labels/location/{away['location-labels'].pk}/").status_code == 404
    web.force_login(admin_user)  # a member of every plant
    assert web.get(f"/floor/work-orders/{away['travellers'].pk}/traveller/").status_code == 200
    assert web.get(f"/floor/labels/location/{away['location-labels'].pk}/").status_code == 200


def test_the_terminal_shows_and_acts_on_the_users_plant_only(org, tenant, admin_user):
    """Another plant's work order is not on the terminal: its code scans like one never printed,
    its pages and its job cards' buttons are a 404, and the home screen does not list it."""
    from shopfloor.production.tests.factories import released_order

    home, away = released_order(), released_order()
    local = member(org, ["*.view_*", "production.*", "inventory.*"], plants=[home.plant], username="olaf")
    web = Client()
    web.force_login(local)
    page = web.get("/floor/")
    assert [wo.pk for wo in page.context["open_orders"]] == [home.pk]
    answer = web.post("/floor/scan/", {"code": away.number}, follow=True)
    assert [str(m) for m in answer.context["messages"]] == [f"No work order {away.number}."]
    answer = web.post("/floor/scan/", {"code": f"{away.number}/10"}, follow=True)
    assert [str(m) for m in answer.context["messages"]] == [f"{away.number} has no operation 10."]
    job_card = away.operations.get(sequence=10)
    before = (job_card.status, job_card.good_quantity, away.materials.get().issued_quantity)
    assert web.get(f"/floor/work-orders/{away.pk}/").status_code == 404
    assert web.get(f"/floor/operations/{job_card.pk}/").status_code == 404
    assert web.post(f"/floor/operations/{job_card.pk}/start/").status_code == 404
    assert web.post(f"/floor/operations/{job_card.pk}/complete/", {"good": "1"}).status_code == 404
    assert web.post(f"/floor/op/{job_card.pk}/issue/", {}).status_code == 404
    assert web.post(f"/floor/wo/{away.pk}/issue/", {}).status_code == 404
    job_card.refresh_from_db()
    assert (job_card.status, job_card.good_quantity, away.materials.get().issued_quantity) == before
    # Their own plant's order works as before.
    answer = web.post("/floor/scan/", {"code": home.number}, follow=True)
    assert answer.context["work_order"] == home
    assert web.get(f"/floor/work-orders/{home.pk}/").status_code == 200
