"""Inspection API beyond CRUD: release, sampling preview, readings (all or none), completion."""

from decimal import Decimal

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.quality.models import Characteristic, Inspection, Measurement

PLANS = "/api/v1/quality/inspection-plans/"
CHARS = "/api/v1/quality/characteristics/"
INSPECTIONS = "/api/v1/quality/inspections/"


@pytest.fixture
def plan(api, org, admin_user):
    with tenancy.use(org, admin_user):
        item = ItemFactory()
    body = {"item": item.pk, "context": "receiving", "sampling": "iso2859", "inspection_level": "II", "aql": "0.65"}
    created = api.post(PLANS, body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    ch = api.post(
        CHARS,
        {
            "plan": pk,
            "name": "Bore",
            "kind": "variable",
            "lsl": "9.95",
            "usl": "10.05",
            "gauge_min": "0",
            "gauge_max": "25",
        },
        format="json",
    )
    assert ch.status_code == 201, ch.json()
    return pk


def test_release_and_sampling_preview(api, plan):
    released = api.post(f"{PLANS}{plan}/release/", {}, format="json")
    assert released.status_code == 200
    assert (released.json()["status"], released.json()["version"]) == ("released", 1)
    preview = api.get(f"{PLANS}{plan}/sampling/", {"quantity": 500})
    assert preview.json() == {"quantity": 500, "sample_size": 80, "accept": 1, "reject": 2}
    assert api.get(f"{PLANS}{plan}/sampling/", {"quantity": "x"}).status_code == 400
    # released: characteristics and the plan are frozen (409)
    assert api.patch(f"{PLANS}{plan}/", {"sample_size": 3}, format="json").status_code == 409
    assert api.post(CHARS, {"plan": plan, "name": "Len", "usl": "5"}, format="json").status_code == 409


def test_an_unknown_aql_is_a_400_on_its_field(api, org, admin_user):
    with tenancy.use(org, admin_user):
        item = ItemFactory()
    response = api.post(
        PLANS, {"item": item.pk, "context": "final", "sampling": "iso2859", "aql": "0.7"}, format="json"
    )
    assert response.status_code == 400 and "aql" in response.json()["errors"]


def test_readings_then_complete_fails_and_a_bad_reading_records_nothing(api, plan, org, admin_user):
    api.post(f"{PLANS}{plan}/release/", {}, format="json")
    with tenancy.use(org, admin_user):
        plant = PlantFactory()
    opened = api.post(INSPECTIONS, {"plan": plan, "plant": plant.pk, "quantity": "10"}, format="json")
    assert opened.status_code == 201, opened.json()
    ins = opened.json()
    assert (ins["sample_size"], ins["accept_number"], ins["reject_number"]) == (10, 0, 1)  # 100 % of a lot of 10
    ch = Characteristic.objects.unscoped().get(plan_id=plan).pk
    url = f"{INSPECTIONS}{ins['id']}/"
    bad = api.post(
        url + "measurements/",
        {
            "measurements": [
                {"characteristic": ch, "sample": 1, "value": "10"},
                {"characteristic": ch, "sample": 2, "value": "-3"},
            ]
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "below what the gauge can read" in bad.json()["errors"]["measurements.1.value"][0]
    assert Measurement.objects.unscoped().count() == 0
    early = api.post(url + "complete/", {}, format="json")
    assert early.status_code == 400 and "measurements" in early.json()["errors"]
    readings = [{"characteristic": ch, "sample": s, "value": "10.00"} for s in range(1, 11)]
    readings[4]["value"] = "10.2"
    recorded = api.post(url + "measurements/", {"measurements": readings}, format="json")
    assert recorded.status_code == 200 and len(recorded.json()["measurements"]) == 10
    done = api.post(url + "complete/", {"note": "one bore oversize"}, format="json")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["nonconforming"]) == ("failed", 1)
    assert api.post(url + "complete/", {}, format="json").status_code == 409
    assert Inspection.objects.unscoped().get(pk=ins["id"]).quantity == Decimal("10")


def test_the_queue_filters_open_inspections(api, plan, org, admin_user):
    api.post(f"{PLANS}{plan}/release/", {}, format="json")
    with tenancy.use(org, admin_user):
        plant = PlantFactory()
    api.post(INSPECTIONS, {"plan": plan, "plant": plant.pk, "quantity": "3"}, format="json")
    listed = api.get(INSPECTIONS, {"status": "open"})
    assert listed.status_code == 200 and len(listed.json()["results"]) == 1


def test_a_draft_plan_is_not_inspected_against(api, plan, org, admin_user):
    with tenancy.use(org, admin_user):
        plant = PlantFactory()
    response = api.post(INSPECTIONS, {"plan": plan, "plant": plant.pk, "quantity": "3"}, format="json")
    assert response.status_code == 409
