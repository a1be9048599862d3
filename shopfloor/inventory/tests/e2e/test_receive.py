"""Receiving stock in a real browser, the way a storekeeper with a scanner does it."""

from __future__ import annotations

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory.tests.factories import LocationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_receive_stock_and_see_the_balance_and_the_ledger_line(
    transactional_db, live_server, new_page, admin_user, org
):
    with tenancy.use(org, admin_user):
        plant = PlantFactory(code="HOU")
        LocationFactory(plant=plant, code="RCV-01", name="Receiving dock")
        ItemFactory(number="CUTTER-13", name="PDC cutter 13 mm")

    page = new_page()
    log_in(page, live_server.url, "alice")
    page.locator("#sidebar").get_by_role("link", name="Receive").click()
    page.wait_for_url("**/inventory/receive/")

    # The scanner types each code and presses Enter: the cursor goes on to the next field that is
    # still needed, and the last Enter posts.
    assert page.evaluate("document.activeElement.name") == "location"
    page.keyboard.type("RCV-01")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "item"
    page.keyboard.type("CUTTER-13")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "quantity"
    page.keyboard.type("40")
    shot(page, "inventory-receive-scanned")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Received 40" in page.locator(".messages").inner_text()
    assert page.evaluate("document.activeElement.name") == "location"  # ready for the next scan
    assert "CUTTER-13" in page.locator("table.ledger").inner_text()

    page.locator("#sidebar").get_by_role("link", name="Balances").click()
    row = page.locator("table tbody tr", has_text="CUTTER-13")
    assert "RCV-01" in row.inner_text() and "40" in row.inner_text()

    page.locator("#sidebar").get_by_role("link", name="Ledger").click()
    line = page.locator("tr.move-row", has_text="CUTTER-13")
    assert line.count() == 1
    text = line.inner_text()
    assert "Receipt" in text and "V-SUPPLIER" in text and "RCV-01" in text and "40" in text
    shot(page, "inventory-ledger")
