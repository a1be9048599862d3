"""A bit's trip in a real browser: a run reported from the rig, the return graded from the IADC
code lists, and the life page telling the whole story."""

from __future__ import annotations

import re

import pytest

from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.field.tests.factories import walk

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_record_a_run_then_return_the_bit_with_its_dull_grade(transactional_db, live_server, new_page, admin_user, org):
    with tenancy.use(org, admin_user):
        made = walk("in_field")
    asset, shelf = made["asset"], made["shelf"]
    base = live_server.url
    page = new_page()
    log_in(page, base, "alice")

    page.goto(f"{base}/field/?status=in_field")
    page.get_by_role("link", name=asset.number).click()
    page.wait_for_url(re.compile(rf".*/field/{asset.pk}/$"))

    # The morning report: 2150 m to 2900 m in 30 hours on bottom.
    page.get_by_role("link", name="Record a run").click()
    page.get_by_label("Depth in").fill("2150")
    page.get_by_label("Depth out").fill("2900")
    page.get_by_label("Hours on bottom").fill("30")
    page.get_by_role("button", name="Record a run").click()
    page.wait_for_url(re.compile(rf".*/field/{asset.pk}/$"))
    assert "750.00 m at 25.00 m/h" in page.locator(".messages").inner_text()

    # Back from the rig: a column left out is refused, nothing is written; then the full grade.
    page.get_by_role("link", name="Return with dull grade").click()
    page.get_by_label("Back to location").select_option(str(shelf.pk))
    for label, code in (
        ("Inner rows", "1"),
        ("Outer rows", "3"),
        ("Dull characteristic", "BT"),
        ("Location", "S"),
        ("Bearings/seals", "X"),
        ("Gauge", "1"),
        ("Other dull characteristic", "WT"),
    ):
        page.get_by_label(label, exact=True).select_option(code)
    page.get_by_role("button", name="Return with dull grade").click()
    assert page.locator("#field-reason_pulled .errorlist").is_visible()
    page.get_by_label("Reason pulled", exact=True).select_option("PR")
    shot(page, "field-return-graded")
    page.get_by_role("button", name="Return with dull grade").click()
    page.wait_for_url(re.compile(rf".*/field/{asset.pk}/$"))

    assert page.locator(".page-head .wf-badge").inner_text().strip() == "Returned"
    assert "1-3-BT-S-X-1-WT-PR" in page.locator("[data-testid=dull-grades]").inner_text()
    assert "25.00 m/h" in page.locator("[data-testid=runs]").inner_text()
    assert "field-return" in page.locator("[data-testid=moves]").inner_text()
    shot(page, "field-asset-life")
