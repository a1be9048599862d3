"""Field assets API beyond CRUD: the lifecycle actions, their refusals, idempotency and the life view."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopfloor.core import tenancy
from shopfloor.field.models import Assignment, BitRun, DullGrade, FieldAsset
from shopfloor.inventory.models import SerialNumber, StockMove
from shopfloor.partners.tests.factories import RigFactory

from .factories import GOOD_GRADE, walk

pytestmark = pytest.mark.django_db

URL = "/api/v1/field/assets/"


def _made(org, admin_user, state):
    with tenancy.use(org, admin_user):
        return walk(state)


def test_assign_then_ship_with_an_idempotency_key_moves_the_bit_once(api, org, admin_user):
    made = _made(org, admin_user, "in_stock")
    asset = made["asset"]
    with tenancy.use(org, admin_user):
        rig = RigFactory()
    response = api.post(f"{URL}{asset.pk}/assign/", {"rig": rig.pk, "note": "Spud next week"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["rig"]) == ("assigned", rig.pk)

    first = api.post(f"{URL}{asset.pk}/ship/", {}, format="json", HTTP_IDEMPOTENCY_KEY="ship-42")
    again = api.post(f"{URL}{asset.pk}/ship/", {}, format="json", HTTP_IDEMPOTENCY_KEY="ship-42")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["status"] == "in_field"
    with tenancy.use(org, admin_user):
        assert StockMove.objects.filter(serial_id=asset.serial_id, reason_code="field-ship").count() == 1
        assert SerialNumber.objects.get(pk=asset.serial_id).status == "shipped"


def test_return_with_a_valid_grade(api, org, admin_user):
    made = _made(org, admin_user, "ran")
    asset = made["asset"]
    body = {**GOOD_GRADE, "to_location": made["shelf"].pk, "remarks": "Two chipped cutters on the shoulder"}
    response = api.post(f"{URL}{asset.pk}/return/", body, format="json", HTTP_IDEMPOTENCY_KEY="ret-1")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "returned"
    grades = api.get("/api/v1/field/dull-grades/", {"asset": asset.pk}).json()["results"]
    assert [g["code"] for g in grades] == ["1-2-WT-S-X-I-CT-TD"]
    assert grades[0]["run"] == made["run"].pk


def test_an_invalid_dull_grade_is_a_400_naming_each_column_and_nothing_is_recorded(api, org, admin_user):
    made = _made(org, admin_user, "in_field")
    asset = made["asset"]
    body = {**GOOD_GRADE, "to_location": made["shelf"].pk, "outer_rows": "12", "reason_pulled": "LUNCH", "gauge": "X"}
    response = api.post(f"{URL}{asset.pk}/return/", body, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["status"] == 400
    assert "0 to 8" in problem["errors"]["outer_rows"][0]
    assert "'LUNCH' is not an IADC reason pulled code" in problem["errors"]["reason_pulled"][0]
    assert "Gauge is I (in gauge)" in problem["errors"]["gauge"][0]
    with tenancy.use(org, admin_user):
        assert FieldAsset.objects.get(pk=asset.pk).status == "in_field"
        assert not DullGrade.objects.exists()
        assert not StockMove.objects.filter(reason_code="field-return").exists()
        assert Assignment.objects.get(pk=made["assignment"].pk).is_open


def test_a_run_with_depth_out_above_depth_in_is_a_400_and_nothing_is_recorded(api, org, admin_user):
    asset = _made(org, admin_user, "in_field")["asset"]
    body = {"asset": asset.pk, "depth_in": "2500", "depth_out": "2400", "hours_on_bottom": "12"}
    response = api.post("/api/v1/field/runs/", body, format="json")
    assert response.status_code == 400, response.content
    assert "must be deeper than depth in" in response.json()["errors"]["depth_out"][0]
    body = {"asset": asset.pk, "depth_in": "2400", "depth_out": "2500", "hours_on_bottom": "0"}
    response = api.post("/api/v1/field/runs/", body, format="json")
    assert response.status_code == 400
    assert "more than zero" in response.json()["errors"]["hours_on_bottom"][0]
    with tenancy.use(org, admin_user):
        assert not BitRun.objects.exists()


def test_running_a_bit_that_is_not_in_the_field_is_a_400(api, org, admin_user):
    asset = _made(org, admin_user, "in_stock")["asset"]
    body = {"asset": asset.pk, "depth_in": "100", "depth_out": "200", "hours_on_bottom": "2"}
    response = api.post("/api/v1/field/runs/", body, format="json")
    assert response.status_code == 400
    assert "only a bit in the field" in response.json()["errors"]["asset"][0]


def test_a_run_answers_footage_and_rop(api, org, admin_user):
    asset = _made(org, admin_user, "in_field")["asset"]
    body = {"asset": asset.pk, "depth_in": "8000", "depth_out": "9250", "hours_on_bottom": "50", "depth_unit": "ft"}
    response = api.post("/api/v1/field/runs/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["footage"], data["rop"], data["run_number"]) == ("1250.00", "25.00", 1)


def test_actions_out_of_order_are_409(api, org, admin_user):
    asset = _made(org, admin_user, "in_stock")["asset"]
    for action in ("ship", "unassign", "start-repair", "back-in-stock"):
        response = api.post(f"{URL}{asset.pk}/{action}/", {}, format="json")
        assert response.status_code == 409, (action, response.content)
        assert response.json()["status"] == 409


def test_another_organizations_rig_is_not_found(api, org, other_org, admin_user):
    asset = _made(org, admin_user, "in_stock")["asset"]
    with tenancy.use(other_org):
        foreign_rig = RigFactory()
    response = api.post(f"{URL}{asset.pk}/assign/", {"rig": foreign_rig.pk}, format="json")
    assert response.status_code == 400
    assert "rig" in response.json()["errors"]
    with tenancy.use(org, admin_user):
        assert not Assignment.objects.exists()


def test_the_life_view_holds_the_whole_story(api, org, admin_user):
    made = _made(org, admin_user, "under_repair")
    response = api.get(f"{URL}{made['asset'].pk}/life/")
    assert response.status_code == 200
    life = response.json()
    assert [m["reason_code"] for m in life["moves"]] == ["field-receipt", "field-ship", "field-return"]
    assert [r["footage"] for r in life["runs"]] == ["950.00"]
    assert [g["code"] for g in life["dull_grades"]] == ["1-2-WT-S-X-I-CT-TD"]
    assert life["repairs"][0]["work_order_number"].startswith("WO-")
    assert [t["to_state"] for t in life["transitions"]] == [
        "in_stock",
        "assigned",
        "in_field",
        "returned",
        "under_repair",
    ]


def test_the_list_filters_by_status_and_customer(api, org, admin_user):
    assigned = _made(org, admin_user, "assigned")
    _made(org, admin_user, "in_stock")
    rows = api.get(URL, {"status": "assigned"}).json()["results"]
    assert [r["id"] for r in rows] == [assigned["asset"].pk]
    rows = api.get(URL, {"customer": assigned["rig"].customer_id}).json()["results"]
    assert [r["id"] for r in rows] == [assigned["asset"].pk]


def test_scrap_needs_a_reason_and_a_lost_bit_keeps_its_history(api, org, admin_user):
    asset = _made(org, admin_user, "in_field")["asset"]
    response = api.post(f"{URL}{asset.pk}/scrap/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    response = api.post(f"{URL}{asset.pk}/scrap/", {"reason": "Left in hole at 3120 m"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "scrapped"
    assert api.delete(f"{URL}{asset.pk}/").status_code == 409


def test_a_viewer_cannot_return_a_bit(api_for, viewer_user, org, admin_user):
    made = _made(org, admin_user, "in_field")
    body = {**GOOD_GRADE, "to_location": made["shelf"].pk}
    response = api_for(viewer_user).post(f"{URL}{made['asset'].pk}/return/", body, format="json")
    assert response.status_code == 403
    with tenancy.use(org, admin_user):
        assert FieldAsset.objects.get(pk=made["asset"].pk).status == "in_field"


def test_run_totals_on_the_asset(api, org, admin_user):
    made = _made(org, admin_user, "ran")
    data = api.get(f"{URL}{made['asset'].pk}/").json()
    assert (data["run_count"], Decimal(data["total_footage"]), Decimal(data["total_hours"])) == (
        1,
        Decimal("950"),
        Decimal("38"),
    )


def test_a_retried_return_answers_the_first_response_and_moves_the_bit_once(api, org, admin_user):
    made = _made(org, admin_user, "in_field")
    asset = made["asset"]
    body = {**GOOD_GRADE, "to_location": made["shelf"].pk}
    first = api.post(f"{URL}{asset.pk}/return/", body, format="json", HTTP_IDEMPOTENCY_KEY="rig-7-return")
    again = api.post(f"{URL}{asset.pk}/return/", body, format="json", HTTP_IDEMPOTENCY_KEY="rig-7-return")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    with tenancy.use(org, admin_user):
        assert StockMove.objects.filter(serial_id=asset.serial_id, reason_code="field-return").count() == 1
        assert DullGrade.objects.filter(asset=asset).count() == 1
