"""The /floor/ terminal in a real browser, driven the way a scanner drives it: typed codes and
Enter, nothing clicked. After every action the cursor must be back where the next scan goes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.inventory.models import StockBalance
from shopfloor.production.tests.factories import released_order

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def scan(page, text: str) -> None:
    """What a keyboard-wedge scanner does: type the code, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name")


def expect_focus(page, name: str) -> None:
    """The field `name` gets the focus (the terminal moves it after the htmx swap settles)."""
    try:
        page.wait_for_function(
            "n => document.activeElement && document.activeElement.name === n", arg=name, timeout=10_000
        )
    except Exception:  # noqa: BLE001  (report what has the focus instead of a bare timeout)
        raise AssertionError(f"focus is on {focused(page)!r}, not {name!r}") from None


def test_scan_start_issue_and_complete_with_the_keyboard_only(transactional_db, live_server, new_page, admin_user, org):
    with tenancy.use(org, admin_user):
        wo = released_order(quantity=10, per_unit=2, stock=100)
        lot = wo.materials.get().component.lots.get()
        store = wo.issue_location
        op10 = wo.operations.get(sequence=10)

    page = new_page()
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/floor/")
    expect_focus(page, "code")

    scan(page, wo.number)
    expect(page.locator("#terminal h1")).to_contain_text(wo.number)
    expect_focus(page, "code")

    scan(page, f"{wo.number}/10")
    expect(page.locator("[data-operation-status]")).to_have_text("Pending")
    expect(page.locator("#terminal h1")).to_contain_text(f"{wo.number} / 10")
    expect_focus(page, "code")

    scan(page, "START")
    expect(page.locator(".messages")).to_contain_text("Operation 10 started.")
    expect(page.locator("[data-operation-status]")).to_have_text("In progress")
    expect_focus(page, "code")

    # A lot label: the issue form opens with what the order still needs, the cursor on the quantity.
    scan(page, f"LOT:{lot.item.number}:{lot.number}")
    quantity = page.locator("[data-step-form] input[name=quantity]")
    expect(quantity).to_have_value("20")
    expect_focus(page, "quantity")
    shot(page, "floor-terminal-issue")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text(f"Issued 20 {lot.item.stock_unit.code} of {lot.item.number}")
    expect_focus(page, "code")

    scan(page, "COMPLETE")
    expect(page.locator("[data-step-form] input[name=good]")).to_be_visible()
    expect_focus(page, "good")
    scan(page, "8")
    expect_focus(page, "scrap")
    scan(page, "2")
    expect_focus(page, "scrap_reason")  # scrap needs its reason next
    page.keyboard.type("Material")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Operation 10 completed: 8 good, 2 scrap.")
    expect(page.locator("[data-operation-status]")).to_have_text("Completed")
    expect_focus(page, "code")
    shot(page, "floor-terminal-completed")

    # Reload shows the same job card (the address followed the panel).
    assert page.url.endswith(f"/floor/operations/{op10.pk}/")

    with tenancy.use(org, admin_user):
        op = wo.operations.get(pk=op10.pk)
        assert (op.status, op.good_quantity, op.scrap_quantity, op.scrap_reason) == ("completed", 8, 2, "material")
        assert StockBalance.objects.get(item=lot.item, location=store, lot=lot).on_hand == 80
        material = wo.materials.get()
        assert material.issued_quantity == 20
