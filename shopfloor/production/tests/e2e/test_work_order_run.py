"""A work order in a real browser, from a customer's sales order to stock: open it from the
order, plan and release it (BOM and routing copied on), issue material by lot, run two job
cards, receive the output under a generated lot, pass QC and complete; then the genealogy
links the component lot to the new lot and the history shows every step."""

from __future__ import annotations

import pytest

from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.production.models import WorkOrder
from shopfloor.production.tests.factories import engineering_scene
from shopfloor.sales.tests.factories import confirmed_order

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_sales_order_to_stock_through_two_operations(transactional_db, live_server, new_page, admin_user, org):
    with tenancy.use(org, admin_user):
        scene = engineering_scene(stock=40, per_unit=2)
        order = confirmed_order(item=scene["product"], quantity=5, plant=scene["plant"])
        component = scene["component"]

    page = new_page()
    log_in(page, live_server.url, "alice")
    page.locator("#sidebar").get_by_role("link", name="Work orders").click()
    page.wait_for_url("**/production/work-orders/")
    page.get_by_role("link", name="From sales order…").click()
    page.select_option("#id_order", str(order.pk))
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    with tenancy.use(org, admin_user):
        wo = WorkOrder.objects.get(sales_order_line__order=order)
    assert wo.number in page.locator("h1").inner_text()
    assert "Opened" in page.locator(".messages").inner_text()

    page.locator(".wf-panel").get_by_role("button", name="Plan").click()
    page.wait_for_load_state()
    page.locator(".wf-panel").get_by_role("button", name="Release").click()
    page.wait_for_load_state()
    assert "Released" in page.locator(".page-actions").inner_text()
    assert page.locator("tr[data-operation]").count() == 2
    pick = page.locator(f"tr[data-component='{component.number}'] [data-pick]").inner_text()
    assert f"C-{component.number}" in pick

    row = page.locator(f"tr[data-component='{component.number}']")
    row.locator("select[name=location]").select_option(str(scene["store"].pk))
    row.get_by_role("button", name="Issue").click()
    page.wait_for_load_state()
    assert "Issued 10" in page.locator(".messages").inner_text()
    assert page.locator(f"tr[data-component='{component.number}'] [data-issued]").inner_text().strip() == "10"

    for sequence in (10, 20):
        page.locator(f"[data-start='{sequence}']").click()
        page.wait_for_load_state()
        assert page.locator(f"tr[data-operation='{sequence}']").get_attribute("data-status") == "in_progress"
        page.locator(f"[data-complete='{sequence}']").click()
        page.wait_for_load_state()
        assert f"Operation {sequence} completed: 5 good" in page.locator(".messages").inner_text()
    shot(page, "work-order-operations-done")

    form = page.locator("[data-output-form]")
    form.locator("select[name=location]").select_option(str(scene["store"].pk))
    form.locator("input[name=quantity]").fill("5")
    page.get_by_role("button", name="Receive into stock").click()
    page.wait_for_load_state()
    lot_number = f"L-{wo.number.replace('-', '')}-01"
    assert lot_number in page.locator(".messages").inner_text()
    assert lot_number in page.locator("[data-outputs]").inner_text()

    page.locator(".wf-panel").get_by_role("button", name="Send to QC").click()
    page.wait_for_load_state()
    page.locator(".wf-panel").get_by_role("button", name="Complete").click()
    page.wait_for_load_state()
    assert "Completed" in page.locator(".page-actions").inner_text()
    genealogy = page.locator("#genealogy [data-genealogy]").inner_text()
    assert f"C-{component.number}" in genealogy and lot_number in genealogy
    shot(page, "work-order-completed")

    page.locator("#genealogy").get_by_role("link", name=lot_number).click()
    page.wait_for_load_state()
    assert f"C-{component.number}" in page.locator("[data-genealogy]").inner_text()

    page.goto(f"{live_server.url}/production/work-orders/{wo.pk}/?tab=history")
    history = page.locator("main").inner_text()
    for expected in ("BOM and routing copied at release", "output received", "Transition"):
        assert expected in history, expected
