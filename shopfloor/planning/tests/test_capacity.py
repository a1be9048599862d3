"""Capacity load, exact for a small plant: one work center of two machines, 8 h Mon-Fri, a holiday,
a downtime window, three work orders and a planned work order (see `capacity` for the rules)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.planning.capacity import capacity_load
from shopfloor.planning.models import PlannedOrder
from shopfloor.planning.tests.factories import (
    MrpRunFactory,
    PlannedOrderFactory,
    ScheduledOperationFactory,
    ScheduleRunFactory,
)
from shopfloor.production.models import Operation as JobCard
from shopfloor.production.models import WorkOrder
from shopfloor.production.tests.factories import WorkOrderFactory
from shopfloor.resources import services as resources_services
from shopfloor.resources.models import MachineDowntime
from shopfloor.resources.tests.factories import (
    CalendarExceptionFactory,
    MachineFactory,
    OperationFactory,
    RoutingFactory,
    ShiftPatternFactory,
    WorkCenterFactory,
    WorkingCalendarFactory,
)

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
MON, TUE, WED, THU, FRI = (dt.date(2027, 3, d) for d in range(1, 6))
D = Decimal


def _order(plant, work_center, *, status, quantity, due, start=None, setup=0, run=0, machines=(), done=None):
    wo = WorkOrderFactory(plant=plant, quantity=quantity, due_date=due, planned_start=start)
    WorkOrder.objects.filter(pk=wo.pk).update(status=status)
    card = JobCard.objects.create(
        work_order=wo,
        sequence=10,
        description="Turn",
        work_center=work_center,
        setup_time_minutes=setup,
        run_time_per_unit_minutes=run,
    )
    card.eligible_machines.set(machines)
    if done:  # a completed job card asks for nothing more
        JobCard.objects.create(
            work_order=wo,
            sequence=20,
            description="Mill",
            work_center=work_center,
            setup_time_minutes=600,
            status=JobCard.Status.COMPLETED,
        )
    return wo


@pytest.fixture
def plant(tenant, admin_user):
    plant = PlantFactory(timezone="Europe/Oslo")
    calendar = WorkingCalendarFactory(timezone="Europe/Oslo")
    for weekday in range(5):
        ShiftPatternFactory(
            calendar=calendar, weekday=weekday, start_time=dt.time(7), end_time=dt.time(15), break_minutes=0
        )
    CalendarExceptionFactory(calendar=calendar, date=WED)
    wc = WorkCenterFactory(plant=plant, calendar=calendar, capacity=2, code="LATHES")
    m1 = MachineFactory(work_center=wc, code="M1")
    m2 = MachineFactory(work_center=wc, code="M2")
    MachineDowntime.objects.create(
        plant=plant,
        machine=m1,
        starts_at=dt.datetime(2027, 3, 2, 9, tzinfo=OSLO),
        ends_at=dt.datetime(2027, 3, 2, 11, tzinfo=OSLO),
    )
    # 11 h over Mon-Tue on M1; 25 h over Tue-Thu on M2 (none on the holiday); 2 h on Friday, shared.
    _order(plant, wc, status="released", quantity=100, start=MON, due=TUE, setup=60, run=6, machines=[m1], done=True)
    _order(plant, wc, status="in_progress", quantity=50, start=TUE, due=THU, run=30, machines=[m2])
    _order(plant, wc, status="draft", quantity=1, due=FRI, setup=120)
    _order(plant, wc, status="cancelled", quantity=1, due=FRI, setup=6000)
    # The plan in force: a planned work order of 4 x 60 min on Friday through the released routing.
    item = ItemFactory()
    routing = RoutingFactory(item=item, operations=0)
    OperationFactory(routing=routing, work_center=wc, setup_time_minutes=0, run_time_per_unit_minutes=60)
    resources_services.release_routing(actor=admin_user, routing=routing)
    MrpRunFactory(plant=plant)  # older run, superseded
    run = MrpRunFactory(plant=plant)
    PlannedOrderFactory(run=run, item=item, quantity=4, start_date=FRI, due_date=FRI)
    PlannedOrderFactory(run=run, item=item, quantity=4, start_date=FRI, due_date=FRI, kind=PlannedOrder.Kind.BUY)
    return plant


def _table(rows):
    return {
        (row.machine.code if row.machine else row.work_center.code, row.bucket_start): (
            row.load_hours,
            row.capacity_hours,
            row.overloaded,
        )
        for row in rows
    }


def test_rough_cut_per_day_is_exact(plant):
    table = _table(capacity_load(plant=plant, mode="rough_cut", bucket="day", date_from=MON, date_to=FRI))
    assert [table[("LATHES", day)] for day in (MON, TUE, WED, THU, FRI)] == [
        (D("5.50"), D("16.00"), False),
        (D("18.00"), D("16.00"), True),
        (D("0.00"), D("0.00"), False),
        (D("12.50"), D("16.00"), False),
        (D("6.00"), D("16.00"), False),
    ]
    assert [table[("M1", day)] for day in (MON, TUE, WED, THU, FRI)] == [
        (D("5.50"), D("8.00"), False),
        (D("5.50"), D("6.00"), False),  # two hours of downtime on Tuesday
        (D("0.00"), D("0.00"), False),
        (D("0.00"), D("8.00"), False),
        (D("3.00"), D("8.00"), False),
    ]
    assert [table[("M2", day)] for day in (MON, TUE, WED, THU, FRI)] == [
        (D("0.00"), D("8.00"), False),
        (D("12.50"), D("8.00"), True),
        (D("0.00"), D("0.00"), False),
        (D("12.50"), D("8.00"), True),
        (D("3.00"), D("8.00"), False),
    ]


def test_rough_cut_per_week_sums_the_days(plant):
    rows = capacity_load(plant=plant, mode="rough_cut", bucket="week", date_from=MON, date_to=FRI)
    table = _table(rows)
    assert len(rows) == 3
    assert table[("LATHES", MON)] == (D("42.00"), D("64.00"), False)
    assert table[("M1", MON)] == (D("14.00"), D("30.00"), False)
    assert table[("M2", MON)] == (D("28.00"), D("32.00"), False)
    assert [r.utilisation for r in rows] == [D("0.656"), D("0.467"), D("0.875")]


def test_detailed_splits_scheduled_operations_at_midnight(plant):
    m1 = plant_machine(plant, "M1")
    run = ScheduleRunFactory(plant=plant)
    ScheduledOperationFactory(
        run=run,
        machine=m1,
        start=dt.datetime(2027, 3, 2, 22, tzinfo=OSLO),
        end=dt.datetime(2027, 3, 3, 2, 30, tzinfo=OSLO),
    )
    ScheduledOperationFactory(
        run=ScheduleRunFactory(plant=plant, status="failed"),
        machine=m1,
        start=dt.datetime(2027, 3, 1, 8, tzinfo=OSLO),
        end=dt.datetime(2027, 3, 1, 12, tzinfo=OSLO),
    )
    table = _table(capacity_load(plant=plant, mode="detailed", bucket="day", date_from=MON, date_to=WED))
    assert table[("M1", MON)] == (D("0.00"), D("8.00"), False)
    assert table[("M1", TUE)] == (D("2.00"), D("6.00"), False)
    assert table[("M1", WED)] == (D("2.50"), D("0.00"), True)  # on the holiday: over capacity
    assert table[("LATHES", WED)] == (D("2.50"), D("0.00"), True)
    assert table[("M2", TUE)] == (D("0.00"), D("8.00"), False)


def plant_machine(plant, code):
    from shopfloor.resources.models import Machine

    return Machine.objects.get(plant=plant, code=code)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"date_from": FRI, "date_to": MON}, "date_to"),
        ({"date_from": MON, "date_to": MON + dt.timedelta(days=400)}, "date_to"),
        ({"date_from": MON, "date_to": FRI, "mode": "finite"}, "mode"),
        ({"date_from": MON, "date_to": FRI, "bucket": "month"}, "bucket"),
    ],
)
def test_bad_input_names_the_field(plant, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        capacity_load(plant=plant, **kwargs)
    assert field in exc.value.message_dict
