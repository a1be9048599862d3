"""In a real browser: from the menu to a control chart of Montgomery's orange juice data, with the
two out-of-control samples excluded, then a mistake shown on its field."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shopfloor.core.tests.browser import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
DATA = Path(__file__).resolve().parent.parent / "data"


def test_paste_orange_juice_data_and_see_the_p_chart(transactional_db, live_server, page, admin_user):
    with open(DATA / "orangejuice.csv", newline="") as f:
        rows = list(csv.DictReader(f))[:30]
    base = live_server.url
    page.set_default_timeout(60_000)  # a bound for a loaded shared machine, not a timing assertion
    log_in(page, base, "alice")
    page.locator("#sidebar").get_by_role("link", name="SPC").click()
    page.wait_for_url("**/quality/spc/")

    page.get_by_label("Chart").select_option("p")
    page.get_by_label("Measurements or counts").fill("\n".join(r["defectives"] for r in rows))
    page.get_by_label("Sample sizes / units").fill("\t".join(r["sample_size"] for r in rows))
    page.get_by_label("Exclude samples").fill("15, 23")
    page.get_by_role("button", name="Compute chart").click()
    page.wait_for_load_state()

    result = page.locator("#spc-result")
    # Montgomery Example 7.1, revised limits.
    assert "Center line 0.215" in result.inner_text()
    assert "UCL 0.389297" in result.inner_text()
    chart = result.locator("svg.control-chart")
    assert chart.locator("circle.point").count() == 30
    flagged = chart.locator("circle.flagged")
    # Beyond the limits: 15, 21, 23; the zone rules add 22 (2 of 3 beyond 2 sigma) and 24 (4 of 5).
    assert sorted(flagged.evaluate_all("els => els.map(e => +e.dataset.sample)")) == [15, 21, 22, 23, 24]
    table = page.locator("#spc-violations").inner_text()
    assert "nelson_1\tOne point beyond 3 sigma (a control limit)\t15, 21, 23" in table
    assert "we_3" in table and "24" in table
    # The form keeps the figures for another try.
    assert page.get_by_label("Exclude samples").input_value() == "15, 23"
    shot(page, "spc-p-chart")

    page.get_by_label("Sample sizes / units").fill("50")
    page.get_by_role("button", name="Compute chart").click()
    page.wait_for_load_state()
    error = page.locator("#field-sizes .errorlist")
    assert "30 defectives but 1 sample_size" in error.inner_text()
    assert page.locator("#spc-result").count() == 0
