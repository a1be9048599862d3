"""A member limited to some plants sees only those plants' purchase orders, order lines, receipts
and receipt lines, on the pages and over the API; another plant's is not found (404), like
another organization's, for reading and for every action on it. A member of every plant sees both."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.core.tests.support import assert_api_keeps_to_the_plant
from shopfloor.purchasing import services
from shopfloor.purchasing.tests.factories import sent_order

pytestmark = pytest.mark.django_db

API = "/api/v1/purchasing/"


@pytest.fixture
def scene(org, tenant, admin_user):
    """Plants HOME and AWAY, each with a sent order of one line, half of it received; `local`
    buys and receives at HOME only."""
    rows = {}
    for code in ("HOME", "AWAY"):
        order = sent_order(plant=PlantFactory(code=code))
        line = order.lines.get()
        receipt = services.receive(
            actor=admin_user, order=order, lines=[{"order_line": line.pk, "quantity": Decimal("5")}]
        )
        rows[code] = {
            "purchase-orders": order,
            "purchase-order-lines": line,
            "receipts": receipt,
            "receipt-lines": receipt.lines.get(),
        }
    local = member(org, ["*.view_*", "purchasing.*"], plants=[rows["HOME"]["receipts"].plant], username="lena")
    return {"home": rows["HOME"], "away": rows["AWAY"], "local": local}


def test_the_api_lists_only_the_users_plant_and_404s_another_plants_rows(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    assert_api_keeps_to_the_plant(
        api, local, API, home, away, ("purchase-orders", "purchase-order-lines", "receipts", "receipt-lines")
    )
    order, line = away["purchase-orders"], away["purchase-order-lines"]
    assert local.post(f"{API}purchase-orders/{order.pk}/close/", {}, format="json").status_code == 404
    receipt = {"lines": [{"order_line": line.pk, "quantity": "1"}]}
    assert local.post(f"{API}purchase-orders/{order.pk}/receive/", receipt, format="json").status_code == 404
    assert local.patch(f"{API}purchase-order-lines/{line.pk}/", {"quantity": "1"}, format="json").status_code == 404
    order.refresh_from_db()
    assert (order.status, order.receipts.count()) == ("partially_received", 1)  # nothing happened to it


def test_the_pages_show_only_the_users_plant_and_404_another_plants_rows(scene):
    home, away = scene["home"], scene["away"]
    web = Client()
    web.force_login(scene["local"])
    for kind, resource in (("order", "purchase-orders"), ("receipt", "receipts")):
        listed = web.get(reverse(f"purchasing:{kind}-list"))
        assert [row["object"].pk for row in listed.context["rows"]] == [home[resource].pk], kind
        assert web.get(reverse(f"purchasing:{kind}-detail", args=[home[resource].pk])).status_code == 200
        assert web.get(reverse(f"purchasing:{kind}-detail", args=[away[resource].pk])).status_code == 404
    order = away["purchase-orders"]
    for name in ("order-edit", "order-receive", "order-pdf"):
        assert web.get(reverse(f"purchasing:{name}", args=[order.pk])).status_code == 404, name
    assert web.post(reverse("purchasing:order-action", args=[order.pk, "close"])).status_code == 404
    assert web.post(reverse("purchasing:line-add", args=[order.pk]), {}).status_code == 404
    line = away["purchase-order-lines"]
    assert web.post(reverse("purchasing:line-remove", args=[line.pk])).status_code == 404
    order.refresh_from_db()
    assert (order.status, order.lines.count()) == ("partially_received", 1)
    form = web.get(reverse("purchasing:order-create")).context["form"]
    assert [p.code for p in form.fields["plant"].queryset] == ["HOME"]


def test_a_member_of_every_plant_sees_both(scene, admin_user):
    web = Client()
    web.force_login(admin_user)
    listed = web.get(reverse("purchasing:order-list"))
    assert {row["object"].pk for row in listed.context["rows"]} == {
        scene["home"]["purchase-orders"].pk,
        scene["away"]["purchase-orders"].pk,
    }
    assert web.get(reverse("purchasing:receipt-detail", args=[scene["away"]["receipts"].pk])).status_code == 200
