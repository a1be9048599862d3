"""One walk in a real browser: a receiving inspection recorded failing opens an NCR, which is
investigated, dispositioned (part scrapped, the rest used as is under a concession approved by
a second person: its requester is not offered the approval) and closed with an electronic
signature; a CAPA raised from it is closed after an effectiveness check."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.core.tests.factories import PASSWORD, member
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.purchasing import services as purchasing
from shopfloor.purchasing.tests.factories import sent_order
from shopfloor.quality.models import Capa, Inspection, Ncr
from shopfloor.quality.services import inspection as inspections

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BOUND = 60_000  # ms: a bound for a loaded shared machine, not a timing assertion


def _page(new_page):
    page = new_page()
    page.set_default_timeout(BOUND)
    return page


def test_failed_inspection_to_signed_ncr_closure_and_capa(transactional_db, live_server, new_page, admin_user, org):
    base = live_server.url
    expect.set_options(timeout=BOUND)
    member(org, ["*.view_*", "quality.*"], username="bella")
    with tenancy.use(org, admin_user):
        item = ItemFactory(number="NOZ-12", name="Jet nozzle 12/32", make_or_buy="buy", inspect_on_receipt=True)
        plan = inspections.create_plan(actor=admin_user, item=item, context="receiving", data={"sample_size": 2})
        inspections.add_characteristic(
            actor=admin_user,
            plan=plan,
            data={"name": "Bore", "kind": "variable", "lsl": "9.5", "usl": "9.6", "unit": "mm", "gauge_max": "50"},
        )
        inspections.release_plan(actor=admin_user, plan=plan)
        order = sent_order(lines=[{"item": item, "quantity": Decimal("20"), "unit_price": Decimal("4")}])
        purchasing.receive(
            actor=admin_user, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": "20"}]
        )
    inspection = Inspection.objects.unscoped().get(item=item)  # opened by the receipt's event after commit

    page = _page(new_page)
    log_in(page, base, "alice")
    page.goto(f"{base}/quality/inspections/")
    page.get_by_role("link", name=inspection.number).click()
    page.get_by_label("Bore sample 1").fill("9.55")
    page.get_by_label("Bore sample 2").fill("9.71")
    page.get_by_role("button", name="Save readings").click()
    page.get_by_role("button", name="Complete inspection").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "failed")
    ncr = Ncr.objects.unscoped().get(origin_type="quality.inspection", origin_id=inspection.pk)
    expect(page.locator("body")).to_contain_text(f"{ncr.number} opened")
    shot(page, "inspection-failed")

    page.goto(f"{base}/quality/ncrs/")
    page.get_by_role("link", name=ncr.number).click()
    page.wait_for_url(re.compile(rf".*/quality/ncrs/{ncr.pk}/$"))
    ncr_url = page.url
    page.get_by_role("button", name="Investigate").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "investigating")
    form = page.locator("#investigation")
    form.get_by_label("Containment").fill("Lot kept in quarantine")
    form.get_by_label("Why 1").fill("Bore oversize on sample 2")
    form.get_by_label("Cause category").select_option("material")
    form.get_by_label("Root cause").fill("Supplier's reamer worn")
    form.get_by_role("button", name="Save investigation").click()
    page.get_by_role("button", name="Decide disposition").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "disposition")

    dispositions = page.locator("#dispositions")
    dispositions.get_by_label("Kind").select_option("scrap")
    dispositions.get_by_label("Quantity").fill("2")
    dispositions.get_by_role("button", name="Post disposition").click()
    dispositions.get_by_label("Kind").select_option("use_as_is")
    dispositions.get_by_label("Quantity").fill("18")
    dispositions.get_by_label("Note").fill("Bore within the mating part's clearance")
    dispositions.get_by_role("button", name="Post disposition").click()
    expect(page.locator("[data-disposed]")).to_have_text("20 of 20")
    # four eyes: its requester is not offered the approval, and closing waits for it
    expect(dispositions.get_by_role("button", name="Approve concession")).to_have_count(0)
    expect(dispositions).to_contain_text("Awaiting approval")
    expect(page.locator("[data-close-blocked]")).to_contain_text("awaits its concession approval")

    second = _page(new_page)
    log_in(second, base, "bella")
    second.goto(ncr_url)
    second.get_by_role("button", name="Approve concession").click()
    expect(second.locator("#dispositions")).to_contain_text("Approved by")

    page.goto(ncr_url)
    close = page.locator("#close")
    close.get_by_label("Password").fill(PASSWORD)
    close.get_by_role("button", name="Sign and close").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "closed")
    shot(page, "ncr-closed")
    ncr.refresh_from_db()
    assert ncr.status == "closed" and ncr.closed_at is not None
    scrap = StockBalance.objects.unscoped().get(item=item, location__location_type=Location.Type.SCRAP)
    assert scrap.on_hand == Decimal("2")

    page.get_by_role("link", name="New CAPA").click()
    page.get_by_label("Title").fill("Incoming bore check on every NOZ-12 lot")
    page.get_by_label("Owner").select_option(label="alice")
    page.get_by_label("Due date").fill((timezone.localdate() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/quality/capas/\d+/$"))
    capa = Capa.objects.unscoped().get(ncr=ncr)
    page.get_by_role("button", name="Start").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "in_progress")
    page.get_by_role("button", name="Verify").click()
    check = page.locator("#effectiveness")
    check.get_by_label("Effective").select_option("yes")
    check.get_by_label("Note").fill("Three lots since: all bores within 9.5-9.6 mm")
    check.get_by_role("button", name="Record check").click()
    page.get_by_role("button", name="Close").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "closed")
    shot(page, "capa-closed")
    capa.refresh_from_db()
    assert (capa.status, capa.effective, capa.ncr_id) == ("closed", True, ncr.pk)
