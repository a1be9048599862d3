"""The purchase order PDF, read back from its uncompressed content streams (no PDF library is
pinned): header, supplier, lines, total, approval status and page numbers; the page and API
routes answer with application/pdf."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.purchasing import document, services

pytestmark = pytest.mark.django_db

D = Decimal
BASE = "/api/v1/purchasing/purchase-orders/"
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_TEXT = re.compile(rb"\(((?:\\.|[^\\)])*)\) *Tj")


def pages(pdf: bytes) -> list[str]:
    """The text drawn on each page, in drawing order (one string per page)."""
    assert pdf.startswith(b"%PDF-")
    assert b"/FlateDecode" not in pdf, "expected an uncompressed PDF"
    out = []
    for stream in _STREAM.findall(pdf):
        texts = [re.sub(rb"\\([()\\])", rb"\1", t).decode("cp1252") for t in _TEXT.findall(stream)]
        if texts:
            out.append(" ".join(texts))
    return out


def make_order(actor, *, lines=2, price="12.5", supplier_name="Drill Steel AS"):
    supplier = SupplierFactory(name=supplier_name)
    order = services.create_purchase_order(
        actor=actor,
        data={"plant": PlantFactory(code="STV", name="Stavanger"), "supplier": supplier, "supplier_reference": "Q-77"},
    )
    for n in range(lines):
        item = ItemFactory(number=f"PDC-{n:04d}", name=f"Cutter {n}", make_or_buy="buy")
        services.add_line(actor=actor, order=order, data={"item": item, "quantity": D(4), "unit_price": D(price)})
    return order


def test_the_pdf_carries_header_supplier_lines_total_and_approval(tenant, admin_user):
    order = make_order(admin_user)
    services.submit(actor=admin_user, order=order)  # 100 is within the default threshold: approved
    (page,) = pages(document.render(order))
    assert f"Purchase order {order.number}" in page
    assert "Drill Steel AS" in page and order.supplier.number in page
    assert "Stavanger (STV)" in page and "Q-77" in page
    assert "PDC-0000" in page and "PDC-0001" in page and "Cutter 1" in page
    assert "50.00" in page  # 4 x 12.50 per line
    assert "100.00 USD" in page  # the total
    assert f"Approved by {admin_user.get_full_name()} on " in page
    assert "Page 1 of 1" in page


def test_a_draft_and_a_pending_order_say_where_they_stand(tenant, org, admin_user):
    order = make_order(admin_user)
    assert "Draft: not submitted for approval." in pages(document.render(order))[0]
    services.update_settings(actor=admin_user, data={"approval_threshold": D(20)})
    services.submit(actor=admin_user, order=order)
    page = pages(document.render(order))[0]
    assert "Pending approval (0 of 1 approvals given)." in page, page


def test_a_long_order_numbers_every_page(tenant, admin_user):
    order = make_order(admin_user, lines=60)
    found = pages(document.render(order))
    assert len(found) >= 2
    total = len(found)
    for n, page in enumerate(found, start=1):
        assert f"Page {n} of {total}" in page
        assert order.number in page  # the footer names the order on every page
    assert "PDC-0059" in found[-1]


def test_the_page_and_the_api_answer_with_the_pdf(org, admin_user, api):
    with tenancy.use(org, admin_user):
        order = make_order(admin_user)
    web = Client()
    web.force_login(admin_user)
    response = web.get(f"/purchasing/orders/{order.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"Purchase order {order.number}" in pages(response.content)[0]

    answer = api.get(f"{BASE}{order.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert f'filename="{order.number}.pdf"' in answer["Content-Disposition"]
    assert "PDC-0001" in pages(answer.content)[0]


def test_the_pdf_needs_view_rights_and_the_order_of_ones_own_organization(org, admin_user, api_for):
    with tenancy.use(org, admin_user):
        order = make_order(admin_user)
    nobody = member(org, [], username="nobody")
    assert api_for(nobody).get(f"{BASE}{order.pk}/pdf/").status_code == 403
    assert api_for(admin_user).get(f"{BASE}999999/pdf/").status_code == 404
