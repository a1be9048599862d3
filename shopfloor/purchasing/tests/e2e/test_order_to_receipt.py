"""One walk in a real browser: a buyer drafts an order above the approval threshold, another
person approves it, it is sent, and a lot-tracked delivery is received into the plant."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.browser import log_in, shot
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.inventory.models import Location
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.purchasing import services

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_order_approve_send_and_receive_a_lot(transactional_db, live_server, new_page, admin_user, org):
    base = live_server.url
    approver = member(org, ["*.view_*", "purchasing.approve_purchaseorder"], username="bella")
    with tenancy.use(org, admin_user):
        services.update_settings(actor=admin_user, data={"approval_threshold": Decimal("500")})
        plant = PlantFactory(code="STV", name="Stavanger")
        LocationFactory(plant=plant, code="DOCK-1", location_type=Location.Type.RECEIVING)
        supplier = SupplierFactory(name="Carbide Supply")
        ItemFactory(number="PDC-1308", name="PDC cutter 13 mm", tracking="lot", standard_cost=Decimal("25"))

    buyer = new_page()
    log_in(buyer, base, "alice")
    buyer.goto(f"{base}/purchasing/orders/new/")
    buyer.locator("#id_supplier").select_option(label=str(supplier))
    buyer.locator("#id_plant").select_option(label="STV Stavanger")
    buyer.get_by_role("button", name="Save").click()
    buyer.wait_for_url(re.compile(r".*/purchasing/orders/\d+/$"))
    order_url = buyer.url

    form = buyer.locator("#add-line")
    form.get_by_label("Item", exact=True).select_option(label="PDC-1308 PDC cutter 13 mm")
    form.get_by_label("Quantity", exact=True).fill("40")
    form.get_by_role("button", name="Add line").click()
    expect(buyer.locator("[data-total]")).to_contain_text("1000.00")
    buyer.get_by_role("button", name="Submit").click()
    expect(buyer.locator(".page-head .wf-badge")).to_have_text("Pending approval")
    shot(buyer, "po-pending-approval")

    boss = new_page()
    log_in(boss, base, approver.username)
    boss.goto(order_url)
    boss.get_by_role("button", name="Approve").click()
    expect(boss.locator(".page-head .wf-badge")).to_have_text("Approved")

    buyer.goto(order_url)
    buyer.get_by_role("button", name="Send to supplier").click()
    expect(buyer.locator(".page-head .wf-badge")).to_have_text("Sent")
    buyer.locator(".page-actions").get_by_role("link", name="Receive").click()
    buyer.locator("input[name^=quantity_]").fill("40")
    buyer.locator("input[name^=lot_number_]").fill("HEAT-2291")
    buyer.get_by_label("Packing slip").fill("PS-7781")
    buyer.get_by_role("button", name="Post receipt").click()
    buyer.wait_for_url(re.compile(r".*/purchasing/receipts/\d+/$"))
    expect(buyer.locator("#lines")).to_contain_text("HEAT-2291")
    expect(buyer.locator("#lines")).to_contain_text("DOCK-1")
    shot(buyer, "po-receipt")
    buyer.goto(order_url)
    expect(buyer.locator(".page-head .wf-badge")).to_have_text("Received")
