"""Browser-test plugin: Playwright's sync API driving Debian's Chromium against pytest-django's
live server. Loaded by the root conftest, so every app's `tests/e2e/` shares these fixtures.

    def test_something(transactional_db, live_server, page, admin_user):
        log_in(page, live_server.url, "alice")
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("SHOPFLOOR_SCREENSHOTS", "")


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise
    # refuse to run beside it even though every call here is synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """new_page() -> a page in a fresh browser context (own cookies: one per logged-in user)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def shot(page, name: str) -> None:
    """Screenshots for a person to look at, only when SHOPFLOOR_SCREENSHOTS names a directory."""
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def log_in(page, base_url: str, username: str, password: str | None = None) -> None:
    from shopfloor.core.tests.factories import PASSWORD

    page.goto(f"{base_url}/login/")
    shot(page, "login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")
