"""MRP runs end to end: rows in, `run_mrp`, planned orders, pegging and exceptions out.

The plan date is Monday 4 January 2027; the plant works Monday to Friday. The textbook
example: assembly A (made, 2 working days) = 2 x B (made, 1 working day) + 1 x C (bought,
5 days); B = 3 x D (bought, 3 days). A has 5 in stock and two sales order lines: 10 due
Friday 15th and 20 due Friday 22nd.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shopfloor.catalog.tests.factories import BomLineFactory, BomVersionFactory, ItemFactory, UnitFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.planning.models import Forecast, MrpException, MrpItemResult, MrpRun, Pegging, PlannedOrder
from shopfloor.planning.services import mrp
from shopfloor.production.models import WorkOrder, WorkOrderMaterial
from shopfloor.purchasing.tests.factories import PurchaseOrderLineFactory
from shopfloor.resources.models import ShiftPattern, WorkingCalendar
from shopfloor.sales.tests.factories import SalesOrderLineFactory

PLAN = dt.date(2027, 1, 4)  # a Monday
D = Decimal


def day(n: int) -> dt.date:
    return dt.date(2027, 1, n)


@pytest.fixture
def plant(tenant):
    plant = PlantFactory(organization=tenant, code="P1")
    calendar = WorkingCalendar.objects.create(organization=tenant, name="Day shift", plant=plant)
    for weekday in range(5):
        ShiftPattern.objects.create(
            organization=tenant, calendar=calendar, weekday=weekday, start_time=dt.time(7), end_time=dt.time(15)
        )
    return plant


@pytest.fixture
def ea(tenant):
    return UnitFactory(organization=tenant, code="ea")


@pytest.fixture
def store(plant):
    return LocationFactory(organization=plant.organization, plant=plant, code="STORE")


def item(number: str, ea, *, make: bool = True, lead: int = 0, **fields):
    lead_field = "manufacturing_lead_time_days" if make else "purchase_lead_time_days"
    return ItemFactory(
        number=number,
        stock_unit=ea,
        status="active",
        make_or_buy="make" if make else "buy",
        **{lead_field: lead},
        **fields,
    )


def bom(parent, *lines):
    """lines: (component, quantity[, phantom])."""
    version = BomVersionFactory(item=parent, version=1, status="released")
    for position, (component, quantity, *rest) in enumerate(lines, start=1):
        BomLineFactory(
            version=version,
            position=10 * position,
            component=component,
            quantity=D(quantity),
            is_phantom=bool(rest and rest[0]),
        )
    return version


def stock(location, it, on_hand, reserved=0):
    return StockBalance.objects.create(item=it, location=location, on_hand=D(on_hand), reserved=D(reserved))


def sale(plant, it, quantity, due, **fields):
    return SalesOrderLineFactory(
        order__plant=plant, order__status="confirmed", item=it, quantity=D(quantity), due_date=due, **fields
    )


def run(plant, horizon=180, actor=None):
    requested = mrp.request_mrp_run(
        actor=actor or tenancy.current_user(), plant=plant, horizon_days=horizon, plan_date=PLAN, queue=False
    )
    return mrp.run_mrp(requested.pk)


def orders_of(run_, it):
    return [
        (o.kind, o.quantity, o.start_date, o.due_date)
        for o in PlannedOrder.objects.filter(run=run_, item=it).order_by("due_date", "id")
    ]


def exceptions_of(run_, it, kind=None):
    rows = MrpException.objects.filter(run=run_, item=it).order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows)


@pytest.fixture
def textbook(plant, ea, store):
    a = item("A", ea, lead=2)
    b = item("B", ea, lead=1)
    c = item("C", ea, make=False, lead=5)
    d = item("D", ea, make=False, lead=3)
    bom(a, (b, 2), (c, 1))
    bom(b, (d, 3))
    stock(store, a, 5)
    so1 = sale(plant, a, 10, day(15))
    so2 = sale(plant, a, 20, day(22))
    return {"A": a, "B": b, "C": c, "D": d, "so1": so1, "so2": so2}


# --- The textbook example, one lot-size rule at a time -------------------------------------------


def test_lot_for_lot_two_level_textbook_plan(plant, textbook):
    t = textbook
    result = run(plant)
    assert result.status == MrpRun.Status.DONE, result.error
    assert result.progress == 100
    assert orders_of(result, t["A"]) == [
        ("make", D(5), day(13), day(15)),
        ("make", D(20), day(20), day(22)),
    ]
    assert orders_of(result, t["B"]) == [
        ("make", D(10), day(12), day(13)),
        ("make", D(40), day(19), day(20)),
    ]
    assert orders_of(result, t["C"]) == [
        ("buy", D(5), day(8), day(13)),
        ("buy", D(20), day(15), day(20)),
    ]
    assert orders_of(result, t["D"]) == [
        ("buy", D(30), day(9), day(12)),
        ("buy", D(120), day(16), day(19)),
    ]
    levels = dict(PlannedOrder.objects.filter(run=result).values_list("item__number", "low_level_code").distinct())
    assert levels == {"A": 0, "B": 1, "C": 1, "D": 2}
    a_record = MrpItemResult.objects.get(run=result, item=t["A"])
    assert (a_record.on_hand, a_record.gross_requirements, a_record.planned_quantity) == (D(5), D(30), D(25))
    assert a_record.periods[0] == {
        "date": "2027-01-15",
        "gross": "10",
        "receipts": "0",
        "net": "5",
        "planned": "5",
        "on_hand": "0",
    }
    assert result.stats["planned_orders"] == 8
    assert set(result.stats["seconds"]) >= {"load", "calculate", "save", "total", "cpu"}


def test_fixed_lot_size_orders_several_lots(plant, textbook):
    t = textbook
    t["B"].lot_size_rule, t["B"].fixed_lot_size = "fixed", D(15)
    t["B"].save()
    result = run(plant)
    # 10 on the 13th: one lot of 15 (5 left over); 40 on the 20th: 5 left over + 3 lots of 15.
    assert orders_of(result, t["B"]) == [
        ("make", D(15), day(12), day(13)),
        ("make", D(15), day(19), day(20)),
        ("make", D(15), day(19), day(20)),
        ("make", D(15), day(19), day(20)),
    ]
    assert orders_of(result, t["D"]) == [("buy", D(45), day(9), day(12)), ("buy", D(135), day(16), day(19))]


def test_min_max_multiple_lot_size(plant, textbook):
    t = textbook
    b = t["B"]
    b.lot_size_rule, b.minimum_lot_size, b.maximum_lot_size, b.lot_multiple = "min_max", D(12), D(30), D(4)
    b.save()
    result = run(plant)
    # 10 -> at least 12 (a multiple of 4). 40 -> 2 left over, 38 rounded to 40 is above the
    # maximum 30 (28 as a multiple of 4): 28, then the 10 left -> 12.
    assert orders_of(result, b) == [
        ("make", D(12), day(12), day(13)),
        ("make", D(28), day(19), day(20)),
        ("make", D(12), day(19), day(20)),
    ]


def test_period_order_quantity_covers_the_next_days(plant, textbook):
    t = textbook
    t["B"].lot_size_rule, t["B"].period_days = "period", 10
    t["B"].save()
    result = run(plant)
    assert orders_of(result, t["B"]) == [("make", D(50), day(12), day(13))]
    assert orders_of(result, t["D"]) == [("buy", D(150), day(9), day(12))]
    pegs = Pegging.objects.filter(planned_order__item=t["B"], run=result).order_by("demand_date")
    assert [(p.demand_date, p.quantity) for p in pegs] == [(day(13), D(10)), (day(20), D(40))]


# --- Pegging and determinism ------------------------------------------------------------------------


def test_pegging_traces_a_sales_line_down_and_a_component_up(plant, textbook):
    t = textbook
    result = run(plant)
    # Down: the second sales line is served by A's second order, whose components B and C
    # are served by orders pegged to it, and B's order feeds D's.
    a_order = Pegging.objects.get(run=result, sales_order_line=t["so2"]).planned_order
    assert (a_order.item, a_order.quantity) == (t["A"], D(20))
    b_order = Pegging.objects.get(run=result, parent_planned_order=a_order, planned_order__item=t["B"]).planned_order
    assert (b_order.quantity, b_order.due_date) == (D(40), day(20))
    d_peg = Pegging.objects.get(run=result, parent_planned_order=b_order)
    assert (d_peg.planned_order.item, d_peg.quantity, d_peg.demand_kind) == (t["D"], D(120), "planned_order")
    # Up: from D's first order to the sales line it finally serves.
    d_first = PlannedOrder.objects.filter(run=result, item=t["D"]).order_by("due_date").first()
    chain = []
    order = d_first
    while True:
        peg = order.peggings.get()
        chain.append(order.item.number)
        if peg.demand_kind != "planned_order":
            break
        order = peg.parent_planned_order
    assert chain == ["D", "B", "A"]
    assert peg.demand_kind == "sales_order" and peg.sales_order_line == t["so1"] and peg.quantity == D(5)


def test_same_data_gives_the_same_plan(plant, textbook):
    first, second = run(plant), run(plant)

    def signature(r):
        orders = [
            (o.item_id, o.kind, o.quantity, o.start_date, o.due_date, o.low_level_code)
            for o in PlannedOrder.objects.filter(run=r).order_by("id")
        ]
        pegs = [
            (p.planned_order.item_id, p.demand_kind, p.demand_date, p.quantity, p.sales_order_line_id)
            for p in Pegging.objects.filter(run=r).select_related("planned_order").order_by("id")
        ]
        excs = [(e.item_id, e.kind, e.message) for e in MrpException.objects.filter(run=r).order_by("id")]
        return orders, pegs, excs

    assert signature(first) == signature(second)
    assert signature(first)[0]


# --- Demand: safety stock, forecasts, reservations, work orders ------------------------------------


def test_safety_stock_is_a_demand_at_the_plan_date(plant, ea, store):
    x = item("X", ea, make=False, lead=0, safety_stock=D(10))
    stock(store, x, 4)
    result = run(plant)
    assert orders_of(result, x) == [("buy", D(6), PLAN, PLAN)]
    assert Pegging.objects.get(run=result).demand_kind == "safety_stock"


def test_safety_stock_reorder_with_a_lead_time_is_past_due(plant, ea, store):
    x = item("X", ea, make=False, lead=3, safety_stock=D(10))
    stock(store, x, 4)
    result = run(plant)
    assert orders_of(result, x) == [("buy", D(6), PLAN, PLAN)]
    (late,) = exceptions_of(result, x, "past_due")
    assert "start 3 days late" in late.message and late.planned_order is not None


def test_forecast_is_consumed_by_sales_orders_of_its_period(plant, ea):
    f = item("F", ea, make=False)
    week1 = Forecast.objects.create(plant=plant, item=f, period_start=day(4), quantity=D(100))
    Forecast.objects.create(plant=plant, item=f, period_start=day(11), quantity=D(100))
    sale(plant, f, 60, day(6))
    sale(plant, f, 130, day(12))
    result = run(plant)
    # Week 1: max(100, 60) -> 60 sold + 40 forecast; week 2: max(100, 130) -> 130 sold.
    assert orders_of(result, f) == [
        ("buy", D(40), day(4), day(4)),
        ("buy", D(60), day(6), day(6)),
        ("buy", D(130), day(12), day(12)),
    ]
    forecast_peg = Pegging.objects.get(run=result, demand_kind="forecast")
    assert (forecast_peg.forecast, forecast_peg.quantity) == (week1, D(40))


def test_reserved_stock_covers_its_line_and_is_not_available_to_others(plant, ea, store):
    r = item("R", ea, make=False)
    stock(store, r, 50, reserved=25)  # 20 for the first line, 5 held for something else
    sale(plant, r, 20, day(6), reserved_quantity=D(20))
    second = sale(plant, r, 40, day(8))
    result = run(plant)
    assert orders_of(result, r) == [("buy", D(15), day(8), day(8))]
    assert Pegging.objects.get(run=result).sales_order_line == second


def test_quarantine_stock_is_not_counted(plant, ea, store):
    q = item("Q", ea, make=False)
    quarantine = LocationFactory(plant=plant, code="QC-HOLD", location_type=Location.Type.QUARANTINE)
    stock(quarantine, q, 100)
    stock(store, q, 10)
    sale(plant, q, 30, day(8))
    result = run(plant)
    assert orders_of(result, q) == [("buy", D(20), day(8), day(8))]


def test_draft_sales_orders_are_not_demand(plant, ea):
    it = item("DR", ea, make=False)
    SalesOrderLineFactory(order__plant=plant, order__status="draft", item=it, quantity=D(9), due_date=day(8))
    result = run(plant)
    assert orders_of(result, it) == []


def test_work_order_components_still_to_issue_are_demand(plant, ea):
    top, part = item("WTOP", ea), item("WPART", ea, make=False)
    wo = WorkOrder.objects.create(
        plant=plant, item=top, quantity=D(10), unit=ea, due_date=day(20), planned_start=day(11), status="released"
    )
    WorkOrderMaterial.objects.create(
        work_order=wo, component=part, quantity_per=D(2), required_quantity=D(20), issued_quantity=D(8)
    )
    result = run(plant)
    assert orders_of(result, part) == [("buy", D(12), day(11), day(11))]
    peg = Pegging.objects.get(run=result, planned_order__item=part)
    assert (peg.demand_kind, peg.work_order) == ("work_order", wo)
    # The order itself is a scheduled receipt nothing needs: cancel it.
    assert [e.work_order for e in exceptions_of(result, top, "cancel")] == [wo]


def test_stock_reserved_for_a_work_order_covers_its_material(plant, ea, store):
    from shopfloor.inventory.models import Reservation

    top, part = item("RTOP", ea), item("RPART", ea, make=False)
    wo = WorkOrder.objects.create(
        plant=plant, item=top, quantity=D(10), unit=ea, due_date=day(20), planned_start=day(11), status="released"
    )
    line = WorkOrderMaterial.objects.create(
        work_order=wo, component=part, quantity_per=D(2), required_quantity=D(20), issued_quantity=D(0)
    )
    stock(store, part, 12, reserved=12)
    Reservation.objects.create(
        item=part,
        location=store,
        quantity=D(12),
        source_object_type="production.workordermaterial",
        source_object_id=str(line.pk),
    )
    result = run(plant)
    # 20 required, 12 reserved for it (and not available to others): 8 to buy.
    assert orders_of(result, part) == [("buy", D(8), day(11), day(11))]


# --- Scheduled receipts and their messages --------------------------------------------------------


def test_receipts_net_requirements_and_raise_expedite_defer_cancel(plant, ea):
    p = item("P", ea, make=False)
    m = item("M", ea, lead=1)
    po_line = PurchaseOrderLineFactory(
        order__plant=plant, order__status="sent", item=p, quantity=D(50), due_date=day(20)
    )
    spare = PurchaseOrderLineFactory(order__plant=plant, order__status="sent", item=p, quantity=D(10), due_date=day(27))
    sale(plant, p, 30, day(13))
    sale(plant, p, 20, day(25))
    wo = WorkOrder.objects.create(plant=plant, item=m, quantity=D(40), unit=ea, due_date=day(6), status="released")
    sale(plant, m, 40, day(29))
    result = run(plant)
    assert orders_of(result, p) == [] and orders_of(result, m) == []
    (expedite,) = exceptions_of(result, p, "expedite")
    assert (expedite.purchase_order_line, expedite.date, expedite.suggested_date) == (po_line, day(20), day(13))
    (cancel,) = exceptions_of(result, p, "cancel")
    assert cancel.purchase_order_line == spare
    (defer,) = exceptions_of(result, m, "defer")
    assert (defer.work_order, defer.suggested_date) == (wo, day(29))
    assert MrpItemResult.objects.get(run=result, item=p).scheduled_receipts == D(60)


def test_past_due_receipt_counts_today_and_is_reported(plant, ea):
    p = item("PD", ea, make=False)
    line = PurchaseOrderLineFactory(
        order__plant=plant, order__status="sent", item=p, quantity=D(10), due_date=dt.date(2026, 12, 20)
    )
    sale(plant, p, 25, day(5))
    result = run(plant)
    assert orders_of(result, p) == [("buy", D(15), day(5), day(5))]
    (late,) = exceptions_of(result, p, "past_due")
    assert late.purchase_order_line == line and "15 days ago" in late.message


def test_purchase_line_in_another_unit_is_converted(plant, ea):
    p = item("BOXED", ea, make=False)
    box = UnitFactory(code="box12", category=ea.category, factor_numerator=12)
    PurchaseOrderLineFactory(order__plant=plant, order__status="sent", item=p, quantity=D(2), unit=box, due_date=day(5))
    sale(plant, p, 30, day(6))
    result = run(plant)
    assert orders_of(result, p) == [("buy", D(6), day(6), day(6))]


# --- BOM shapes and bad data ------------------------------------------------------------------------


def test_phantom_is_blown_through(plant, ea):
    top = item("TOP", ea, lead=0)
    kit = item("KIT", ea, lead=0)
    screw = item("SCREW", ea, make=False)
    bom(top, (kit, 2, True))
    bom(kit, (screw, 3))
    sale(plant, top, 10, day(8))
    result = run(plant)
    assert orders_of(result, kit) == []
    assert orders_of(result, screw) == [("buy", D(60), day(8), day(8))]
    peg = Pegging.objects.get(run=result, planned_order__item=screw)
    assert peg.parent_planned_order.item == top


def test_make_item_without_bom_is_planned_and_reported(plant, ea):
    lonely = item("NOBOM", ea, lead=0)
    sale(plant, lonely, 7, day(8))
    result = run(plant)
    assert orders_of(result, lonely) == [("make", D(7), day(8), day(8))]
    (no_bom,) = exceptions_of(result, lonely, "no_bom")
    assert "no released BOM" in no_bom.message
    assert len(exceptions_of(result, lonely, "no_routing")) == 1


def test_bom_cycle_fails_the_run_naming_it_and_saves_nothing(plant, ea):
    x, y = item("CYC-X", ea), item("CYC-Y", ea)
    bom(x, (y, 1))
    bom(y, (x, 1))
    sale(plant, x, 5, day(8))
    result = run(plant)
    assert result.status == MrpRun.Status.FAILED
    assert result.error == "BOM cycle: CYC-X -> CYC-Y -> CYC-X"
    assert not PlannedOrder.objects.filter(run=result).exists()
    assert not MrpItemResult.objects.filter(run=result).exists()


def test_an_item_deleted_while_the_plan_was_calculated_fails_the_run_and_saves_nothing(
    plant, textbook, ea, monkeypatch
):
    """Result rows' item keys are held by one lock at save time, not per-row checks: an item
    gone since the plan read it fails the run by name of its id, and no row of it is saved."""
    gone = item("GONE", ea)
    gone_id = gone.pk
    calculate = mrp.engine.plan

    def plan_then_item_deleted(*args, **kwargs):
        plan = calculate(*args, **kwargs)
        plan.orders[0].item_id = gone_id  # an order for an item deleted meanwhile
        gone.delete()
        return plan

    monkeypatch.setattr(mrp.engine, "plan", plan_then_item_deleted)
    result = run(plant)
    assert result.status == MrpRun.Status.FAILED
    assert result.error == (
        f"The plan refers to 1 item(s) deleted while it was calculated (id {gone_id}): run it again."
    )
    assert not PlannedOrder.objects.filter(run=result).exists()
    assert not Pegging.objects.filter(run=result).exists()
    assert not MrpItemResult.objects.filter(run=result).exists()


def test_planned_orders_items_are_locked_against_deletion_until_the_save_commits(plant, textbook):
    """The save's lock is the one a per-row key check would take: another item of the
    organization is untouched, and the plan's items and BOM versions are all found."""
    result = run(plant)
    assert result.status == MrpRun.Status.DONE
    items = set(PlannedOrder.objects.filter(run=result).values_list("item", flat=True))
    assert items == {textbook[k].pk for k in "ABCD"}
    versions = set(PlannedOrder.objects.filter(run=result, kind="make").values_list("bom_version", flat=True))
    assert len(versions) == 2 and None not in versions


