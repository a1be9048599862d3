"""A member limited to some plants sees only those plants' work orders and what hangs off them
(job cards, material lines, time, issues, output, genealogy), on the pages and over the API;
another plant's order is not found (404), like another organization's. A member of every plant
sees both."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core.tests.factories import member
from shopfloor.core.tests.support import listed_ids
from shopfloor.production.models import MaterialIssue, TimeEntry, WorkOrderOutput
from shopfloor.production.tests.factories import GenealogyLinkFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/production/"


@pytest.fixture
def scene(org, tenant):
    """Two plants, each with an order run to the end (issued, worked, output received);
    `local` works at the first plant only."""
    rows = {}
    for side in ("home", "away"):
        link = GenealogyLinkFactory()
        wo = link.work_order
        rows[side] = {
            "work-orders": wo,
            "operations": wo.operations.order_by("sequence").first(),
            "materials": wo.materials.first(),
            "time-entries": TimeEntry.objects.filter(work_order=wo).order_by("id").first(),
            "material-issues": MaterialIssue.objects.filter(work_order=wo).first(),
            "outputs": WorkOrderOutput.objects.filter(work_order=wo).first(),
            "genealogy-links": link,
        }
    local = member(org, ["*.view_*", "production.*"], plants=[rows["home"]["work-orders"].plant], username="lena")
    return {**rows, "local": local}


def test_the_api_lists_only_the_users_plant_and_404s_another_plants_rows(scene, api_for, api):
    home, away = scene["home"], scene["away"]
    local = api_for(scene["local"])
    for resource in home:
        related = "" if resource == "work-orders" else "?work_order="
        everything = sorted(r["id"] for r in api.get(f"{API}{resource}/").json()["results"])
        assert home[resource].pk in everything and away[resource].pk in everything, resource
        listed = listed_ids(local.get(f"{API}{resource}/"))
        assert home[resource].pk in listed and away[resource].pk not in listed, resource
        if related:
            filtered = listed_ids(local.get(f"{API}{resource}/{related}{away['work-orders'].pk}"))
            assert filtered == [], resource
            assert home[resource].pk in listed_ids(local.get(f"{API}{resource}/{related}{home['work-orders'].pk}")), (
                resource
            )
        assert local.get(f"{API}{resource}/{home[resource].pk}/").status_code == 200, resource
        assert local.get(f"{API}{resource}/{away[resource].pk}/").status_code == 404, resource
        assert api.get(f"{API}{resource}/{away[resource].pk}/").status_code == 200, resource
    away_order = away["work-orders"].pk
    for sub in ("pick-list", "cost", "history", "transitions"):
        assert local.get(f"{API}work-orders/{away_order}/{sub}/").status_code == 404, sub
        assert local.get(f"{API}work-orders/{home['work-orders'].pk}/{sub}/").status_code == 200, sub
    # An action on another plant's row is not found before its permission or body is looked at.
    assert local.post(f"{API}work-orders/{away_order}/hold/", {"comment": "x"}, format="json").status_code == 404
    assert local.post(f"{API}operations/{away['operations'].pk}/pause/", {}, format="json").status_code == 404


def test_the_pages_show_only_the_users_plant_and_404_another_plants_order(scene):
    home, away = scene["home"]["work-orders"], scene["away"]["work-orders"]
    web = Client()
    web.force_login(scene["local"])
    listed = web.get(reverse("production:workorder-list"))
    assert [row["object"].pk for row in listed.context["rows"]] == [home.pk]
    assert web.get(reverse("production:workorder-detail", args=[home.pk])).status_code == 200
    assert web.get(reverse("production:workorder-detail", args=[away.pk])).status_code == 404
    assert web.get(reverse("production:workorder-edit", args=[away.pk])).status_code == 404
    form = web.get(reverse("production:workorder-create")).context["form"]
    assert [p.code for p in form.fields["plant"].queryset] == [home.plant.code]
    assert {loc.plant_id for loc in form.fields["issue_location"].queryset} == {home.plant_id}
    assert set(form.fields["parent"].queryset) == {home}
    op, line = scene["away"]["operations"], scene["away"]["materials"]
    assert web.post(reverse("production:operation-pause", args=[op.pk])).status_code == 404
    assert web.post(reverse("production:material-backflush", args=[line.pk]), {"backflush": "1"}).status_code == 404
    assert web.post(reverse("production:workorder-output", args=[away.pk]), {"quantity": "1"}).status_code == 404


def test_a_member_of_every_plant_sees_both(scene, admin_user):
    web = Client()
    web.force_login(admin_user)
    listed = web.get(reverse("production:workorder-list"))
    shown = {row["object"].pk for row in listed.context["rows"]}
    assert shown == {scene["home"]["work-orders"].pk, scene["away"]["work-orders"].pk}
    assert web.get(reverse("production:workorder-detail", args=[scene["away"]["work-orders"].pk])).status_code == 200
