"""First-pass yield from inspection results and the supplier reject rate, with exact figures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.purchasing import services as purchasing_services
from shopfloor.purchasing.tests.factories import sent_order
from shopfloor.quality import supplier_quality, yields
from shopfloor.quality.models import Inspection, InspectionPlan, Ncr
from shopfloor.quality.services import inspection as services
from shopfloor.quality.services import ncr as ncr_services

pytestmark = pytest.mark.django_db

NOV = datetime(2026, 11, 10, 12, tzinfo=UTC)
DEC = datetime(2026, 12, 3, 9, tzinfo=UTC)
OCT = datetime(2026, 10, 20, 9, tzinfo=UTC)


def _visual_plan(actor, item):
    plan = services.create_plan(actor=actor, item=item, context=InspectionPlan.Context.RECEIVING, data={})
    services.add_characteristic(actor=actor, plan=plan, data={"name": "Visual", "kind": "attribute"})
    return services.release_plan(actor=actor, plan=plan)


def _inspect(actor, plan, plant, quantity, source, verdict, when) -> Inspection:
    inspection = services.create_inspection(
        actor=actor, plan=plan, plant=plant, quantity=quantity, source_type="test.lot", source_id=source
    )
    ch = plan.characteristics.get()
    services.record_measurements(
        actor=actor, inspection=inspection, entries=[{"characteristic": ch.pk, "value": verdict}]
    )
    done = services.complete_inspection(actor=actor, inspection=inspection)
    Inspection.objects.filter(pk=done.pk).update(completed_at=when)
    return done


@pytest.fixture
def inspected(tenant, admin_user):
    """VALVE-1: in November lot 1 (10) passes, lot 2 (30) fails and is re-inspected under plan v2
    and passes; in December lot 3 (20) passes under v2."""
    item = ItemFactory(number="VALVE-1")
    plant = LocationFactory().plant
    v1 = _visual_plan(admin_user, item)
    _inspect(admin_user, v1, plant, 10, "1", "pass", NOV)
    _inspect(admin_user, v1, plant, 30, "2", "fail", NOV)
    v2 = _visual_plan(admin_user, item)
    _inspect(admin_user, v2, plant, 30, "2", "pass", NOV)
    _inspect(admin_user, v2, plant, 20, "3", "pass", DEC)
    return v1, v2


def test_inspection_fpy_per_item_and_month_counts_first_inspections_only(inspected):
    rows = yields.inspection_yield_rows(group="item", period="month")
    assert [
        (r["period"], r["item"], r["lots"], r["lots_passed"], r["inspected"], r["accepted"], r["reinspections"])
        for r in rows
    ] == [
        ("2026-11-01", "VALVE-1", 2, 1, "40", "10", 1),
        ("2026-12-01", "VALVE-1", 1, 1, "20", "20", 0),
    ]
    assert (rows[0]["lot_fpy"], rows[0]["fpy"]) == (0.5, 0.25)
    assert (rows[1]["lot_fpy"], rows[1]["fpy"]) == (1.0, 1.0)


def test_inspection_fpy_per_plan_and_week(inspected):
    v1, v2 = inspected
    rows = yields.inspection_yield_rows(group="plan", period="week", end=NOV.date())
    assert [
        (r["period"], r["plan"], r["plan_version"], r["lots"], r["lots_passed"], r["reinspections"]) for r in rows
    ] == [
        ("2026-11-09", v1.pk, 1, 2, 1, 0),
        ("2026-11-09", v2.pk, 2, 0, 0, 1),
    ]
    assert rows[1]["lot_fpy"] is None and rows[1]["fpy"] is None
    with pytest.raises(ValueError, match="group"):
        yields.inspection_yield_rows(group="work_center")


def test_inspection_yield_over_the_api(api, org, admin_user):
    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        item = ItemFactory(number="VALVE-2")
        plan = _visual_plan(admin_user, item)
        plant = LocationFactory().plant
        _inspect(admin_user, plan, plant, 8, "1", "pass", NOV)
        _inspect(admin_user, plan, plant, 2, "2", "fail", NOV)
    response = api.get("/api/v1/quality/yield/inspections/", {"group": "item", "period": "month"})
    assert response.status_code == 200, response.json()
    (row,) = response.json()["results"]
    assert (row["item"], row["lots"], row["lots_passed"], row["inspected"], row["accepted"]) == (
        "VALVE-2",
        2,
        1,
        "10",
        "8",
    )
    assert (row["lot_fpy"], row["fpy"]) == (0.5, 0.8)
    assert api.get("/api/v1/quality/yield/inspections/", {"from": "2026-12-01"}).json()["results"] == []
    bad = api.get("/api/v1/quality/yield/inspections/", {"group": "operation", "period": "day"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"group", "period"}


# --- Supplier reject rate -------------------------------------------------------------------


def _receive(actor, order, quantity, when):
    line = order.lines.first()
    return purchasing_services.receive(
        actor=actor, order=order, lines=[{"order_line": line.pk, "quantity": quantity}], received_at=when
    )


def _reject(actor, receipt, dispositions):
    """An NCR on the receipt's line (held in quarantine) with the given dispositions."""
    line = receipt.lines.get()
    ncr = ncr_services.open_ncr(
        actor=actor,
        data={
            "plant": receipt.plant,
            "item": line.item,
            "quantity": line.stock_move.quantity,
            "source": "receipt",
            "title": "Threads damaged",
            "location": line.location,
            "receipt_line": line,
        },
    )
    ncr_services.transition_ncr(actor=actor, ncr=ncr, to_state="investigating")
    ncr_services.update_ncr(actor=actor, ncr=ncr, data={"cause_category": "material", "why_1": "Bad packing"})
    ncr_services.transition_ncr(actor=actor, ncr=ncr, to_state="disposition")
    for kind, quantity in dispositions:
        ncr_services.add_disposition(actor=actor, ncr=ncr, data={"kind": kind, "quantity": quantity})
    return ncr


