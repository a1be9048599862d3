"""MRP in a real browser: a planner runs MRP for a small plant (eager Celery), sees the result,
opens the product's page, firms its planned work order and opens the new work order."""

from __future__ import annotations

import datetime as dt
import urllib.request

import pytest
from django.utils import timezone

from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.planning.models import MrpRun, PlannedOrder
from shopfloor.production.models import WorkOrder
from shopfloor.production.tests.factories import engineering_scene
from shopfloor.resources.models import WorkingCalendar
from shopfloor.resources.tests.factories import ShiftPatternFactory
from shopfloor.sales.tests.factories import confirmed_order

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_run_mrp_open_an_item_and_firm_its_planned_work_order(transactional_db, live_server, new_page, admin_user, org):
    with tenancy.use(org, admin_user):
        scene = engineering_scene(stock=None, per_unit=2)
        for calendar in WorkingCalendar.objects.all():  # MRP offsets lead times on working days
            for weekday in range(5):
                ShiftPatternFactory(calendar=calendar, weekday=weekday, start_time=dt.time(7), end_time=dt.time(15))
        confirmed_order(
            item=scene["product"],
            quantity=5,
            plant=scene["plant"],
            due_date=timezone.localdate() + dt.timedelta(days=30),
        )
    product, plant = scene["product"], scene["plant"]
    base = live_server.url
    # The server thread loads the URLconf (every app, the solver's libraries) on its first
    # request; on a loaded machine that alone can outlast the browser's timeout.
    urllib.request.urlopen(f"{base}/login/", timeout=120).read()
    page = new_page()
    page.set_default_timeout(60_000)  # running MRP happens inside the request (eager Celery)
    log_in(page, base, "alice")

    page.goto(f"{base}/planning/mrp/")
    form = page.locator("#run-mrp")
    form.locator("select[name=plant]").select_option(str(plant.pk))
    form.locator("input[name=horizon_days]").fill("90")
    form.get_by_role("button", name="Run MRP").click()
    status = page.wait_for_selector("#mrp-status[data-status=done], #mrp-status[data-status=failed]")
    assert status.get_attribute("data-status") == "done", status.inner_text()
    with tenancy.use(org, admin_user):
        run = MrpRun.objects.get()
    assert page.locator("[data-make]").inner_text() == "1"
    assert page.locator("[data-buy]").inner_text() == "1"

    page.get_by_role("link", name="Results by item").click()
    page.locator(f"#mrp-items tr[data-item='{product.number}'] a").click()
    page.wait_for_selector("#time-phased")
    assert "sales order" in page.locator("#pegging").inner_text()
    with tenancy.use(org, admin_user):
        planned = PlannedOrder.objects.get(run=run, item=product)
    page.get_by_label(f"Select planned order {planned.pk}").check()
    shot(page, "mrp-item-before-firming")
    page.get_by_role("button", name="Firm selected").click()
    page.wait_for_selector(".messages")
    with tenancy.use(org, admin_user):
        wo = WorkOrder.objects.get(item=product)
    assert f"Firmed 1 planned order(s): {wo.number}" in page.locator(".messages").inner_text()
    page.locator(f"tr[data-planned-order='{planned.pk}'] [data-work-order]").click()
    page.wait_for_url(f"**/production/work-orders/{wo.pk}/")
    assert wo.number in page.locator("h1").inner_text()
    assert wo.quantity == 5 and wo.status == "draft"
