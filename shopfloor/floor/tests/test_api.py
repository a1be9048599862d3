"""Label API: the PDF actions beyond the read-only lists (which the contract suite covers)."""

from __future__ import annotations

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory, SerialNumberFactory

from . import pdfcheck

pytestmark = pytest.mark.django_db


def test_lot_label_pdf_is_a_label_sized_page_with_the_scan_code(api, tenant):
    lot = LotFactory(item=ItemFactory(number="CUTTER-13", name="PDC cutter 13 mm", tracking="lot"), number="L0001")
    response = api.get(f"/api/v1/floor/lot-labels/{lot.pk}/pdf/", {"size": "62x29"}, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"lot-{lot.pk}-62x29.pdf" in response["Content-Disposition"]
    (page,) = pdfcheck.read(response.content)
    assert (page.width_mm, page.height_mm) == (62.0, 29.0)
    assert "LOT:CUTTER-13:L0001" in page.texts and "CUTTER-13  Lot L0001" in page.texts


def test_label_json_says_what_the_label_carries(api, tenant):
    serial = SerialNumberFactory(item=ItemFactory(number="BIT-8.5", name="PDC bit 8.5in", tracking="serial"))
    body = api.get(f"/api/v1/floor/serial-labels/{serial.pk}/").json()
    assert body == {
        "id": serial.pk,
        "code": f"SN:BIT-8.5:{serial.serial}",
        "title": f"BIT-8.5  SN {serial.serial}",
        "lines": ["PDC bit 8.5in", "Rev A"],
        "barcode": serial.serial,
    }


def test_batch_pdf_prints_one_page_per_location_of_the_filtered_list(api, tenant):
    hou, other = PlantFactory(code="HOU"), PlantFactory(code="ABZ")
    for code in ("A-01", "A-02", "A-03"):
        LocationFactory(plant=hou, code=code)
    LocationFactory(plant=other, code="B-01")
    response = api.get("/api/v1/floor/location-labels/batch-pdf/", {"plant": hou.pk, "ordering": "code", "copies": 2})
    assert response.status_code == 200, response.content
    pages = pdfcheck.read(response.content)
    assert [p.texts[0] for p in pages] == ["A-01", "A-01", "A-02", "A-02", "A-03", "A-03"]
    assert all(p.width_mm == 100.0 for p in pages)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"size": "4x6"}, "size"),
        ({"copies": "0"}, "copies"),
        ({"copies": "many"}, "copies"),
        ({"barcode": "x"}, "barcode"),
    ],
)
def test_bad_print_options_are_400_with_the_field(api, tenant, params, field):
    lot = LotFactory()
    response = api.get(f"/api/v1/floor/lot-labels/{lot.pk}/pdf/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_empty_batch_is_400_not_an_empty_pdf(api, tenant):
    response = api.get("/api/v1/floor/lot-labels/batch-pdf/", {"search": "nothing-like-this"})
    assert response.status_code == 400
    assert response.json()["errors"]["labels"] == ["Nothing to print."]


def test_another_organizations_label_pdf_is_404(api, org, other_org):
    with tenancy.use(other_org):
        lot = LotFactory()
    assert api.get(f"/api/v1/floor/lot-labels/{lot.pk}/pdf/").status_code == 404


def test_label_pdf_needs_view_permission_on_what_it_prints(api_for, org, tenant):
    lot = LotFactory()
    nobody = member(org, ["inventory.view_location"], username="nobody")
    response = api_for(nobody).get(f"/api/v1/floor/lot-labels/{lot.pk}/pdf/")
    assert response.status_code == 403
    assert "inventory.view_lot" in response.json()["detail"]
