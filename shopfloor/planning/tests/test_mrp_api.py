"""MRP API beyond the contract suite: forecast rules, asking for a run, firming, capacity."""

from __future__ import annotations

import datetime as dt

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.partners.models import Supplier
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.planning.models import Forecast, MrpRun, PlannedOrder
from shopfloor.planning.tests.factories import (
    ForecastFactory,
    MrpRunFactory,
    PeggingFactory,
    PlannedOrderFactory,
)
from shopfloor.production.models import WorkOrder
from shopfloor.purchasing.models import PurchaseOrder
from shopfloor.resources.tests.factories import MachineFactory, ShiftPatternFactory, WorkCenterFactory

pytestmark = pytest.mark.django_db

FORECASTS = "/api/v1/planning/forecasts/"
FIRM = "/api/v1/planning/planned-orders/firm/"


def test_forecast_crud_and_duplicate_period(tenant, api):
    plant, item = PlantFactory(), ItemFactory()
    body = {"plant": plant.pk, "item": item.pk, "period_start": "2027-05-01", "quantity": "30"}
    created = api.post(FORECASTS, body, format="json")
    assert created.status_code == 201, created.data
    again = api.post(FORECASTS, body, format="json")
    assert again.status_code == 400
    assert "period_start" in again.data["errors"]
    negative = api.post(FORECASTS, {**body, "period_start": "2027-06-01", "quantity": "-3"}, format="json")
    assert negative.status_code == 400 and "quantity" in negative.data["errors"]
    url = f"{FORECASTS}{created.data['id']}/"
    assert api.patch(url, {"quantity": "35"}, format="json").data["quantity"] == "35.000000"
    listed = api.get(FORECASTS, {"item": item.pk, "plant": plant.pk}).data["results"]
    assert [row["id"] for row in listed] == [created.data["id"]]
    assert api.delete(url).status_code == 204
    assert not Forecast.objects.exists()


def test_another_organizations_forecast_is_not_found(org, other_org, tenant, api):
    with tenancy.use(other_org):
        foreign = ForecastFactory()
    assert api.get(f"{FORECASTS}{foreign.pk}/").status_code == 404
    assert api.delete(f"{FORECASTS}{foreign.pk}/").status_code == 404


def test_asking_for_a_run_answers_202_queued(tenant, api):
    plant = PlantFactory()
    answer = api.post("/api/v1/planning/mrp-runs/", {"plant": plant.pk, "horizon_days": 30}, format="json")
    assert answer.status_code == 202, answer.data
    assert answer.data["status"] == "queued" and answer.data["horizon_days"] == 30
    bad = api.post("/api/v1/planning/mrp-runs/", {"plant": plant.pk, "horizon_days": 0}, format="json")
    assert bad.status_code == 400 and "horizon_days" in bad.data["errors"]


def test_planned_orders_filter_by_run_kind_and_status(tenant, api):
    run = MrpRunFactory()
    make = PlannedOrderFactory(run=run)
    PlannedOrderFactory(run=run, kind=PlannedOrder.Kind.BUY)
    PlannedOrderFactory()
    rows = api.get("/api/v1/planning/planned-orders/", {"run": run.pk, "kind": "make", "status": "planned"})
    assert [r["id"] for r in rows.data["results"]] == [make.pk]
    child = PeggingFactory(demand_kind="planned_order", parent_planned_order=make)
    up = api.get("/api/v1/planning/peggings/", {"parent_planned_order": make.pk}).data["results"]
    assert [r["id"] for r in up] == [child.pk]


def test_firm_through_the_api(tenant, api):
    run = MrpRunFactory()
    make = PlannedOrderFactory(run=run)
    buy = PlannedOrderFactory(run=run, kind=PlannedOrder.Kind.BUY)
    supplier = SupplierFactory()
    answer = api.post(FIRM, {"ids": [make.pk, buy.pk], "supplier": supplier.pk}, format="json")
    assert answer.status_code == 200, answer.data
    assert {r["status"] for r in answer.data} == {"firmed"}
    wo = WorkOrder.objects.get()
    po = PurchaseOrder.objects.get()
    assert [r["work_order_number"] for r in answer.data] == [wo.number, None]
    assert answer.data[1]["purchase_order_number"] == po.number
    assert api.post(FIRM, {"ids": [make.pk]}, format="json").status_code == 409


def test_firm_errors_are_400_404_409_never_half_written(org, other_org, tenant, api):
    run = MrpRunFactory()
    make = PlannedOrderFactory(run=run)
    buy = PlannedOrderFactory(run=run, kind=PlannedOrder.Kind.BUY)
    blocked = SupplierFactory(approval_status=Supplier.ApprovalStatus.BLOCKED)
    answer = api.post(FIRM, {"ids": [make.pk, buy.pk], "supplier": blocked.pk}, format="json")
    assert answer.status_code == 400 and "supplier" in answer.data["errors"]
    assert api.post(FIRM, {"ids": []}, format="json").status_code == 400
    with tenancy.use(other_org):
        foreign = PlannedOrderFactory()
    assert api.post(FIRM, {"ids": [make.pk, foreign.pk]}, format="json").status_code == 404
    MrpRunFactory(plant=run.plant)
    superseded = api.post(FIRM, {"ids": [make.pk]}, format="json")
    assert superseded.status_code == 409 and "superseded" in superseded.data["detail"]
    assert not WorkOrder.objects.exists() and not PurchaseOrder.objects.exists()
    assert MrpRun.objects.count() == 2


def test_firm_needs_the_change_permission(org, tenant, api_for):
    order = PlannedOrderFactory()
    viewer = member(org, ["*.view_*"])
    assert api_for(viewer).post(FIRM, {"ids": [order.pk]}, format="json").status_code == 403


@pytest.mark.urls("shopfloor.planning.tests.urls_capacity_api")
def test_capacity_api_rows_and_bad_range(tenant, api):
    plant = PlantFactory()
    wc = WorkCenterFactory(plant=plant, code="MILLS")
    ShiftPatternFactory(calendar=wc.calendar, weekday=0, start_time=dt.time(6), end_time=dt.time(14), break_minutes=30)
    MachineFactory(work_center=wc, code="VF2")
    answer = api.get(
        "/api/v1/planning/capacity/",
        {"plant": plant.code, "mode": "rough_cut", "bucket": "day", "date_from": "2027-03-01", "date_to": "2027-03-02"},
    )
    assert answer.status_code == 200, answer.data
    assert answer.data["results"][0] == {
        "work_center": wc.pk,
        "work_center_code": "MILLS",
        "machine": None,
        "machine_code": None,
        "bucket_start": "2027-03-01",
        "load_hours": "0.00",
        "capacity_hours": "7.50",
        "utilisation": "0.000",
        "overloaded": False,
    }
    assert len(answer.data["results"]) == 4
    bad = api.get("/api/v1/planning/capacity/", {"plant": plant.pk, "date_from": "2027-03-05", "date_to": "2027-03-01"})
    assert bad.status_code == 400 and "date_to" in bad.data["errors"]
    wrong = api.get("/api/v1/planning/capacity/", {"plant": "NOPE", "mode": "x", "date_from": "soon"})
    assert wrong.status_code == 400 and {"plant", "mode", "date_from"} <= set(wrong.data["errors"])