def test_calendar_without_working_day_fails_naming_it(tenant, ea):
    plant = PlantFactory(organization=tenant, code="P9")
    WorkingCalendar.objects.create(organization=tenant, name="Empty", plant=plant)
    sale(plant, item("CAL", ea), 1, day(8))
    result = run(plant)
    assert result.status == MrpRun.Status.FAILED
    assert "Calendar Empty has no working day" in result.error


def test_lead_time_skips_holidays(plant, ea):
    from shopfloor.resources.models import CalendarException

    calendar = WorkingCalendar.objects.get(plant=plant)
    CalendarException.objects.create(calendar=calendar, date=day(14), kind="holiday")
    it = item("HOL", ea, lead=2)
    sale(plant, it, 1, day(15))
    result = run(plant)
    assert orders_of(result, it) == [("make", D(1), day(12), day(15))]


# --- Tenancy, the task and the command ---------------------------------------------------------------


def test_another_organizations_data_is_never_counted(plant, textbook, other_org):
    with tenancy.use(other_org):
        their_unit = UnitFactory(organization=other_org, code="ea")
        their_plant = PlantFactory(organization=other_org, code="P1")
        theirs = ItemFactory(organization=other_org, number="A", stock_unit=their_unit, make_or_buy="buy")
        SalesOrderLineFactory(
            organization=other_org,
            order__plant=their_plant,
            order__status="confirmed",
            item=theirs,
            quantity=D(999),
            due_date=day(8),
        )
    result = run(plant)
    assert not PlannedOrder.objects.filter(run=result, item=theirs).exists()
    assert PlannedOrder.objects.filter(run=result).count() == 8
    with tenancy.use(other_org):
        assert not MrpRun.objects.exists()


