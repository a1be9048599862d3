"""A member limited to some plants sees only those plants' work centers, machines and downtimes,
on the pages and over the API; another plant's is not found (404), like another organization's.
A member of every plant sees both."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.core.tests.support import assert_api_keeps_to_the_plant
from shopfloor.resources.tests.factories import MachineDowntimeFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/resources/"


@pytest.fixture
def scene(org, tenant):
    """Plants HOME and AWAY, each with a work center, a machine and a downtime of it; `local`
    works at HOME only."""
    rows = {}
    for code in ("HOME", "AWAY"):
        downtime = MachineDowntimeFactory(machine__work_center__plant=PlantFactory(code=code))
        machine = downtime.machine
        rows[code] = {"work-centers": machine.work_center, "machines": machine, "machine-downtimes": downtime}
    local = member(org, ["*.view_*", "resources.*"], plants=[rows["HOME"]["machines"].plant], username="lena")
    return {"home": rows["HOME"], "away": rows["AWAY"], "local": local}


def test_the_api_lists_only_the_users_plant_and_404s_another_plants_rows(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    assert_api_keeps_to_the_plant(api, local, API, home, away, ("work-centers", "machines", "machine-downtimes"))
    for resource in ("work-centers", "machines"):
        assert local.get(f"{API}{resource}/{away[resource].pk}/available-hours/").status_code == 404
    assert (
        local.post(f"{API}machine-downtimes/{away['machine-downtimes'].pk}/end/", {}, format="json").status_code == 404
    )


def test_the_pages_show_only_the_users_plant_and_404_another_plants_rows(scene):
    home, away = scene["home"], scene["away"]
    web = Client()
    web.force_login(scene["local"])
    for kind, resource in (("workcenter", "work-centers"), ("machine", "machines")):
        listed = web.get(reverse(f"resources:{kind}-list"))
        assert [row["object"].pk for row in listed.context["rows"]] == [home[resource].pk], kind
        assert web.get(reverse(f"resources:{kind}-detail", args=[home[resource].pk])).status_code == 200
        assert web.get(reverse(f"resources:{kind}-detail", args=[away[resource].pk])).status_code == 404
        assert web.get(reverse(f"resources:{kind}-edit", args=[away[resource].pk])).status_code == 404
    downtime = away["machine-downtimes"]
    assert web.post(reverse("resources:downtime-end", args=[downtime.pk])).status_code == 404
    assert web.post(reverse("resources:downtime-delete", args=[downtime.pk])).status_code == 404
    assert web.post(reverse("resources:downtime-add", args=[away["machines"].pk]), {}).status_code == 404
    form = web.get(reverse("resources:workcenter-create")).context["form"]
    assert [p.code for p in form.fields["plant"].queryset] == ["HOME"]
    form = web.get(reverse("resources:machine-create")).context["form"]
    assert list(form.fields["work_center"].queryset) == [home["work-centers"]]


def test_a_member_of_every_plant_sees_both(scene, admin_user):
    web = Client()
    web.force_login(admin_user)
    listed = web.get(reverse("resources:machine-list"))
    assert {row["object"].pk for row in listed.context["rows"]} == {
        scene["home"]["machines"].pk,
        scene["away"]["machines"].pk,
    }
