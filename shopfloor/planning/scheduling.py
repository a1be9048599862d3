"""The plant as a scheduling `Problem`: work orders, routings, calendars and downtime in minutes.

`build_problem(plant, now)` reads the database once and hands the solver pure data; the
`PlantProblem` it returns also keeps what is needed to turn minutes back into rows (which
operation a task key is, the origin, the due dates). Rules:

- Operations of released and in-progress work orders not yet completed; with
  `include_planned_orders`, the make orders of the plant's newest finished MRP run too,
  exploded through the item's released routing (duration = setup + run x quantity, rounded up).
- Eligible machines: the operation's own list, else every machine of its work center that is
  not retired. A machine down or in maintenance now is closed from now until the horizon (it
  may come back, but nobody knows when); so is one with an open `MachineDowntime`.
- Calendars: each machine's work center calendar gives open time (shifts, minus holidays and
  closures, plus extra shifts) in the calendar's own zone; the rest of the horizon is closed.
  A shift's break has no recorded position, so it is taken off the shift's end: an operation
  never runs into time the calendar does not pay for.
- Started (in progress or paused) operations are fixed now on their machine for the time that
  remains; pinned operations are fixed where the planner put them. A fixed operation opens its
  machine for its own time: the shop floor or the planner decided it runs then.
- A parent work order's job comes after its children's; the release is the planned start (or
  now), the due date is the end of the due day in the plant's zone, the weight the priority.

Anything that cannot be scheduled (no eligible machine, a calendar with no working time, an
operation longer than any open window) raises `ProblemError` naming the culprit.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from shopfloor.production.models import Operation as JobCard
from shopfloor.production.models import WorkOrder
from shopfloor.resources.models import CalendarException, Machine, MachineDowntime, Routing, ShiftPattern
from shopfloor.resources.models import Operation as RoutingOperation
from shopfloor.resources.selectors import UNAVAILABLE_MACHINE_STATES

from .models import MrpRun, Pegging, PlannedOrder
from .solver import Alternative, Job, Placement, Problem, ProblemError, Task

SCHEDULED_WORK_ORDER_STATES = ("released", "in_progress")
STARTED_OPERATION_STATES = (JobCard.Status.IN_PROGRESS, JobCard.Status.PAUSED)
MAX_HORIZON_DAYS = 366
MIN_SLACK_DAYS = 7

Interval = tuple[int, int]


@dataclass(frozen=True)
class TaskInfo:
    """What a task key stands for in the database."""

    key: str
    job: str
    sequence: int
    description: str
    work_order_id: int | None = None
    operation_id: int | None = None
    planned_order_id: int | None = None
    routing_operation_id: int | None = None
    setup_minutes: int = 0
    fixed_start: dt.datetime | None = None
    """A started operation's real start (before the origin); the solver sees it fixed at minute 0."""


@dataclass(frozen=True)
class JobInfo:
    key: str
    label: str
    due: dt.datetime | None
    release: dt.datetime
    work_order_id: int | None = None
    planned_order_id: int | None = None
    item_id: int | None = None
    weight: int = 1


@dataclass
class PlantProblem:
    problem: Problem
    origin: dt.datetime
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    jobs: dict[str, JobInfo] = field(default_factory=dict)
    machines: dict[int, Machine] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def at(self, minute: int) -> dt.datetime:
        return self.origin + dt.timedelta(minutes=minute)

    def minute(self, moment: dt.datetime) -> int:
        return math.floor((moment - self.origin).total_seconds() / 60)


# --- Calendars -----------------------------------------------------------------------------------