def test_request_needs_permission(plant, tenant):
    from django.core.exceptions import PermissionDenied

    viewer = member(tenant, ["*.view_*"], username="vic")
    with pytest.raises(PermissionDenied):
        mrp.request_mrp_run(actor=viewer, plant=plant)


def test_celery_task_runs_the_run_to_done(plant, textbook, django_capture_on_commit_callbacks):
    seen = []
    with django_capture_on_commit_callbacks(execute=True):
        requested = mrp.request_mrp_run(actor=tenancy.current_user(), plant=plant, plan_date=PLAN)
    requested.refresh_from_db()
    assert (requested.status, requested.progress) == (MrpRun.Status.DONE, 100)
    assert requested.finished_at is not None and requested.stats["planned_orders"] == 8
    # Running it again (a redelivered task) changes nothing.
    again = mrp.run_mrp(requested.pk, progress=lambda p, m: seen.append(p))
    assert again.status == MrpRun.Status.DONE and seen == []


def test_progress_callback_moves_up_to_100(plant, textbook):
    seen = []
    requested = mrp.request_mrp_run(actor=tenancy.current_user(), plant=plant, plan_date=PLAN, queue=False)
    mrp.run_mrp(requested.pk, progress=lambda percent, message: seen.append(percent))
    assert seen[0] == 5 and seen[-1] == 100 and seen == sorted(seen)


def test_finished_event_is_emitted_and_run_audited(plant, textbook):
    from shopfloor.core.models import AuditEvent, OutboxEvent

    result = run(plant)
    event = OutboxEvent.objects.filter(event_type="planning.mrp.finished").latest("id")
    assert event.payload["id"] == result.pk and event.payload["planned_orders"] == 8
    audited = AuditEvent.objects.filter(object_type="planning.mrprun", object_id=str(result.pk))
    assert sorted(audited.values_list("action", flat=True)) == ["create", "transition"]


def test_command_runs_with_a_progress_bar(plant, textbook):
    out, err = StringIO(), StringIO()
    call_command("mrp", "--plant", "P1", "--organization", plant.organization.slug, stdout=out, stderr=err)
    assert "100%" in err.getvalue()
    assert "8 planned orders" in out.getvalue()
    assert MrpRun.objects.get().status == MrpRun.Status.DONE


def test_command_refuses_an_unknown_plant(plant):
    with pytest.raises(CommandError, match="No plant 'NOPE'"):
        call_command("mrp", "--plant", "NOPE", stdout=StringIO(), stderr=StringIO())
