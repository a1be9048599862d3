"""A member limited to some plants sees only those plants' MRP and schedule runs and their
results, on the pages and over the API; another plant's run is not found (404)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.core.tests.support import listed_ids
from shopfloor.planning.tests.factories import (
    MrpExceptionFactory,
    MrpItemResultFactory,
    MrpRunFactory,
    PeggingFactory,
    PlannedOrderFactory,
    ScheduleRunFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/planning/"


@pytest.fixture
def scene(org, tenant):
    """Plants HOME and AWAY, each with an MRP run (planned order, pegging, exception, item result)
    and a schedule run; `local` works at HOME only."""
    home, away = PlantFactory(code="HOME"), PlantFactory(code="AWAY")
    rows = {}
    for plant in (home, away):
        run = MrpRunFactory(plant=plant)
        order = PlannedOrderFactory(run=run)
        rows[plant.code] = {
            "mrp": run,
            "order": order,
            "pegging": PeggingFactory(planned_order=order),
            "exception": MrpExceptionFactory(run=run),
            "result": MrpItemResultFactory(run=run),
            "schedule": ScheduleRunFactory(plant=plant),
        }
    local = member(org, ["*.view_*", "planning.*"], plants=[home], username="lena")
    return {"home": rows["HOME"], "away": rows["AWAY"], "local": local}


def test_the_api_lists_only_the_users_plants_and_404s_another_plants_run(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    lists = {
        "mrp-runs": "mrp",
        "schedule-runs": "schedule",
        "planned-orders": "order",
        "peggings": "pegging",
        "mrp-exceptions": "exception",
        "mrp-item-results": "result",
    }
    for resource, key in lists.items():
        assert listed_ids(local.get(f"{API}{resource}/")) == [home[key].pk], resource
        assert listed_ids(api.get(f"{API}{resource}/")) == sorted([home[key].pk, away[key].pk]), resource
        assert local.get(f"{API}{resource}/{home[key].pk}/").status_code == 200, resource
        assert local.get(f"{API}{resource}/{away[key].pk}/").status_code == 404, resource
    for sub in ("operations", "conflicts"):
        assert local.get(f"{API}schedule-runs/{away['schedule'].pk}/{sub}/").status_code == 404
    refused = local.post(f"{API}planned-orders/firm/", {"ids": [away["order"].pk]}, format="json")
    assert refused.status_code == 404


def test_the_pages_show_only_the_users_plants_and_404_another_plants_run(scene):
    home, away = scene["home"], scene["away"]
    web = Client()
    web.force_login(scene["local"])
    listed = web.get(reverse("planning:mrp-run-list"))
    assert [r.pk for r in listed.context["runs"]] == [home["mrp"].pk]
    assert [p.code for p in listed.context["form"].fields["plant"].queryset] == ["HOME"]
    for name in ("mrp-run-detail", "mrp-run-status", "mrp-items", "mrp-planned-orders", "mrp-exceptions"):
        assert web.get(reverse(f"planning:{name}", args=[home["mrp"].pk])).status_code == 200, name
        assert web.get(reverse(f"planning:{name}", args=[away["mrp"].pk])).status_code == 404, name
    item = away["result"].item_id
    assert web.get(reverse("planning:mrp-item", args=[away["mrp"].pk, item])).status_code == 404
    refused = web.post(reverse("planning:mrp-firm", args=[away["mrp"].pk]), {"ids": [away["order"].pk]})
    assert refused.status_code == 404

    schedule = web.get(reverse("planning:schedule"))
    assert schedule.context["plant"].code == "HOME"
    assert [p.code for p in schedule.context["plants"]] == ["HOME"]
    assert schedule.context["latest"] == home["schedule"]
    away_plant = away["schedule"].plant_id
    assert web.get(reverse("planning:schedule") + f"?plant={away_plant}").status_code == 404
    assert web.get(reverse("planning:schedule-status", args=[home["schedule"].pk])).status_code == 200
    assert web.get(reverse("planning:schedule-status", args=[away["schedule"].pk])).status_code == 404
