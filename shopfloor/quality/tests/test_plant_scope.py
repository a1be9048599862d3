"""A member limited to some plants sees only those plants' inspections and NCRs, on the pages
and over the API; another plant's is not found (404), like another organization's. A member of
every plant sees both."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.core.tests.support import assert_api_keeps_to_the_plant
from shopfloor.quality.tests.factories import InspectionFactory, NcrFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/quality/"


@pytest.fixture
def scene(org, tenant):
    """Plants HOME and AWAY, each with an open inspection and an open NCR; `local` works at HOME only."""
    rows = {}
    for code in ("HOME", "AWAY"):
        plant = PlantFactory(code=code)
        rows[code] = {"plant": plant, "inspections": InspectionFactory(plant=plant), "ncrs": NcrFactory(plant=plant)}
    local = member(org, ["*.view_*", "quality.*"], plants=[rows["HOME"]["plant"]], username="lena")
    return {"home": rows["HOME"], "away": rows["AWAY"], "local": local}


def test_the_api_lists_only_the_users_plant_and_404s_another_plants_rows(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    assert_api_keeps_to_the_plant(api, local, API, home, away, ("inspections", "ncrs"))
    assert local.post(f"{API}inspections/{away['inspections'].pk}/complete/", {}).status_code == 404
    assert local.get(f"{API}ncrs/{away['ncrs'].pk}/transitions/").status_code == 404


def test_the_pages_show_only_the_users_plant_and_404_another_plants_rows(scene):
    home, away = scene["home"], scene["away"]
    web = Client()
    web.force_login(scene["local"])
    for kind, resource in (("inspection", "inspections"), ("ncr", "ncrs")):
        listed = web.get(reverse(f"quality:{kind}-list"))
        assert [row["object"].pk for row in listed.context["rows"]] == [home[resource].pk], kind
        assert web.get(reverse(f"quality:{kind}-detail", args=[home[resource].pk])).status_code == 200
        assert web.get(reverse(f"quality:{kind}-detail", args=[away[resource].pk])).status_code == 404
    inspection = away["inspections"]
    assert web.post(reverse("quality:inspection-measure", args=[inspection.pk])).status_code == 404
    assert web.post(reverse("quality:inspection-complete", args=[inspection.pk])).status_code == 404
    assert web.post(reverse("quality:ncr-action", args=[away["ncrs"].pk, "transition"])).status_code == 404
    assert web.get(reverse("quality:dashboard")).context["open_ncrs"] == 1
    form = web.get(reverse("quality:ncr-create")).context["form"]
    assert [p.code for p in form.fields["plant"].queryset] == ["HOME"]


def test_a_member_of_every_plant_sees_both(scene, admin_user):
    web = Client()
    web.force_login(admin_user)
    listed = web.get(reverse("quality:ncr-list"))
    assert {row["object"].pk for row in listed.context["rows"]} == {scene["home"]["ncrs"].pk, scene["away"]["ncrs"].pk}
    assert web.get(reverse("quality:dashboard")).context["open_ncrs"] == 2
