"""The shell in a real browser: log in, switch theme, create a plant, find it in its history."""

from __future__ import annotations

import pytest

from shopfloor.core.tests.browser import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_log_in_switch_theme_create_plant_and_see_its_history(transactional_db, live_server, page, admin_user):
    base = live_server.url
    log_in(page, base, "alice")
    assert page.locator("h1").first.inner_text() == "Acme Bits"
    html = page.locator("html")
    assert html.get_attribute("data-theme") == "light"

    # The toggle flips the page at once and saves the choice, so it survives a reload.
    with page.expect_response(lambda r: r.url.endswith("/theme/") and r.request.method == "POST") as saved:
        page.locator("[data-theme-toggle]").click()
        assert html.get_attribute("data-theme") == "dark"
    assert saved.value.status == 204
    page.reload()
    assert page.locator("html").get_attribute("data-theme") == "dark"

    page.locator("#sidebar").get_by_role("link", name="Plants").click()
    page.get_by_role("link", name="+ New").click()
    page.get_by_label("Code").fill("HOU")
    page.get_by_label("Name").fill("Houston yard")
    page.get_by_label("Timezone").fill("America/Chicago")
    shot(page, "plant-form-dark")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/plants/*/")
    assert "HOU Houston yard" in page.locator("h1").inner_text()

    page.get_by_role("link", name="History").click()
    page.wait_for_url("**/?tab=history")
    history = page.locator("table.history")
    assert "Create" in history.inner_text()
    assert "HOU" in [text.strip() for text in history.locator("ins").all_inner_texts()]
    assert "America/Chicago" in history.inner_text()
    shot(page, "plant-history-dark")

    # Back to light, then the same page at tablet width with the menu opened.
    page.locator("[data-theme-toggle]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("data-theme") == "light"
    shot(page, "plant-history-light")
    page.set_viewport_size({"width": 800, "height": 1100})
    page.get_by_role("button", name="Menu").click()
    assert page.locator("#sidebar").is_visible()
    shot(page, "tablet-menu-light")
