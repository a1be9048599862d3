"""Capacity load: hours of work per work center and machine per day or week, against the calendar.

Two modes, one shape of answer (`CapacityRow`):

Rough-cut (`rough_cut`) - what the open orders will ask of each work center:
  * every operation not completed of every open work order of the plant (draft included: a
    firmed planned order is a draft until someone plans it). A pending operation needs its
    setup plus run time x the order quantity; a started or paused one only the run time of
    what is still to be reported good or scrap (its setup is done);
  * a work order not yet released has no operations of its own: its routing's (or else the
    item's released routing's) operations stand in for them;
  * the planned work orders (make, not firmed) of the plant's newest finished MRP run,
    through their item's released routing.
  An order's hours are spread over its window - planned start (planned order: start date) to
  due date, both included - in proportion to the working hours of the work center's calendar
  on each day, so nothing lands on a weekend or holiday. With no planned start, or when the
  window has no working time, all of it lands on the due date (a visible overload on a closed
  day is the honest signal). A machine gets the operation's load when the operation runs on
  it; otherwise the load is shared equally among the operation's eligible machines, or else
  among all machines of the work center. Orders whose window ends before the range are left
  out (past-due work shows in MRP's exceptions, not as load on a past day).

Detailed (`detailed`) - what the plant's newest finished schedule placed: each scheduled
  operation's wall-clock time from start to end on its machine, split at midnight in the
  calendar's time zone. A work center's load is the sum of its machines'.

Capacity: a work center's is its calendar's working hours x its capacity (machines in
parallel) - `resources.selectors.available_hours`; a machine's is its work center calendar's
hours less the time MachineDowntime windows cover of each shift (an open-ended downtime runs
to the end of the range). A week bucket starts on Monday and sums only the days inside the
asked range. A bucket is overloaded when its load is greater than its capacity.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from shopfloor.production.models import Operation as WorkOrderOperation
from shopfloor.production.models import WorkOrder
from shopfloor.resources.models import Machine, MachineDowntime, Routing, ShiftPattern, WorkCenter, WorkingCalendar
from shopfloor.resources.models import Operation as RoutingOperation
from shopfloor.resources.selectors import HOURS_QUANTUM, MAX_DAYS, calendar_hours

from .models import MrpRun, PlannedOrder, ScheduledOperation, ScheduleRun

ROUGH_CUT = "rough_cut"
DETAILED = "detailed"
MODES = (ROUGH_CUT, DETAILED)
BUCKETS = ("day", "week")
OPEN_WORK_ORDER_STATES = ("draft", "planned", "released", "in_progress", "on_hold")
ZERO = Decimal(0)


@dataclass(frozen=True)
class CapacityRow:
    """One bucket of one work center (machine None) or one of its machines."""

    work_center: WorkCenter
    machine: Machine | None
    bucket_start: dt.date
    load_hours: Decimal
    capacity_hours: Decimal
    utilisation: Decimal | None
    overloaded: bool


@dataclass
class _Load:
    """Hours one operation asks of a work center, spread over the days of a window."""

    work_center: WorkCenter
    machine_ids: list[int]
    hours: Decimal
    start: dt.date
    due: dt.date


def check_range(date_from: dt.date | None, date_to: dt.date | None) -> None:
    """A range of at most MAX_DAYS days, end not before start (400 naming the field)."""
    if date_from is None:
        raise ValidationError({"date_from": ["Give the first day."]})
    if date_to is None:
        raise ValidationError({"date_to": ["Give the last day."]})
    if date_to < date_from:
        raise ValidationError({"date_to": ["The last day is before the first day."]})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationError({"date_to": [f"At most {MAX_DAYS} days at a time."]})


def _days(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    return [date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1)]


class _Calendars:
    """Working hours per day of each calendar, read once per calendar for the whole span."""

    def __init__(self, lo: dt.date, hi: dt.date) -> None:
        self.lo, self.hi = lo, hi
        self._hours: dict[int, dict[dt.date, Decimal]] = {}

    def hours(self, calendar: WorkingCalendar) -> dict[dt.date, Decimal]:
        if calendar.pk not in self._hours:
            found: dict[dt.date, Decimal] = {}
            start = self.lo
            while start <= self.hi:  # the resources selector answers at most MAX_DAYS at a time
                end = min(self.hi, start + dt.timedelta(days=MAX_DAYS - 1))
                found.update(calendar_hours(calendar, start, end))
                start = end + dt.timedelta(days=1)
            self._hours[calendar.pk] = found
        return self._hours[calendar.pk]


def _spread(load: _Load, calendars: _Calendars) -> dict[dt.date, Decimal]:
    """The load's hours per day of its window, in proportion to the calendar's working hours."""
    hours = calendars.hours(load.work_center.calendar)
    window = _days(load.start, load.due) if load.start <= load.due else [load.due]
    weights = {day: hours.get(day, ZERO) for day in window}
    total = sum(weights.values(), ZERO)
    if total <= 0:
        return {load.due: load.hours}
    return {day: load.hours * weight / total for day, weight in weights.items() if weight > 0}


def _minutes_to_hours(minutes: Decimal) -> Decimal:
    return minutes / Decimal(60)


def _eligible(through: Any, **where: Any) -> dict[int, list[int]]:
    """operation id -> eligible machine ids, read from the m2m table in one query (a prefetch
    would build one queryset per operation)."""
    found: dict[int, list[int]] = defaultdict(list)
    for operation_id, machine_id in through.objects.filter(**where).values_list("operation_id", "machine_id"):
        found[operation_id].append(machine_id)
    return found


def _routing_operations(routing_ids: Iterable[int]) -> dict[int, list[tuple[Any, list[int]]]]:
    """routing id -> its operations (work center and calendar joined) with their eligible machines."""
    routing_ids = set(routing_ids)
    if not routing_ids:
        return {}
    operations = list(
        RoutingOperation.objects.filter(routing_id__in=routing_ids)
        .select_related("work_center__calendar")
        .order_by("routing_id", "sequence")
    )
    eligible = _eligible(RoutingOperation.eligible_machines.through, operation__routing_id__in=routing_ids)
    found: dict[int, list[tuple[Any, list[int]]]] = defaultdict(list)
    for op in operations:
        found[op.routing_id].append((op, eligible.get(op.pk, [])))
    return found


def _routing_loads(
    operations: list[tuple[Any, list[int]]], quantity: Decimal, start: dt.date, due: dt.date
) -> list[_Load]:
    return [
        _Load(
            work_center=op.work_center,
            machine_ids=machines,
            hours=_minutes_to_hours(op.setup_time_minutes + op.run_time_per_unit_minutes * quantity),
            start=start,
            due=due,
        )
        for op, machines in operations
    ]


def _rough_cut_loads(plant: Any, date_from: dt.date, date_to: dt.date) -> list[_Load]:
    loads: list[_Load] = []
    orders = {
        wo.pk: wo
        for wo in WorkOrder.objects.filter(plant=plant, status__in=OPEN_WORK_ORDER_STATES, due_date__gte=date_from)
        .exclude(planned_start__gt=date_to)
        .exclude(planned_start__isnull=True, due_date__gt=date_to)
        .only("id", "item_id", "routing_id", "quantity", "due_date", "planned_start")
    }
    cards = (
        WorkOrderOperation.objects.filter(work_order_id__in=orders)
        .exclude(status=WorkOrderOperation.Status.COMPLETED)
        .select_related("work_center__calendar")
    )
    eligible = _eligible(WorkOrderOperation.eligible_machines.through, operation__in=cards)
    with_cards = set(
        WorkOrderOperation.objects.filter(work_order_id__in=orders).values_list("work_order_id", flat=True).distinct()
    )
    for op in cards:
        wo = orders[op.work_order_id]
        if op.status == WorkOrderOperation.Status.PENDING:
            minutes = op.setup_time_minutes + op.run_time_per_unit_minutes * wo.quantity
        else:
            left = max(wo.quantity - op.good_quantity - op.scrap_quantity, ZERO)
            minutes = op.run_time_per_unit_minutes * left
        machines = [op.machine_id] if op.machine_id else eligible.get(op.pk, [])
        start = wo.planned_start or wo.due_date
        loads.append(_Load(op.work_center, machines, _minutes_to_hours(minutes), start, wo.due_date))
    # Orders not released yet have no job cards: their routing (or the item's released one) stands in.
    pending = [wo for wo in orders.values() if wo.pk not in with_cards]
    run = MrpRun.objects.filter(plant=plant, status=MrpRun.Status.DONE).order_by("-id").first()
    planned = (
        list(
            PlannedOrder.objects.filter(
                run=run,
                kind=PlannedOrder.Kind.MAKE,
                status=PlannedOrder.Status.PLANNED,
                due_date__gte=date_from,
                start_date__lte=date_to,
            ).only("id", "item_id", "quantity", "start_date", "due_date")
        )
        if run is not None
        else []
    )
    released = dict(
        Routing.objects.filter(
            item_id__in={wo.item_id for wo in pending if wo.routing_id is None} | {po.item_id for po in planned},
            status="released",
        ).values_list("item_id", "id")
    )
    routings = _routing_operations({wo.routing_id for wo in pending if wo.routing_id} | set(released.values()))
    for wo in pending:
        routing_id = wo.routing_id or released.get(wo.item_id)
        if routing_id in routings:
            loads.extend(
                _routing_loads(routings[routing_id], wo.quantity, wo.planned_start or wo.due_date, wo.due_date)
            )
    for po in planned:
        routing_id = released.get(po.item_id)
        if routing_id in routings:
            loads.extend(_routing_loads(routings[routing_id], po.quantity, po.start_date, po.due_date))
    return loads


def _detailed_load(
    plant: Any, date_from: dt.date, date_to: dt.date, machines: dict[int, Machine]
) -> dict[int, dict[dt.date, Decimal]]:
    """Hours per machine and day of the plant's newest finished schedule."""
    per_machine: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    run = ScheduleRun.objects.filter(plant=plant, status=ScheduleRun.Status.DONE).order_by("-id").first()
    if run is None:
        return per_machine
    earliest = dt.datetime.combine(date_from - dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    latest = dt.datetime.combine(date_to + dt.timedelta(days=2), dt.time.min, tzinfo=dt.UTC)
    rows = ScheduledOperation.objects.filter(run=run, end__gt=earliest, start__lt=latest).values_list(
        "machine_id", "start", "end"
    )
    for machine_id, start, end in rows:
        machine = machines.get(machine_id)
        if machine is None:
            continue
        zone = machine.work_center.calendar.zone
        cursor, end = start.astimezone(zone), end.astimezone(zone)
        while cursor < end:
            midnight = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
            piece_end = min(end, midnight)
            day = cursor.date()
            if date_from <= day <= date_to:
                seconds = (piece_end.astimezone(dt.UTC) - cursor.astimezone(dt.UTC)).total_seconds()
                per_machine[machine_id][day] += Decimal(int(seconds)) / Decimal(3600)
            cursor = piece_end
    return per_machine


def _downtime_loss(
    machine: Machine, downtimes: list[MachineDowntime], shifts: dict[int, list[ShiftPattern]], days: list[dt.date]
) -> dict[dt.date, Decimal]:
    """Working hours lost per day to downtime windows: each shift's overlap, at most its net hours.

    Extra shifts of calendar exceptions are not reduced (rare; the shift pattern is what
    maintenance is planned against) and closed days have no hours to lose.
    """
    calendar = machine.work_center.calendar
    zone = calendar.zone
    loss: dict[dt.date, Decimal] = {}
    far = dt.datetime.combine(days[-1] + dt.timedelta(days=2), dt.time.min, tzinfo=zone)
    for day in days:
        lost = ZERO
        for shift in shifts.get(day.weekday(), []):
            begins = dt.datetime.combine(day, shift.start_time, tzinfo=zone)
            ends_day = day + dt.timedelta(days=1) if shift.end_time <= shift.start_time else day
            ends = dt.datetime.combine(ends_day, shift.end_time, tzinfo=zone)
            net = Decimal(max(int((ends - begins).total_seconds()) - 60 * shift.break_minutes, 0)) / Decimal(3600)
            overlap = 0.0
            for down in downtimes:
                lo = max(begins, down.starts_at)
                hi = min(ends, down.ends_at or far)
                if hi > lo:
                    overlap += (hi - lo).total_seconds()
            lost += min(Decimal(int(overlap)) / Decimal(3600), net)
        if lost:
            loss[day] = lost
    return loss


def _bucket_of(day: dt.date, bucket: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if bucket == "week" else day


def _row(wc: WorkCenter, machine: Machine | None, start: dt.date, load: Decimal, capacity: Decimal) -> CapacityRow:
    load = load.quantize(HOURS_QUANTUM)
    capacity = capacity.quantize(HOURS_QUANTUM)
    utilisation = (load / capacity).quantize(Decimal("0.001")) if capacity > 0 else None
    return CapacityRow(wc, machine, start, load, capacity, utilisation, load > capacity)


def capacity_load(
    *, plant: Any, mode: str = ROUGH_CUT, bucket: str = "day", date_from: dt.date, date_to: dt.date
) -> list[CapacityRow]:
    """Load against capacity per active work center of the plant and per machine, per bucket.

    Rows come work center by work center (by code): the work center's row of each bucket, then
    each machine's. See the module docstring for what counts as load in each mode.
    """
    if mode not in MODES:
        raise ValidationError({"mode": [f"Choose one of {', '.join(MODES)}."]})
    if bucket not in BUCKETS:
        raise ValidationError({"bucket": [f"Choose one of {', '.join(BUCKETS)}."]})
    check_range(date_from, date_to)
    days = _days(date_from, date_to)
    work_centers = list(
        WorkCenter.objects.filter(plant=plant, is_active=True)
        .select_related("calendar__plant")
        .prefetch_related(Prefetch("machines", queryset=Machine.objects.order_by("code")))
        .order_by("code")
    )
    machines: dict[int, Machine] = {}
    for wc in work_centers:
        for machine in wc.machines.all():
            machine.work_center = wc  # one calendar object per work center, no query per machine
            machines[machine.pk] = machine

    wc_load: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    machine_load: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    if mode == ROUGH_CUT:
        loads = _rough_cut_loads(plant, date_from, date_to)
        lo = min([date_from, *(load.start for load in loads)])
        hi = max([date_to, *(load.due for load in loads)])
        calendars = _Calendars(lo, hi)
        wc_ids = {wc.pk for wc in work_centers}
        by_center = {wc.pk: [m.pk for m in wc.machines.all()] for wc in work_centers}
        for load in loads:
            if load.work_center.pk not in wc_ids:
                continue
            targets = [m for m in load.machine_ids if m in machines] or by_center.get(load.work_center.pk, [])
            for day, hours in _spread(load, calendars).items():
                if not date_from <= day <= date_to:
                    continue
                wc_load[load.work_center.pk][day] += hours
                for machine_id in targets:
                    machine_load[machine_id][day] += hours / len(targets)
    else:
        calendars = _Calendars(date_from, date_to)
        machine_load = _detailed_load(plant, date_from, date_to, machines)
        for machine_id, per_day in machine_load.items():
            for day, hours in per_day.items():
                wc_load[machines[machine_id].work_center.pk][day] += hours

    downtimes: dict[int, list[MachineDowntime]] = defaultdict(list)
    range_start = dt.datetime.combine(date_from - dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    range_end = dt.datetime.combine(date_to + dt.timedelta(days=2), dt.time.min, tzinfo=dt.UTC)
    for down in MachineDowntime.objects.filter(machine_id__in=list(machines), starts_at__lt=range_end).exclude(
        ends_at__lte=range_start
    ):
        downtimes[down.machine_id].append(down)
    shifts_by_calendar: dict[int, dict[int, list[ShiftPattern]]] = defaultdict(lambda: defaultdict(list))
    for shift in ShiftPattern.objects.filter(calendar_id__in={wc.calendar_id for wc in work_centers}):
        shifts_by_calendar[shift.calendar_id][shift.weekday].append(shift)

    rows: list[CapacityRow] = []
    for wc in work_centers:
        base = calendars.hours(wc.calendar)
        closed_days = {day for day in days if base.get(day, ZERO) == 0}
        series: list[tuple[Machine | None, dict[dt.date, Decimal], dict[dt.date, Decimal]]] = [
            (None, wc_load[wc.pk], {day: base.get(day, ZERO) * wc.capacity for day in days})
        ]
        for machine in wc.machines.all():
            open_days = [day for day in days if day not in closed_days]
            loss = (
                _downtime_loss(machine, downtimes[machine.pk], shifts_by_calendar[wc.calendar_id], open_days)
                if downtimes.get(machine.pk) and open_days
                else {}
            )
            capacity = {day: max(base.get(day, ZERO) - loss.get(day, ZERO), ZERO) for day in days}
            series.append((machine, machine_load[machine.pk], capacity))
        for machine, load, capacity in series:
            buckets: dict[dt.date, list[Decimal]] = {}
            for day in days:
                key = _bucket_of(day, bucket)
                pair = buckets.setdefault(key, [ZERO, ZERO])
                pair[0] += load.get(day, ZERO)
                pair[1] += capacity[day]
            for key, (load_hours, capacity_hours) in buckets.items():
                rows.append(_row(wc, machine, key, load_hours, capacity_hours))
    return rows