@pytest.fixture
def suppliers(tenant, admin_user):
    """ACME ships 100 + 50 in November (10 returned and 5 scrapped of the 100, 85 used as is)
    and 40 in October; BOLT ships 20 in November with no reject."""
    acme, bolt = SupplierFactory(number="ACME", name="Acme Forge"), SupplierFactory(number="BOLT", name="Bolt Co")
    plant = LocationFactory().plant
    lines = [
        {"item": ItemFactory(make_or_buy="buy"), "quantity": Decimal(q), "unit_price": Decimal(1)}
        for q in (100, 50, 40)
    ]
    first = _receive(admin_user, sent_order(supplier=acme, plant=plant, lines=[lines[0]]), "100", NOV)
    _receive(admin_user, sent_order(supplier=acme, plant=plant, lines=[lines[1]]), "50", NOV)
    _receive(admin_user, sent_order(supplier=acme, plant=plant, lines=[lines[2]]), "40", OCT)
    bolt_item = {"item": ItemFactory(make_or_buy="buy"), "quantity": Decimal(20), "unit_price": Decimal(1)}
    _receive(admin_user, sent_order(supplier=bolt, plant=plant, lines=[bolt_item]), "20", NOV)
    _reject(admin_user, first, [("return_to_supplier", "10"), ("scrap", "5"), ("use_as_is", "85")])
    return acme, bolt


def test_supplier_reject_rate_is_scrap_and_returns_over_received(suppliers):
    rows = supplier_quality.supplier_reject_rows(period="month")
    assert [
        (
            r["supplier"],
            r["period"],
            r["received"],
            r["rejected"],
            r["returned"],
            r["scrapped"],
            r["reject_rate"],
            r["ppm"],
            r["lots"],
        )
        for r in rows
    ] == [
        ("ACME", "2026-10-01", "40", "0", "0", "0", 0.0, 0, 1),
        ("ACME", "2026-11-01", "150", "15", "10", "5", 0.1, 100000, 2),
        ("BOLT", "2026-11-01", "20", "0", "0", "0", 0.0, 0, 1),
    ]
    assert Ncr.objects.get().supplier.number == "ACME"
    november = supplier_quality.supplier_reject_rows(period="week", start=NOV.date(), end=NOV.date())
    assert [(r["supplier"], r["period"], r["reject_rate"]) for r in november] == [
        ("ACME", "2026-11-09", 0.1),
        ("BOLT", "2026-11-09", 0.0),
    ]


def test_supplier_lots_count_failed_receiving_inspections(tenant, admin_user, django_capture_on_commit_callbacks):
    item = ItemFactory(make_or_buy="buy", inspect_on_receipt=True, tracking="none")
    _visual_plan(admin_user, item)
    order = sent_order(
        supplier=SupplierFactory(number="CAST"),
        lines=[{"item": item, "quantity": Decimal(12), "unit_price": Decimal(1)}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        _receive(admin_user, order, "12", NOV)
    inspection = Inspection.objects.get(item=item)
    ch = inspection.plan.characteristics.get()
    services.record_measurements(
        actor=admin_user, inspection=inspection, entries=[{"characteristic": ch.pk, "value": "fail"}]
    )
    services.complete_inspection(actor=admin_user, inspection=inspection)
    (row,) = supplier_quality.supplier_reject_rows()
    assert (row["supplier"], row["lots"], row["lots_inspected"], row["lots_failed"], row["rejected"]) == (
        "CAST",
        1,
        1,
        1,
        "0",
    )


def test_supplier_quality_over_the_api(api, org, admin_user):
    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        order = sent_order(supplier=SupplierFactory(number="GRIP"))
        receipt = _receive(admin_user, order, "10", NOV)
        _reject(admin_user, receipt, [("return_to_supplier", "2"), ("use_as_is", "8")])
    response = api.get("/api/v1/quality/supplier-quality/", {"period": "month", "from": "2026-11-01"})
    assert response.status_code == 200, response.json()
    (row,) = response.json()["results"]
    assert (row["supplier"], row["received"], row["rejected"], row["reject_rate"], row["ppm"]) == (
        "GRIP",
        "10",
        "2",
        0.2,
        200000,
    )
    bad = api.get("/api/v1/quality/supplier-quality/", {"period": "year", "to": "soon"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"period", "to"}


def test_dashboard_shows_inspection_yield_and_supplier_reject_rate(org, admin_user):
    from django.test import Client

    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        plan = _visual_plan(admin_user, ItemFactory(number="VALVE-3"))
        plant = LocationFactory().plant
        _inspect(admin_user, plan, plant, 6, "1", "pass", NOV)
        _inspect(admin_user, plan, plant, 4, "2", "fail", NOV)
        receipt = _receive(admin_user, sent_order(supplier=SupplierFactory(number="GRIP")), "10", NOV)
        _reject(admin_user, receipt, [("scrap", "1"), ("use_as_is", "9")])
    client = Client()
    client.force_login(admin_user)
    html = client.get("/quality/dashboard/").content.decode()
    inspected = html[html.index('data-inspected-item="VALVE-3"') :]
    inspected = inspected[: inspected.index("</tr>")]
    assert "2026-11-01: 0.500" in inspected and "1 / 2 (0.500)" in inspected and "6 / 10 (0.600)" in inspected
    supplier = html[html.index('data-supplier="GRIP"') :]
    supplier = supplier[: supplier.index("</tr>")]
    assert "2026-11-01: 0.1000" in supplier and "1 / 10" in supplier and "<td>100000</td>" in supplier
