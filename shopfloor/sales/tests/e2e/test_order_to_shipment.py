"""A sales order in a real browser: create it, add a line, confirm it through the workflow
panel (stock is reserved), then ship the line from the shelf."""

from __future__ import annotations

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory import services as inventory
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_create_confirm_and_ship_an_order(transactional_db, live_server, new_page, admin_user, org):
    with tenancy.use(org, admin_user):
        plant = PlantFactory(code="STV", name="Stavanger")
        shelf = LocationFactory(plant=plant, code="FG-01", name="Finished goods")
        bit = ItemFactory(number="PDC-8.5", name="PDC bit 8 1/2in", status="active")
        inventory.receive(actor=admin_user, item=bit, quantity=5, location=shelf)
        customer = CustomerFactory(name="Northern Drilling")

    page = new_page()
    log_in(page, live_server.url, "alice")
    page.locator("#sidebar").get_by_role("link", name="Sales orders").click()
    page.wait_for_url("**/sales/")
    page.get_by_role("link", name="New").first.click()
    page.select_option("#id_plant", str(plant.pk))
    page.select_option("#id_customer", str(customer.pk))
    page.fill("#id_customer_reference", "PO-4711")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "add its lines" in page.locator(".messages").inner_text()

    page.select_option("#id_item", str(bit.pk))
    page.fill("#id_quantity", "3")
    page.fill("#id_unit_price", "2500")
    page.fill("#id_due_date", "2030-06-01")
    page.get_by_role("button", name="Add line").click()
    page.wait_for_load_state()
    row = page.locator("tr[data-line='10']")
    assert "PDC-8.5" in row.inner_text()
    assert "Free stock" in row.locator("[data-atp]").inner_text()

    page.locator(".wf-panel").get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert page.locator("tr[data-line='10'] [data-reserved]").inner_text().strip() == "3"
    shot(page, "sales-order-confirmed")

    page.locator("tr[data-line='10']").get_by_role("link", name="Ship…").click()
    page.select_option("#id_location", str(shelf.pk))
    page.fill("#id_quantity", "2")
    page.get_by_role("button", name="Ship").click()
    page.wait_for_load_state()
    assert "Shipped on" in page.locator(".messages").inner_text()
    assert "2 / 3" in page.locator("tr[data-line='10'] [data-shipped]").inner_text()
    assert "Partially shipped" in page.locator(".page-actions").inner_text()
    shot(page, "sales-order-partially-shipped")
