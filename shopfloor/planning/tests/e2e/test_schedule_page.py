"""The schedule page in a real browser: a planner reschedules and sees the Gantt bars."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.planning.tests.schedule_scene import plant_scene, released_work_order, routed_item

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_reschedule_from_the_page_and_see_the_gantt_bars(transactional_db, live_server, new_page, admin_user, org):
    with tenancy.use(org, admin_user):
        scene = plant_scene()
        item = routed_item(scene, [(scene.lathes, "30", "6"), (scene.mills, "15", "3")])
        orders = [released_work_order(scene, item, due=timezone.localdate() + dt.timedelta(days=d)) for d in (2, 3)]
    # Load the URLconf (every app's API and pages) here, not in the server's first request, which
    # a loaded machine would otherwise spend past the browser's navigation timeout.
    assert reverse("planning:schedule") == "/planning/schedule/"
    base = live_server.url
    page = new_page()
    page.set_viewport_size({"width": 800, "height": 1000})  # a tablet
    log_in(page, base, "alice")

    page.goto(f"{base}/planning/schedule/?plant={scene.plant.pk}")
    assert "No schedule yet" in page.content()
    page.get_by_label("Time limit (s)").fill("3")
    page.get_by_role("button", name="Reschedule").click()

    page.wait_for_selector("svg.gantt .gantt-bar")
    assert page.locator("#schedule-status").get_attribute("data-status") == "done"
    assert page.locator("svg.gantt .gantt-bar").count() == 4
    rows = page.locator("svg.gantt .gantt-row")
    assert {rows.nth(i).get_attribute("data-row") for i in range(rows.count())} <= {
        scene.lathe_1.code,
        scene.lathe_2.code,
        scene.mill_1.code,
    }
    shot(page, "planning-schedule-machines")

    page.get_by_role("link", name="Per order").click()
    page.wait_for_selector(f"svg.gantt .gantt-row[data-row='{orders[0].number}']")
    assert page.locator("svg.gantt .gantt-row").count() == 2
    assert page.locator("[data-operations]").inner_text() == "4"
    shot(page, "planning-schedule-orders")
