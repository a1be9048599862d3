"""A two-level BOM built in a real browser: assembly -> sub-assembly -> part, released, exploded."""

from __future__ import annotations

import re

import pytest

from shopfloor.catalog import services
from shopfloor.catalog.models import Unit
from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.workflows import services as workflow_services

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _items(org, admin_user) -> dict:
    services.install_standard_units(org, admin_user)
    with tenancy.use(org, admin_user):
        units = {u.code: u for u in Unit.objects.all()}
        made = {}
        for number, name, unit in (
            ("PUMP-100", "Mud pump assembly", "ea"),
            ("SHAFT-20", "Drive shaft", "ea"),
            ("BAR-4140", "4140 round bar 50 mm", "m"),
        ):
            item = services.create_item(
                actor=admin_user, data={"number": number, "name": name, "stock_unit": units[unit]}
            )
            workflow_services.transition(item, "active", admin_user)
            made[number] = item
        return made


def _build_and_release(page, base: str, item, lines: list[tuple[str, str, str]]) -> None:
    """From the item page: versions -> new draft -> add lines with htmx -> release."""
    page.goto(f"{base}/catalog/items/{item.pk}/")
    page.locator("#panel-bom").get_by_role("link", name="All versions").click()
    page.get_by_role("button", name="New draft version").click()
    page.wait_for_url(re.compile(r".*/catalog/bom/\d+/$"))
    for number, quantity, unit in lines:
        form = page.locator("#bom-line-form")
        form.get_by_label("Component").fill(number)
        form.get_by_label("Quantity per").fill(quantity)
        form.get_by_label("Unit", exact=True).select_option(label=unit)
        form.get_by_role("button", name="Add line").click()
        page.locator("#bom-line-table").get_by_role("link", name=number).wait_for()
    page.get_by_role("button", name="Release").click()
    page.wait_for_load_state()
    assert "released" in page.locator(".messages").inner_text()


def test_a_two_level_bom_is_built_released_and_exploded(transactional_db, live_server, new_page, admin_user, org):
    base = live_server.url
    items = _items(org, admin_user)
    page = new_page()
    log_in(page, base, "alice")

    # The sub-assembly first; a line in a unit the bar cannot convert to is refused on the form.
    page.goto(f"{base}/catalog/items/{items['SHAFT-20'].pk}/")
    page.locator("#panel-bom").get_by_role("link", name="All versions").click()
    page.get_by_role("button", name="New draft version").click()
    page.wait_for_url(re.compile(r".*/catalog/bom/\d+/$"))
    form = page.locator("#bom-line-form")
    form.get_by_label("Component").fill("BAR-4140")
    form.get_by_label("Quantity per").fill("250")
    form.get_by_label("Unit", exact=True).select_option(label="kg")
    form.get_by_role("button", name="Add line").click()
    error = page.locator("#bom-line-form .errorlist")
    error.wait_for()
    assert "no conversion" in error.inner_text()
    shot(page, "bom-editor-line-refused")
    form = page.locator("#bom-line-form")
    form.get_by_label("Unit", exact=True).select_option(label="mm")
    form.get_by_role("button", name="Add line").click()
    page.locator("#bom-line-table").get_by_role("link", name="BAR-4140").wait_for()
    assert "250 mm" in page.locator("#bom-line-table").inner_text()
    page.get_by_role("button", name="Release").click()
    page.wait_for_load_state()
    assert page.locator(".page-head .wf-badge").inner_text().strip() == "Released"

    # Then the assembly: two shafts.
    _build_and_release(page, base, items["PUMP-100"], [("SHAFT-20", "2", "ea")])
    shot(page, "bom-editor-released")

    # The explosion for three pumps: 6 shafts, 6 x 0.25 m = 1.5 m of bar.
    page.get_by_role("link", name="Explosion").click()
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Explode").click()
    page.wait_for_load_state()
    tree = page.locator("#bom-tree")
    shaft = tree.locator('.bom-row[data-number="SHAFT-20"]')
    bar = tree.locator('.bom-row[data-number="BAR-4140"]')
    assert shaft.get_attribute("data-extended") == "6.000000"
    assert bar.get_attribute("data-extended") == "1.500000"
    assert "1.500000 m" in bar.inner_text()
    assert bar.is_visible()
    shot(page, "bom-explosion")

    # Collapse the shaft's branch: the bar is hidden, expand again: shown.
    shaft.click()
    assert not bar.is_visible()
    shaft.click()
    assert bar.is_visible()

    # The item page shows the released tree in its BOM panel.
    page.goto(f"{base}/catalog/items/{items['PUMP-100'].pk}/")
    panel = page.locator("#panel-bom")
    panel.locator('.bom-row[data-number="BAR-4140"]').wait_for()
    assert "Released v1" in panel.inner_text()
