"""Purchasing pages: the order page with its buttons, lines, the receiving form, receipts, rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.purchasing import services
from shopfloor.purchasing.models import PurchaseOrder, PurchasingSettings, Receipt

from .factories import sent_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_pages_render(web, org, admin_user):
    with tenancy.use(org, admin_user):
        order = sent_order()
        receipt = services.receive(
            actor=admin_user, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": "1"}]
        )
    for url in [
        "/purchasing/orders/",
        "/purchasing/orders/new/",
        f"/purchasing/orders/{order.pk}/",
        f"/purchasing/orders/{order.pk}/?tab=history",
        f"/purchasing/orders/{order.pk}/receive/",
        "/purchasing/receipts/",
        f"/purchasing/receipts/{receipt.pk}/",
        "/purchasing/rules/",
    ]:
        assert web.get(url).status_code == 200, url


def test_draft_add_lines_submit_and_send_from_the_page(web, org):
    with tenancy.use(org):
        plant, supplier, item = PlantFactory(), SupplierFactory(), ItemFactory(number="PDC-CUTTER-13")
    response = web.post(
        "/purchasing/orders/new/",
        {"supplier": supplier.pk, "plant": plant.pk, "order_date": "2026-11-23", "currency": "USD"},
    )
    assert response.status_code == 302
    with tenancy.use(org):
        order = PurchaseOrder.objects.get(supplier=supplier)
    web.post(f"/purchasing/orders/{order.pk}/lines/", {"item": item.pk, "quantity": "40", "unit_price": "18.5"})
    page = web.get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert "PDC-CUTTER-13" in page and "740.00" in page
    web.post(f"/purchasing/orders/{order.pk}/submit/")
    web.post(f"/purchasing/orders/{order.pk}/send/")
    with tenancy.use(org):
        assert PurchaseOrder.objects.get(pk=order.pk).status == "sent"


def test_a_blocked_supplier_is_not_offered_and_is_refused(web, org):
    with tenancy.use(org):
        plant = PlantFactory()
        blocked = SupplierFactory(approval_status="blocked", approval_note="Audit failed")
    form = web.get("/purchasing/orders/new/").context["form"]
    with tenancy.use(org):
        assert blocked not in form.fields["supplier"].queryset
    response = web.post(
        "/purchasing/orders/new/", {"supplier": blocked.pk, "plant": plant.pk, "order_date": "2026-11-23"}
    )
    assert response.status_code == 200
    assert "supplier" in response.context["form"].errors
    with tenancy.use(org):
        assert not PurchaseOrder.objects.exists()


def test_approval_buttons_for_an_order_above_the_threshold(web, org, admin_user):
    approver = member(org, ["*"], username="bella")
    with tenancy.use(org, admin_user):
        services.update_settings(actor=admin_user, data={"approval_threshold": Decimal("100")})
        order = services.create_purchase_order(
            actor=admin_user, data={"plant": PlantFactory(), "supplier": SupplierFactory()}
        )
        services.add_line(
            actor=admin_user,
            order=order,
            data={"item": ItemFactory(), "quantity": Decimal("10"), "unit_price": Decimal("50")},
        )
    web.post(f"/purchasing/orders/{order.pk}/submit/")
    with tenancy.use(org):
        assert PurchaseOrder.objects.get(pk=order.pk).status == "pending_approval"
    # The buyer's own approval is refused (403); another approver's goes through.
    assert web.post(f"/purchasing/orders/{order.pk}/approve/").status_code == 403
    other = Client()
    other.force_login(approver)
    page = other.get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert 'data-action="approve"' in page
    other.post(f"/purchasing/orders/{order.pk}/approve/", {"comment": "ok"})
    with tenancy.use(org):
        assert PurchaseOrder.objects.get(pk=order.pk).status == "approved"


def test_receiving_from_the_page_with_lots(web, org, admin_user):
    with tenancy.use(org, admin_user):
        order = sent_order(
            lines=[{"item": ItemFactory(tracking="lot"), "quantity": Decimal("10"), "unit_price": Decimal("2")}]
        )
        line = order.lines.get()
    response = web.post(
        f"/purchasing/orders/{order.pk}/receive/",
        {f"quantity_{line.pk}": "10", f"lot_number_{line.pk}": "HEAT-77", "delivery_note": "PS-889"},
    )
    assert response.status_code == 302
    with tenancy.use(org):
        receipt = Receipt.objects.get(purchase_order=order)
        assert receipt.lines.get().lot.number == "HEAT-77"
        assert PurchaseOrder.objects.get(pk=order.pk).status == "received"


def test_an_over_receipt_comes_back_on_the_line_and_nothing_posts(web, org, admin_user):
    with tenancy.use(org, admin_user):
        order = sent_order()
        line = order.lines.get()
    response = web.post(f"/purchasing/orders/{order.pk}/receive/", {f"quantity_{line.pk}": "12"})
    assert response.status_code == 200
    assert "tolerance" in " ".join(response.context["form"].errors[f"quantity_{line.pk}"])
    with tenancy.use(org):
        assert not Receipt.objects.exists()


def test_a_storekeeper_receives_but_sees_no_approval_buttons(org, admin_user):
    keeper = member(org, ["*.view_*", "inventory.*", "purchasing.add_receipt"], username="sam")
    with tenancy.use(org, admin_user):
        order = sent_order()
    client = Client()
    client.force_login(keeper)
    page = client.get(f"/purchasing/orders/{order.pk}/").content.decode()
    assert "Receive" in page and 'data-action="cancel"' not in page
    assert client.get("/purchasing/orders/new/").status_code == 403
    assert client.get("/purchasing/rules/").status_code == 403


def test_the_rules_page_changes_the_threshold(web, org):
    web.post("/purchasing/rules/", {"approval_threshold": "2500", "receipt_tolerance_percent": "5"})
    with tenancy.use(org):
        rules = PurchasingSettings.objects.get()
    assert rules.approval_threshold == Decimal("2500") and rules.receipt_tolerance_percent == Decimal("5")


def test_another_organizations_order_is_a_404(web, other_org):
    with tenancy.use(other_org):
        order = sent_order()
    assert web.get(f"/purchasing/orders/{order.pk}/").status_code == 404
    assert web.post(f"/purchasing/orders/{order.pk}/cancel/", {"comment": "x"}).status_code == 404


def test_the_line_form_leaves_the_price_empty_so_the_standard_cost_applies(web, org, admin_user):
    with tenancy.use(org, admin_user):
        order = services.create_purchase_order(
            actor=admin_user, data={"plant": PlantFactory(), "supplier": SupplierFactory()}
        )
    form = web.get(f"/purchasing/orders/{order.pk}/").context["line_form"]
    assert form["unit_price"].value() is None