def _window(
    day: dt.date, start: dt.time, end: dt.time, break_minutes: int, zone: Any
) -> tuple[dt.datetime, dt.datetime]:
    begins = dt.datetime.combine(day, start, tzinfo=zone).astimezone(dt.UTC)
    ends = dt.datetime.combine(day + dt.timedelta(days=1) if end <= start else day, end, tzinfo=zone)
    ends_utc = ends.astimezone(dt.UTC) - dt.timedelta(minutes=break_minutes)
    return begins, max(begins, ends_utc)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, non-touching intervals covering the same minutes."""
    merged: list[list[int]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def complement(intervals: list[Interval], horizon: int) -> list[Interval]:
    """The minutes of [0, horizon) not in `intervals` (merged)."""
    gaps: list[Interval] = []
    cursor = 0
    for start, end in merge(intervals):
        if start > cursor:
            gaps.append((cursor, min(start, horizon)))
        cursor = max(cursor, end)
        if cursor >= horizon:
            break
    if cursor < horizon:
        gaps.append((cursor, horizon))
    return [g for g in gaps if g[1] > g[0]]


def calendar_open_intervals(
    calendar: Any,
    shifts: list[ShiftPattern],
    exceptions: list[CalendarException],
    origin: dt.datetime,
    horizon: int,
) -> list[Interval]:
    """Open minutes of one calendar over [0, horizon) from `origin`, in its own zone.

    A shift counts on the day it starts (a Monday 22:00-06:00 night shift is Monday's), and
    a holiday or closure removes the shifts starting that day, as `resources.selectors` counts
    hours, so the page's capacity and the schedule agree.
    """
    zone = zoneinfo.ZoneInfo(calendar.zone_name)
    first = origin.astimezone(zone).date() - dt.timedelta(days=1)
    last = (origin + dt.timedelta(minutes=horizon)).astimezone(zone).date()
    by_weekday: dict[int, list[ShiftPattern]] = defaultdict(list)
    for shift in shifts:
        by_weekday[shift.weekday].append(shift)
    closed_days = {e.date for e in exceptions if e.kind != CalendarException.Kind.EXTRA_SHIFT}
    extra: dict[dt.date, list[CalendarException]] = defaultdict(list)
    for exc in exceptions:
        if exc.kind == CalendarException.Kind.EXTRA_SHIFT:
            extra[exc.date].append(exc)
    opened: list[Interval] = []
    day = first
    while day <= last:
        windows = (
            []
            if day in closed_days
            else [(s.start_time, s.end_time, s.break_minutes) for s in by_weekday.get(day.weekday(), [])]
        )
        windows += [(e.start_time, e.end_time, e.break_minutes) for e in extra.get(day, [])]
        for start, end, break_minutes in windows:
            begins, ends = _window(day, start, end, break_minutes, zone)
            a = math.ceil((begins - origin).total_seconds() / 60)
            b = math.floor((ends - origin).total_seconds() / 60)
            a, b = max(a, 0), min(b, horizon)
            if b > a:
                opened.append((a, b))
        day += dt.timedelta(days=1)
    return merge(opened)


def _subtract(opened: list[Interval], closed: list[Interval]) -> list[Interval]:
    """Open intervals minus closed ones."""
    result: list[Interval] = []
    for start, end in opened:
        pieces = [(start, end)]
        for c_start, c_end in closed:
            next_pieces = []
            for a, b in pieces:
                if c_end <= a or c_start >= b:
                    next_pieces.append((a, b))
                    continue
                if c_start > a:
                    next_pieces.append((a, c_start))
                if c_end < b:
                    next_pieces.append((c_end, b))
            pieces = next_pieces
        result.extend(pieces)
    return merge(result)


def longest(intervals: list[Interval]) -> int:
    return max((b - a for a, b in intervals), default=0)


def first_open_start(opened: list[Interval], earliest: int, duration: int) -> int | None:
    """The first minute at or after `earliest` from which `duration` minutes run uninterrupted."""
    for a, b in opened:
        start = max(a, earliest)
        if b - start >= duration:
            return start
    return None


# --- Durations -----------------------------------------------------------------------------------


def operation_minutes(setup: Decimal, run_per_unit: Decimal, quantity: Decimal) -> tuple[int, int]:
    """(total, setup) whole minutes: setup + run x quantity rounded up, at least one minute."""
    setup_minutes = math.ceil(setup)
    total = math.ceil(setup + run_per_unit * quantity)
    return max(total, 1), setup_minutes


def _end_of_day(day: dt.date, zone: Any) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def _start_of_day(day: dt.date, zone: Any) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


# --- Reading the plant ---------------------------------------------------------------------------


@dataclass
class _Draft:
    """A task before machines are known to be open: its eligible machines and minutes."""

    info: TaskInfo
    index: int
    machines: list[Machine]
    total: int
    setup: int
    quantity: Decimal
    setup_decimal: Decimal
    run_decimal: Decimal
    fixed: tuple[int, int] | None = None
    label: str = ""


def _origin(now: dt.datetime) -> dt.datetime:
    """Minute zero: now rounded up to the whole minute."""
    floor = now.replace(second=0, microsecond=0)
    return floor if floor == now else floor + dt.timedelta(minutes=1)


def _plant_machines(plant: Any) -> dict[int, Machine]:
    return {
        m.pk: m
        for m in Machine.objects.filter(plant=plant)
        .exclude(status="retired")
        .select_related("work_center__calendar__plant")
        .order_by("code")
    }


def _eligible(
    label: str, listed: Iterable[Machine], work_center: Any, by_work_center: dict[int, list[Machine]]
) -> list[Machine]:
    machines = [m for m in listed if m.status != "retired"]
    if not machines:
        machines = [m for m in by_work_center.get(work_center.pk, []) if m.status != "retired"]
    if not machines:
        raise ProblemError(
            f"{label}: no eligible machine (none listed on the operation, and work center "
            f"{work_center.code} has no machine in service)."
        )
    return machines


def _work_order_drafts(
    plant: Any,
    now: dt.datetime,
    origin: dt.datetime,
    by_work_center: dict[int, list[Machine]],
    machines: dict[int, Machine],
) -> tuple[list[_Draft], dict[str, JobInfo], dict[str, list[str]], dict[str, list[str]]]:
    zone = zoneinfo.ZoneInfo(plant.timezone)
    orders = list(
        WorkOrder.objects.filter(plant=plant, status__in=SCHEDULED_WORK_ORDER_STATES)
        .select_related("item")
        .prefetch_related(
            Prefetch(
                "operations",
                queryset=JobCard.objects.exclude(status=JobCard.Status.COMPLETED)
                .select_related("work_center", "machine", "pin__machine")
                .prefetch_related("eligible_machines")
                .order_by("sequence"),
            )
        )
        .order_by("due_date", "number")
    )
    drafts: list[_Draft] = []
    jobs: dict[str, JobInfo] = {}
    after: dict[str, list[str]] = defaultdict(list)
    aliases: dict[str, list[str]] = {}
    in_problem = {wo.pk for wo in orders}
    for wo in orders:
        ops = list(wo.operations.all())
        if not ops:
            continue
        job_key = f"wo:{wo.pk}"
        release = max(_start_of_day(wo.planned_start, zone), origin) if wo.planned_start else origin
        jobs[job_key] = JobInfo(
            key=job_key,
            label=wo.number,
            due=_end_of_day(wo.due_date, zone),
            release=release,
            work_order_id=wo.pk,
            item_id=wo.item_id,
            weight=wo.priority or 1,
        )
        if wo.parent_id in in_problem:
            after[f"wo:{wo.parent_id}"].append(job_key)
        index = 0
        running: list[str] = []
        for op in ops:
            label = f"Operation {op.sequence} '{op.description}' of {wo.number}"
            eligible = _eligible(label, op.eligible_machines.all(), op.work_center, by_work_center)
            total, setup = operation_minutes(op.setup_time_minutes, op.run_time_per_unit_minutes, wo.quantity)
            fixed: tuple[int, int] | None = None
            fixed_start = None
            task_job, task_index = job_key, index
            if op.status in STARTED_OPERATION_STATES:
                done = op.good_quantity + op.scrap_quantity
                elapsed = max((now - op.started_at).total_seconds() / 60, 0) if op.started_at else 0
                remaining = op.run_time_per_unit_minutes * max(wo.quantity - done, Decimal(0))
                if done == 0:
                    remaining += max(op.setup_time_minutes - Decimal(str(round(elapsed, 4))), Decimal(0))
                total, setup = max(math.ceil(remaining), 1), 0
                machine = op.machine if op.machine_id in machines else (eligible[0] if len(eligible) == 1 else None)
                if machine is not None:
                    fixed = (machine.pk, 0)
                    fixed_start = op.started_at
                    if machine not in eligible:
                        eligible = [*eligible, machine]
                    # Running operations all run now, side by side if the floor started several:
                    # each is its own job, and the order's remaining steps come after them all.
                    task_job, task_index = f"{job_key}:running:{op.pk}", 0
                    running.append(task_job)
                    jobs[task_job] = JobInfo(
                        key=task_job,
                        label=wo.number,
                        due=None,
                        release=origin,
                        work_order_id=wo.pk,
                        item_id=wo.item_id,
                        weight=wo.priority or 1,
                    )
            else:
                pin = getattr(op, "pin", None)
                if pin is not None and pin.machine_id in machines:
                    start = max(math.floor((pin.start - origin).total_seconds() / 60), 0)
                    fixed = (pin.machine_id, start)
                    if pin.machine not in eligible:
                        eligible = [*eligible, machines[pin.machine_id]]
            if task_job == job_key:
                index += 1
            drafts.append(
                _Draft(
                    info=TaskInfo(
                        key=f"op:{op.pk}",
                        job=task_job,
                        sequence=op.sequence,
                        description=op.description,
                        work_order_id=wo.pk,
                        operation_id=op.pk,
                        setup_minutes=setup,
                        fixed_start=fixed_start,
                    ),
                    index=task_index,
                    machines=eligible,
                    total=total,
                    setup=setup,
                    quantity=wo.quantity,
                    setup_decimal=op.setup_time_minutes,
                    run_decimal=op.run_time_per_unit_minutes,
                    fixed=fixed,
                    label=label,
                )
            )
        if running and index:
            after[job_key].extend(running)
        elif running:
            # Nothing left but what runs now: the running steps carry the order's due date, and
            # a parent waits for them instead.
            for key in running:
                jobs[key] = replace(jobs[key], due=jobs[job_key].due)
            aliases[job_key] = running
    return drafts, jobs, after, aliases


def newest_mrp_run(plant: Any) -> MrpRun | None:
    return MrpRun.objects.filter(plant=plant, status=MrpRun.Status.DONE).order_by("-finished_at", "-id").first()


def _planned_order_drafts(
    plant: Any, origin: dt.datetime, by_work_center: dict[int, list[Machine]], notes: list[str]
) -> tuple[list[_Draft], dict[str, JobInfo], dict[str, list[str]]]:
    run = newest_mrp_run(plant)
    drafts: list[_Draft] = []
    jobs: dict[str, JobInfo] = {}
    after: dict[str, list[str]] = defaultdict(list)
    if run is None:
        return drafts, jobs, after
    zone = zoneinfo.ZoneInfo(plant.timezone)
    orders = list(
        PlannedOrder.objects.filter(run=run, kind=PlannedOrder.Kind.MAKE, status=PlannedOrder.Status.PLANNED)
        .select_related("item")
        .order_by("due_date", "id")
    )
    routings = {
        r.item_id: r
        for r in Routing.objects.filter(item__in={po.item_id for po in orders}, status="released").prefetch_related(
            Prefetch(
                "operations",
                queryset=RoutingOperation.objects.select_related("work_center")
                .prefetch_related("eligible_machines")
                .order_by("sequence"),
            )
        )
    }
    skipped = 0
    for po in orders:
        routing = routings.get(po.item_id)
        ops = list(routing.operations.all()) if routing is not None else []
        if not ops:
            skipped += 1
            continue
        job_key = f"po:{po.pk}"
        jobs[job_key] = JobInfo(
            key=job_key,
            label=f"Planned {po.item.number} x {po.quantity.normalize():f}",
            due=_end_of_day(po.due_date, zone),
            release=max(_start_of_day(po.start_date, zone), origin),
            planned_order_id=po.pk,
            item_id=po.item_id,
        )
        for index, op in enumerate(ops):
            label = f"Routing operation {op.sequence} '{op.description}' of planned order {po.pk} ({po.item.number})"
            eligible = _eligible(label, op.eligible_machines.all(), op.work_center, by_work_center)
            total, setup = operation_minutes(op.setup_time_minutes, op.run_time_per_unit_minutes, po.quantity)
            drafts.append(
                _Draft(
                    info=TaskInfo(
                        key=f"po:{po.pk}:{op.pk}",
                        job=job_key,
                        sequence=op.sequence,
                        description=op.description,
                        planned_order_id=po.pk,
                        routing_operation_id=op.pk,
                        setup_minutes=setup,
                    ),
                    index=index,
                    machines=eligible,
                    total=total,
                    setup=setup,
                    quantity=po.quantity,
                    setup_decimal=op.setup_time_minutes,
                    run_decimal=op.run_time_per_unit_minutes,
                    label=label,
                )
            )
    if skipped:
        notes.append(f"{skipped} planned work order(s) skipped: their item has no released routing.")

    for child_id, parent_id in Pegging.objects.filter(run=run, parent_planned_order__isnull=False).values_list(
        "planned_order_id", "parent_planned_order_id"
    ):
        if f"po:{child_id}" in jobs and f"po:{parent_id}" in jobs:
            after[f"po:{parent_id}"].append(f"po:{child_id}")
    return drafts, jobs, after


def _horizon_minutes(drafts: list[_Draft], jobs: dict[str, JobInfo], origin: dt.datetime) -> int:
    """Long enough for every operation one after another per group of machines, and the latest due.

    Loads are summed per set of interchangeable machines and shared among them; a calendar
    open a third of the time triples that, and a week of slack covers weekends and holidays.
    """
    load: dict[frozenset[int], int] = defaultdict(int)
    for d in drafts:
        load[frozenset(m.pk for m in d.machines)] += d.total
    work_days = sum(minutes / len(group) for group, minutes in load.items()) / 1440
    latest = max([(j.due - origin).total_seconds() / 86400 for j in jobs.values() if j.due] + [0.0])
    latest_release = max([(j.release - origin).total_seconds() / 86400 for j in jobs.values()] + [0.0])
    days = max(latest, latest_release) + 3.5 * work_days + MIN_SLACK_DAYS
    return int(min(math.ceil(days), MAX_HORIZON_DAYS) * 1440)


def build_problem(plant: Any, *, now: dt.datetime, include_planned_orders: bool = True) -> PlantProblem:
    """Everything the plant must do, as a solver `Problem` with minute 0 at `now`."""
    origin = _origin(now)
    machines = _plant_machines(plant)
    by_work_center: dict[int, list[Machine]] = defaultdict(list)
    for machine in machines.values():
        by_work_center[machine.work_center_id].append(machine)
    notes: list[str] = []
    drafts, jobs, after, aliases = _work_order_drafts(plant, now, origin, by_work_center, machines)
    if include_planned_orders:
        more, planned_jobs, planned_after = _planned_order_drafts(plant, origin, by_work_center, notes)
        drafts += more
        jobs.update(planned_jobs)
        for key, value in planned_after.items():
            after[key].extend(value)
    horizon = _horizon_minutes(drafts, jobs, origin)
    opened = machine_open_intervals(machines.values(), origin, horizon, now=now)

    # A fixed operation opens its own time on its machine.
    for d in drafts:
        if d.fixed is not None:
            machine_pk, start = d.fixed
            opened[machine_pk] = merge([*opened.get(machine_pk, []), (start, start + d.total)])

    used = {m.pk for d in drafts for m in d.machines}
    for pk in sorted(used):
        machine = machines[pk]
        if not opened.get(pk) and machine.status not in UNAVAILABLE_MACHINE_STATES and not _has_open_downtime(machine):
            calendar = machine.work_center.calendar
            raise ProblemError(
                f"Calendar '{calendar.name}' of work center {machine.work_center.code} (machine {machine.code}) "
                f"has no working time between {origin:%Y-%m-%d} and {(origin + dt.timedelta(minutes=horizon)):%Y-%m-%d}."
            )

    tasks: list[Task] = []
    infos: dict[str, TaskInfo] = {}
    longest_open = {pk: longest(intervals) for pk, intervals in opened.items()}
    for d in drafts:
        alternatives = []
        for machine in d.machines:
            if d.fixed is not None and d.fixed[0] == machine.pk:
                alternatives.append(Alternative(machine=machine.pk, duration=d.total, setup=d.setup))
            elif d.fixed is None and longest_open.get(machine.pk, 0) >= d.total:
                alternatives.append(Alternative(machine=machine.pk, duration=d.total, setup=d.setup))
        if not alternatives:
            names = ", ".join(m.code for m in d.machines)
            raise ProblemError(
                f"{d.label} needs {d.total} minutes without interruption, but none of its machines "
                f"({names}) is open that long in the horizon (shifts too short, or the machine is down)."
            )
        tasks.append(
            Task(key=d.info.key, job=d.info.job, index=d.index, alternatives=tuple(alternatives), fixed=d.fixed)
        )
        infos[d.info.key] = d.info

    with_tasks = {d.info.job for d in drafts}
    earliest_fixed: dict[str, int] = {}
    for d in drafts:
        if d.fixed is not None:
            earliest_fixed[d.info.job] = min(earliest_fixed.get(d.info.job, d.fixed[1]), d.fixed[1])

    def _after(key: str) -> tuple[str, ...]:
        found: set[str] = set()
        for other in after.get(key, []):
            found.update(k for k in aliases.get(other, [other]) if k in with_tasks)
        return tuple(sorted(found))

    problem_jobs = []
    for j in jobs.values():
        if j.key not in with_tasks:
            continue
        release = max(math.floor((j.release - origin).total_seconds() / 60), 0)
        # A pinned step earlier than the release moves the release: the planner decided.
        release = min(release, earliest_fixed.get(j.key, release))
        due = math.floor((j.due - origin).total_seconds() / 60) if j.due else None
        problem_jobs.append(Job(key=j.key, release=release, due=due, weight=j.weight, after=_after(j.key)))
    job_keys = {j.key for j in problem_jobs}
    jobs = {k: v for k, v in jobs.items() if k in job_keys}
    closed = {pk: complement(opened.get(pk, []), horizon) for pk in sorted(used)}
    return PlantProblem(
        problem=Problem(jobs=problem_jobs, tasks=tasks, closed=closed, horizon=horizon),
        origin=origin,
        tasks=infos,
        jobs=jobs,
        machines={pk: machines[pk] for pk in sorted(used)},
        notes=notes,
    )


def _has_open_downtime(machine: Machine) -> bool:
    return MachineDowntime.objects.filter(machine=machine, ends_at__isnull=True).exists()


def machine_open_intervals(
    machines: Iterable[Machine], origin: dt.datetime, horizon: int, *, now: dt.datetime
) -> dict[int, list[Interval]]:
    """Open minutes per machine: its calendar, less downtime windows, nothing if it is down now."""
    machines = list(machines)
    calendars = {m.work_center.calendar_id: m.work_center.calendar for m in machines}
    shifts: dict[int, list[ShiftPattern]] = defaultdict(list)
    for shift in ShiftPattern.objects.filter(calendar_id__in=calendars):
        shifts[shift.calendar_id].append(shift)
    exceptions: dict[int, list[CalendarException]] = defaultdict(list)
    first_day = origin.date() - dt.timedelta(days=2)
    last_day = (origin + dt.timedelta(minutes=horizon)).date() + dt.timedelta(days=2)
    for exc in CalendarException.objects.filter(calendar_id__in=calendars, date__gte=first_day, date__lte=last_day):
        exceptions[exc.calendar_id].append(exc)
    per_calendar = {
        pk: calendar_open_intervals(cal, shifts[pk], exceptions[pk], origin, horizon) for pk, cal in calendars.items()
    }
    downtime: dict[int, list[Interval]] = defaultdict(list)
    for row in MachineDowntime.objects.filter(machine__in=machines).exclude(ends_at__lte=now):
        start = max(math.floor((row.starts_at - origin).total_seconds() / 60), 0)
        end = horizon if row.ends_at is None else math.ceil((row.ends_at - origin).total_seconds() / 60)
        downtime[row.machine_id].append((start, min(end, horizon)))
    opened: dict[int, list[Interval]] = {}
    for machine in machines:
        if machine.status in UNAVAILABLE_MACHINE_STATES:
            opened[machine.pk] = []
            continue
        opened[machine.pk] = _subtract(per_calendar[machine.work_center.calendar_id], merge(downtime[machine.pk]))
    return opened


def hint_from(previous: Iterable[Any], built: PlantProblem) -> dict[Hashable, Placement]:
    """The previous schedule's placements of the same operations, moved to the new origin.

    Only placements still possible as such (start not in the past, machine still eligible) are
    hints; the solver treats them as a first guess, not as constraints.
    """
    alternatives = {t.key: {a.machine for a in t.alternatives} for t in built.problem.tasks}
    hint: dict[Hashable, Placement] = {}
    for row in previous:
        key = task_key(row)
        if key not in alternatives or row.machine_id not in alternatives[key]:
            continue
        start = built.minute(row.start)
        end = built.minute(row.end)
        if start >= 0:
            hint[key] = Placement(machine=row.machine_id, start=start, end=end)
    return hint


def task_key(row: Any) -> str:
    """The task key of a stored `ScheduledOperation`."""
    if row.operation_id is not None:
        return f"op:{row.operation_id}"
    return f"po:{row.planned_order_id}:{row.routing_operation_id}"
