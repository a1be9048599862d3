"""A member limited to some plants sees only the sales orders (and their lines) that ship from
those plants, on the pages and over the API; another plant's is not found (404), like another
organization's, for reading and for every action on it. A member of every plant sees both."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.core.tests.support import assert_api_keeps_to_the_plant
from shopfloor.sales.tests.factories import SalesOrderLineFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/sales/"


@pytest.fixture
def scene(org, tenant):
    """Plants HOME and AWAY, each with a draft order of one line; `local` sells from HOME only."""
    rows = {}
    for code in ("HOME", "AWAY"):
        line = SalesOrderLineFactory(order__plant=PlantFactory(code=code))
        rows[code] = {"orders": line.order, "order-lines": line}
    local = member(org, ["*.view_*", "sales.*"], plants=[rows["HOME"]["orders"].plant], username="lena")
    return {"home": rows["HOME"], "away": rows["AWAY"], "local": local}


def test_the_api_lists_only_the_users_plant_and_404s_another_plants_rows(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    assert_api_keeps_to_the_plant(api, local, API, home, away, ("orders", "order-lines"))
    order, line = away["orders"], away["order-lines"]
    assert local.post(f"{API}orders/{order.pk}/confirm/", {}, format="json").status_code == 404
    assert local.get(f"{API}orders/{order.pk}/atp/").status_code == 404
    assert local.patch(f"{API}order-lines/{line.pk}/", {"quantity": "1"}, format="json").status_code == 404
    assert local.delete(f"{API}order-lines/{line.pk}/").status_code == 404
    order.refresh_from_db()
    assert (order.status, order.lines.count()) == ("draft", 1)  # nothing happened to it


def test_the_pages_show_only_the_users_plant_and_404_another_plants_rows(scene):
    home, away = scene["home"], scene["away"]
    web = Client()
    web.force_login(scene["local"])
    listed = web.get(reverse("sales:order-list"))
    assert [row["object"].pk for row in listed.context["rows"]] == [home["orders"].pk]
    assert web.get(reverse("sales:order-detail", args=[home["orders"].pk])).status_code == 200
    order, line = away["orders"], away["order-lines"]
    for name in ("order-detail", "order-edit", "line-add"):
        assert web.get(reverse(f"sales:{name}", args=[order.pk])).status_code == 404, name
    assert web.post(reverse("sales:order-ship", args=[order.pk])).status_code == 404
    assert web.get(reverse("sales:line-ship", args=[line.pk])).status_code == 404
    assert web.post(reverse("sales:line-delete", args=[line.pk])).status_code == 404
    order.refresh_from_db()
    assert (order.status, order.lines.count()) == ("draft", 1)
    form = web.get(reverse("sales:order-create")).context["form"]
    assert [p.code for p in form.fields["plant"].queryset] == ["HOME"]


def test_a_member_of_every_plant_sees_both(scene, admin_user):
    web = Client()
    web.force_login(admin_user)
    listed = web.get(reverse("sales:order-list"))
    assert {row["object"].pk for row in listed.context["rows"]} == {
        scene["home"]["orders"].pk,
        scene["away"]["orders"].pk,
    }
