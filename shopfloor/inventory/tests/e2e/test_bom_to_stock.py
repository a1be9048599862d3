"""One walk in a real browser from engineering data to stock: a two-level BOM is built in the
editor, released and exploded, then a storekeeper with a scanner receives one of its components
and the item page shows the stock and the ledger line.

It lives with inventory because inventory sits above catalog: it may use both apps' pages.
"""

from __future__ import annotations

import re

import pytest

from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.models import Unit
from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.workflows import services as workflow_services

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _items(org, admin_user) -> dict:
    catalog_services.install_standard_units(org, admin_user)
    with tenancy.use(org, admin_user):
        units = {u.code: u for u in Unit.objects.all()}
        made = {}
        for number, name, unit in (
            ("PUMP-100", "Mud pump assembly", "ea"),
            ("SHAFT-20", "Drive shaft", "ea"),
            ("BAR-4140", "4140 round bar 50 mm", "m"),
        ):
            item = catalog_services.create_item(
                actor=admin_user, data={"number": number, "name": name, "stock_unit": units[unit]}
            )
            workflow_services.transition(item, "active", admin_user)
            made[number] = item
        plant = PlantFactory(code="HOU")
        LocationFactory(plant=plant, code="RCV-01", name="Receiving dock")
        return made


def _new_draft(page, base: str, item) -> None:
    """From the item page: its BOM panel -> all versions -> a new draft in the editor."""
    page.goto(f"{base}/catalog/items/{item.pk}/")
    page.locator("#panel-bom").get_by_role("link", name="All versions").click()
    page.get_by_role("button", name="New draft version").click()
    page.wait_for_url(re.compile(r".*/catalog/bom/\d+/$"))


def _add_line(page, number: str, quantity: str, unit: str) -> None:
    form = page.locator("#bom-line-form")
    form.get_by_label("Component").fill(number)
    form.get_by_label("Quantity per").fill(quantity)
    form.get_by_label("Unit", exact=True).select_option(label=unit)
    form.get_by_role("button", name="Add line").click()


def _release(page) -> None:
    page.get_by_role("button", name="Release").click()
    page.wait_for_load_state()
    assert "released" in page.locator(".messages").inner_text()
    assert page.locator(".page-head .wf-badge").inner_text().strip() == "Released"


def test_build_a_two_level_bom_then_receive_a_component_and_see_its_stock(
    transactional_db, live_server, new_page, admin_user, org
):
    base = live_server.url
    items = _items(org, admin_user)
    page = new_page()
    log_in(page, base, "alice")

    # The sub-assembly first: a line in a unit the bar cannot convert to is refused on the form
    # (htmx swaps the form back with the message), then 250 mm of bar per shaft is taken.
    _new_draft(page, base, items["SHAFT-20"])
    _add_line(page, "BAR-4140", "250", "kg")
    error = page.locator("#bom-line-form .errorlist")
    error.wait_for()
    assert "no conversion" in error.inner_text()
    shot(page, "bom-editor-line-refused")
    _add_line(page, "BAR-4140", "250", "mm")
    page.locator("#bom-line-table").get_by_role("link", name="BAR-4140").wait_for()
    assert "250 mm" in page.locator("#bom-line-table").inner_text()
    _release(page)

    # Then the assembly: two shafts a pump.
    _new_draft(page, base, items["PUMP-100"])
    _add_line(page, "SHAFT-20", "2", "ea")
    page.locator("#bom-line-table").get_by_role("link", name="SHAFT-20").wait_for()
    _release(page)
    shot(page, "bom-editor-released")

    # The explosion for three pumps: 6 shafts, 6 x 0.25 m = 1.5 m of bar; a branch collapses.
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
    shot(page, "bom-explosion")
    shaft.click()
    assert not bar.is_visible()
    shaft.click()
    assert bar.is_visible()

    # The storekeeper receives the bar with a scanner: each code and Enter moves the cursor on
    # to the next field still needed, and the last Enter posts.
    page.locator("#sidebar").get_by_role("link", name="Receive").click()
    page.wait_for_url("**/inventory/receive/")
    assert page.evaluate("document.activeElement.name") == "location"
    page.keyboard.type("RCV-01")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "item"
    page.keyboard.type("BAR-4140")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "quantity"
    page.keyboard.type("12.5")
    shot(page, "inventory-receive-scanned")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Received 12.5" in page.locator(".messages").inner_text()
    assert page.evaluate("document.activeElement.name") == "location"  # ready for the next scan

    # The bar's item page: the released BOM of the shaft uses it, and the stock panel and the
    # ledger panel (loaded by htmx) show the receipt on the dock.
    page.goto(f"{base}/catalog/items/{items['BAR-4140'].pk}/")
    stock = page.locator("#panel-stock")
    stock.locator("tbody tr", has_text="RCV-01").wait_for()
    row = stock.locator("tbody tr", has_text="RCV-01").inner_text()
    assert "12.5" in row
    assert "12.5" in stock.locator("tfoot").inner_text()
    move = page.locator("#panel-ledger tr.move-row", has_text="RCV-01")
    move.wait_for()
    assert move.count() == 1
    assert "Receipt" in move.inner_text() and "12.5 m" in move.inner_text()
    shot(page, "item-stock-after-receipt")

    # And the pump's page still shows its released tree, the bar two levels down.
    page.goto(f"{base}/catalog/items/{items['PUMP-100'].pk}/")
    panel = page.locator("#panel-bom")
    panel.locator('.bom-row[data-number="BAR-4140"]').wait_for()
    assert "Released v1" in panel.inner_text()
