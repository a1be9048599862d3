"""Field asset pages: the list with its filters, the life page, and the step forms on the same services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.field.models import BitRun, DullGrade, FieldAsset
from shopfloor.inventory.models import StockMove
from shopfloor.partners.tests.factories import RigFactory

from .factories import GOOD_GRADE, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_list_filters_by_status_and_customer(web, tenant):
    assigned = walk("assigned")
    in_stock = walk("in_stock")
    page = web.get("/field/", {"status": "assigned"}).content.decode()
    assert assigned["asset"].number in page and in_stock["asset"].number not in page
    page = web.get("/field/", {"customer": assigned["rig"].customer_id}).content.decode()
    assert assigned["asset"].number in page and in_stock["asset"].number not in page
    page = web.get("/field/", {"q": in_stock["asset"].serial.serial}).content.decode()
    assert in_stock["asset"].number in page and assigned["asset"].number not in page


def test_registering_a_bit_from_the_form(web, tenant):
    item, plant = ItemFactory(tracking="serial", number="PDC-8.5-M323"), PlantFactory()
    response = web.post(
        "/field/new/",
        {"plant": plant.pk, "item": item.pk, "serial_text": "7781-A", "bit_type": "fixed_cutter", "size": "8.5"},
    )
    asset = FieldAsset.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/field/{asset.pk}/"
    assert (asset.serial.serial, asset.size) == ("7781-A", Decimal("8.500"))


def test_the_life_page_shows_the_whole_story(web, tenant, admin_user):
    made = walk("returned")
    page = web.get(f"/field/{made['asset'].pk}/").content.decode()
    for text in (
        "1-2-WT-S-X-I-CT-TD",  # the grade
        "950.00 m",  # footage
        "25.00 m/h",  # rate of penetration
        made["rig"].name,  # assignment
        "field-ship",  # ledger moves
        "field-return",
        "Status history",
        "Start repair",  # next steps for a returned bit
    ):
        assert text in page, text


def test_the_return_form_offers_the_code_lists_of_the_bits_kind(web, tenant):
    made = walk("in_field")
    page = web.get(f"/field/{made['asset'].pk}/return/").content.decode()
    assert "BF - Bond failure" in page  # fixed cutter list
    assert "BC - Broken cone" not in page  # roller cone only
    assert "S - Shoulder" in page


def test_a_return_with_a_missing_column_is_shown_again_and_nothing_is_written(web, tenant):
    made = walk("in_field")
    body = {**GOOD_GRADE, "to_location": made["shelf"].pk, "reason_pulled": ""}
    response = web.post(f"/field/{made['asset'].pk}/return/", body)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not DullGrade.objects.exists()
    assert FieldAsset.objects.get(pk=made["asset"].pk).status == "in_field"


def test_returning_from_the_form(web, tenant):
    made = walk("ran")
    body = {**GOOD_GRADE, "to_location": made["shelf"].pk, "remarks": "Re-runnable"}
    response = web.post(f"/field/{made['asset'].pk}/return/", body)
    assert response.status_code == 302
    assert FieldAsset.objects.get(pk=made["asset"].pk).status == "returned"
    assert DullGrade.objects.get().code == "1-2-WT-S-X-I-CT-TD"


def test_a_bad_run_comes_back_on_the_form_with_the_fields_message(web, tenant):
    made = walk("in_field")
    body = {
        "depth_unit": "m",
        "depth_in": "2000",
        "depth_out": "1500",
        "hours_on_bottom": "3",
        "run_date": "2026-11-20",
    }
    response = web.post(f"/field/{made['asset'].pk}/runs/new/", body)
    assert response.status_code == 200
    assert "must be deeper than depth in" in response.content.decode()
    assert not BitRun.objects.exists()
    body["depth_out"] = "2100"
    response = web.post(f"/field/{made['asset'].pk}/runs/new/", body)
    assert response.status_code == 302
    run = BitRun.objects.get()
    assert (run.footage, run.rop, run.well_id) == (Decimal("100.00"), Decimal("33.33"), made["well"].pk)


def test_assign_and_ship_from_the_forms(web, tenant):
    made = walk("in_stock")
    asset = made["asset"]
    rig = RigFactory()
    assert web.post(f"/field/{asset.pk}/assign/", {"rig": rig.pk}).status_code == 302
    assert web.post(f"/field/{asset.pk}/ship/", {"note": "On the supply boat"}).status_code == 302
    assert FieldAsset.objects.get(pk=asset.pk).status == "in_field"
    assert StockMove.objects.filter(serial_id=asset.serial_id, reason_code="field-ship").count() == 1


def test_a_step_out_of_order_shows_the_reason(web, tenant):
    asset = walk("in_stock")["asset"]
    response = web.post(f"/field/{asset.pk}/ship/", {}, follow=True)
    assert "only a bit Assigned can be shipped" in response.content.decode()
    assert FieldAsset.objects.get(pk=asset.pk).status == "in_stock"


def test_a_viewer_reads_the_life_page_but_cannot_act(viewer_user, org, admin_user):
    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        made = walk("in_field")
    client = Client()
    client.force_login(viewer_user)
    page = client.get(f"/field/{made['asset'].pk}/")
    assert page.status_code == 200
    assert "Return with dull grade" not in page.content.decode()
    assert client.get(f"/field/{made['asset'].pk}/return/").status_code == 403
    body = {**GOOD_GRADE, "to_location": made["shelf"].pk}
    assert client.post(f"/field/{made['asset'].pk}/return/", body).status_code == 403


def test_another_organizations_asset_is_404(web, other_org):
    made = walk("in_stock", organization=other_org)
    assert web.get(f"/field/{made['asset'].pk}/").status_code == 404
    assert web.get(f"/field/{made['asset'].pk}/assign/").status_code == 404
