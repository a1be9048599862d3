"""BOM pages: the editor validates a line as it is added (htmx), release, tree, roll-up, diff, panels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.catalog import services
from shopfloor.catalog.models import BomLine, BomVersion, Unit
from shopfloor.core import tenancy
from shopfloor.workflows import services as workflow_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def viewer(viewer_user) -> Client:
    client = Client()
    client.force_login(viewer_user)
    return client


@pytest.fixture
def parts(org, admin_user):
    services.install_standard_units(org, admin_user)
    with tenancy.use(org, admin_user):
        units = {u.code: u for u in Unit.objects.all()}
        made = {}
        for number, unit, cost in (("PUMP", "ea", "0"), ("SHAFT", "ea", "0"), ("BAR", "m", "20")):
            item = services.create_item(
                actor=admin_user,
                data={"number": number, "name": number.title(), "stock_unit": units[unit], "standard_cost": cost},
            )
            workflow_services.transition(item, "active", admin_user)
            made[number] = item
        made["units"] = units
        return made


def test_the_editor_adds_a_line_and_shows_a_refused_one_on_its_form(admin, parts, org, admin_user):
    pump = parts["PUMP"]
    response = admin.post(reverse("catalog:bom-versions", args=[pump.pk]))
    with tenancy.use(org, admin_user):
        version = BomVersion.objects.get(item=pump)
    assert response.url == reverse("catalog:bom-editor", args=[version.pk])
    url = reverse("catalog:bom-line-add", args=[version.pk])
    htmx = {"HTTP_HX_REQUEST": "true"}

    refused = admin.post(url, {"component": "SHAFT", "quantity": "1", "unit": parts["units"]["kg"].pk}, **htmx)
    assert refused.status_code == 200
    assert 'id="bom-lines"' in refused.text and "no conversion" in refused.text
    missing = admin.post(url, {"component": "NOPE", "quantity": "1"}, **htmx)
    assert "No item numbered NOPE" in missing.text

    added = admin.post(url, {"component": "BAR", "quantity": "250", "unit": parts["units"]["mm"].pk}, **htmx)
    assert "BAR" in added.text and "250 mm" in added.text
    with tenancy.use(org, admin_user):
        line = BomLine.objects.get(version=version)
    assert (line.quantity, line.unit.code) == (Decimal("250"), "mm")

    edit = admin.get(reverse("catalog:bom-line", args=[version.pk, line.pk]), **htmx)
    assert "Change line 10" in edit.text
    admin.post(reverse("catalog:bom-line", args=[version.pk, line.pk]), {"component": "BAR", "quantity": "0.5"}, **htmx)
    with tenancy.use(org, admin_user):
        line.refresh_from_db()
    assert (line.quantity, line.unit.code) == (Decimal("0.5"), "m")

    admin.post(reverse("catalog:bom-release", args=[version.pk]))
    with tenancy.use(org, admin_user):
        assert BomVersion.objects.get(pk=version.pk).status == "released"
    page = admin.get(reverse("catalog:bom-editor", args=[version.pk]))
    assert "copy it to a new draft" in page.text and 'id="bom-line-form"' not in page.text
    late = admin.post(url, {"component": "SHAFT", "quantity": "1"}, **htmx)
    assert "only drafts change" in late.text


def _released_pump(parts, org, admin_user) -> BomVersion:
    with tenancy.use(org, admin_user):
        version = services.create_bom_version(actor=admin_user, item=parts["PUMP"])
        services.save_bom_line(
            actor=admin_user,
            version=version,
            data={"component": parts["BAR"], "quantity": Decimal("250"), "unit": parts["units"]["mm"]},
        )
        return services.release_bom_version(actor=admin_user, version=version)


def test_reading_pages_show_the_tree_cost_diff_and_where_used(viewer, parts, org, admin_user):
    version = _released_pump(parts, org, admin_user)
    with tenancy.use(org, admin_user):
        draft = services.copy_bom_version(actor=admin_user, version=version)
        services.save_bom_line(
            actor=admin_user, version=draft, data={"quantity": Decimal("500")}, line=draft.lines.get()
        )

    tree = viewer.get(reverse("catalog:bom-explode", args=[version.pk]), {"quantity": "4"})
    assert tree.status_code == 200 and 'data-extended="1.000000"' in tree.text
    rollup = viewer.get(reverse("catalog:bom-rollup", args=[version.pk]), {"quantity": "4"})
    assert "20.000000" in rollup.text
    diff = viewer.get(reverse("catalog:bom-diff", args=[draft.pk]), {"other": version.pk})
    assert "Changed quantity" in diff.text and "500.000000" in diff.text
    used = viewer.get(reverse("catalog:bom-where-used", args=[parts["BAR"].pk]), {"levels": "all"})
    assert "PUMP" in used.text
    versions = viewer.get(reverse("catalog:bom-versions", args=[parts["PUMP"].pk]))
    assert "v2" in versions.text and "New draft version" not in versions.text


def test_item_page_panels_show_the_released_tree_and_where_used(viewer, parts, org, admin_user):
    _released_pump(parts, org, admin_user)
    bom = viewer.get(reverse("catalog:item-panel", args=[parts["PUMP"].pk, "bom"]))
    assert bom.status_code == 200 and "BAR" in bom.text and "Released v1" in bom.text
    used = viewer.get(reverse("catalog:item-panel", args=[parts["BAR"].pk, "where-used"]))
    assert used.status_code == 200 and "PUMP" in used.text


def test_a_viewer_cannot_change_a_bom(viewer, parts, org, admin_user):
    with tenancy.use(org, admin_user):
        version = services.create_bom_version(actor=admin_user, item=parts["PUMP"])
    response = viewer.post(reverse("catalog:bom-line-add", args=[version.pk]), {"component": "BAR", "quantity": "1"})
    assert response.status_code == 403
    assert viewer.post(reverse("catalog:bom-release", args=[version.pk])).status_code == 403
