"""A member limited to some plants sees only those plants' forecasts and capacity, on the pages
and over the API: another plant's forecast is not found (404), another plant is not a choice for
the capacity view (400 over the API, an invalid choice on the page), like another organization's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.core.tests.support import listed_ids
from shopfloor.planning.tests.factories import ForecastFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/planning/"


@pytest.fixture
def scene(org, tenant):
    """Plants HOME and AWAY, each with a forecast; `local` works at HOME only."""
    rows = {}
    for code in ("HOME", "AWAY"):
        plant = PlantFactory(code=code)
        rows[code] = {"plant": plant, "forecast": ForecastFactory(plant=plant)}
    local = member(org, ["*.view_*", "planning.*"], plants=[rows["HOME"]["plant"]], username="lena")
    return {"home": rows["HOME"], "away": rows["AWAY"], "local": local}


def test_forecasts_over_the_api(scene, api_for, api):
    home, away = scene["home"]["forecast"], scene["away"]["forecast"]
    local = api_for(scene["local"])
    assert listed_ids(api.get(f"{API}forecasts/")) == sorted([home.pk, away.pk])
    assert listed_ids(local.get(f"{API}forecasts/")) == [home.pk]
    assert local.get(f"{API}forecasts/{home.pk}/").status_code == 200
    assert local.get(f"{API}forecasts/{away.pk}/").status_code == 404
    assert local.delete(f"{API}forecasts/{away.pk}/").status_code == 404


def test_forecast_pages(scene):
    home, away = scene["home"]["forecast"], scene["away"]["forecast"]
    web = Client()
    web.force_login(scene["local"])
    listed = web.get(reverse("planning:forecast-list"))
    assert [row["object"].pk for row in listed.context["rows"]] == [home.pk]
    assert web.get(reverse("planning:forecast-edit", args=[home.pk])).status_code == 200
    assert web.get(reverse("planning:forecast-edit", args=[away.pk])).status_code == 404
    assert web.post(reverse("planning:forecast-delete", args=[away.pk])).status_code == 404
    form = web.get(reverse("planning:forecast-create")).context["form"]
    assert [p.code for p in form.fields["plant"].queryset] == ["HOME"]


def test_capacity_of_another_plant_is_unknown(scene, api_for, api):
    local = api_for(scene["local"])
    home, away = scene["home"]["plant"], scene["away"]["plant"]
    assert local.get(f"{API}capacity/", {"plant": home.pk}).status_code == 200
    for wanted in (away.pk, away.code):
        refused = local.get(f"{API}capacity/", {"plant": wanted})
        assert refused.status_code == 400 and refused.json()["errors"]["plant"] == ["Unknown plant."]
    assert api.get(f"{API}capacity/", {"plant": away.code}).status_code == 200

    web = Client()
    web.force_login(scene["local"])
    page = web.get(reverse("planning:capacity"))
    assert [p.code for p in page.context["form"].fields["plant"].queryset] == ["HOME"]
    assert page.context["plant"] == home
    other = web.get(reverse("planning:capacity"), {"plant": away.pk})
    assert other.status_code == 200 and "plant" in other.context["form"].errors
    assert other.context["series"] == []
