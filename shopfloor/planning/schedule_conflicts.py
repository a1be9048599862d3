"""Why an order ends late: the conflict report of a schedule.

- capacity: a late order's operation started later than it could have (its predecessor done,
  its release reached, its machine's calendar open) because the machine was busy; the report
  names the machine where the wait was longest;
- release: nothing waited, the order was simply released (or planned to start) too late;
- material: a component of a work order not yet issued that stock does not cover, whose next
  supply (open purchase order line or work order) comes after the operation's start, or never.

Pure reads: the service stores what this returns.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F

from shopfloor.core.quantities import plain
from shopfloor.inventory import selectors as inventory_selectors
from shopfloor.inventory.models import Reservation
from shopfloor.production.models import WorkOrder, WorkOrderMaterial
from shopfloor.production.selectors import MATERIAL_SOURCE
from shopfloor.purchasing import selectors as purchasing_selectors

from .scheduling import PlantProblem, first_open_start
from .solver import Solution

SUPPLYING_WORK_ORDER_STATES = ("planned", "released", "in_progress", "qc", "on_hold")


@dataclass
class Conflict:
    kind: str
    message: str
    work_order_id: int | None = None
    planned_order_id: int | None = None
    due: dt.datetime | None = None
    planned_end: dt.datetime | None = None
    tardiness_minutes: int = 0
    machine_id: int | None = None
    item_id: int | None = None
    short_quantity: Decimal | None = None
    available_at: dt.date | None = None


def _hours(minutes: int) -> str:
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h"


def _open_intervals(built: PlantProblem) -> dict[Any, list[tuple[int, int]]]:
    opened: dict[Any, list[tuple[int, int]]] = {}
    for machine, closed in built.problem.closed.items():
        gaps, cursor = [], 0
        for a, b in closed:
            if a > cursor:
                gaps.append((cursor, a))
            cursor = max(cursor, b)
        if cursor < (built.problem.horizon or cursor):
            gaps.append((cursor, built.problem.horizon))
        opened[machine] = gaps
    return opened


def late_order_conflicts(built: PlantProblem, solution: Solution) -> list[Conflict]:
    """One conflict per late job: capacity on the machine it waited for most, else release."""
    opened = _open_intervals(built)
    tasks_by_job: dict[Any, list[Any]] = defaultdict(list)
    for task in built.problem.tasks:
        tasks_by_job[task.job].append(task)
    ends: dict[Any, int] = {}
    for job_key, tasks in tasks_by_job.items():
        placed = [solution.placements[t.key] for t in tasks if t.key in solution.placements]
        if placed:
            ends[job_key] = max(p.end for p in placed)
    conflicts: list[Conflict] = []
    for job in built.problem.jobs:
        if job.due is None or job.key not in ends or ends[job.key] <= job.due:
            continue
        info = built.jobs[job.key]
        tardiness = ends[job.key] - job.due
        ready = max([job.release] + [ends.get(child, 0) for child in job.after])
        worst_wait, worst_task = 0, None
        for task in sorted(tasks_by_job[job.key], key=lambda t: t.index):
            placement = solution.placements[task.key]
            earliest = first_open_start(opened.get(placement.machine, []), ready, placement.end - placement.start)
            wait = placement.start - (earliest if earliest is not None else ready)
            if wait > worst_wait and task.fixed is None:
                worst_wait, worst_task = wait, task
            ready = placement.end
        common = {
            "work_order_id": info.work_order_id,
            "planned_order_id": info.planned_order_id,
            "due": info.due,
            "planned_end": built.at(ends[job.key]),
            "tardiness_minutes": tardiness,
        }
        if worst_task is not None:
            placement = solution.placements[worst_task.key]
            machine = built.machines[placement.machine]
            task_info = built.tasks[worst_task.key]
            conflicts.append(
                Conflict(
                    kind="capacity",
                    machine_id=machine.pk,
                    message=(
                        f"{info.label} ends {_hours(tardiness)} late: operation {task_info.sequence} "
                        f"'{task_info.description}' waited {_hours(worst_wait)} for machine {machine.code}."
                    )[:300],
                    **common,
                )
            )
        else:
            conflicts.append(
                Conflict(
                    kind="release",
                    message=(
                        f"{info.label} ends {_hours(tardiness)} late without waiting for any machine: "
                        f"released too late for its work."
                    )[:300],
                    **common,
                )
            )
    return conflicts


def _supply(item: Any, plant: Any) -> list[tuple[dt.date, Decimal]]:
    """Open purchase order lines and work orders of the item, soonest first."""
    supply = list(purchasing_selectors.open_supply(item=item, plant=plant))
    for due, quantity, received in WorkOrder.objects.filter(
        item=item, plant=plant, status__in=SUPPLYING_WORK_ORDER_STATES
    ).values_list("due_date", "quantity", "received_quantity"):
        if quantity > received:
            supply.append((due, quantity - received))
    return sorted(supply)


def material_conflicts(built: PlantProblem, solution: Solution, plant: Any) -> list[Conflict]:
    """Components stock does not cover at the start of the operation that needs them.

    Demands of one component are met in the order the schedule starts them, from what is
    available now, then from supply in date order; the first demand that supply reaches only
    after its operation's start (or never) is a conflict.
    """
    zone = zoneinfo.ZoneInfo(plant.timezone)
    work_orders = {info.work_order_id for info in built.jobs.values() if info.work_order_id}
    start_of_op: dict[int, int] = {}
    first_start: dict[int, int] = {}
    for key, info in built.tasks.items():
        placement = solution.placements.get(key)
        if placement is None or info.operation_id is None or info.work_order_id is None:
            continue
        start_of_op[info.operation_id] = placement.start
        first_start[info.work_order_id] = min(first_start.get(info.work_order_id, placement.start), placement.start)
    lines = list(
        WorkOrderMaterial.objects.filter(work_order_id__in=work_orders, issued_quantity__lt=F("required_quantity"))
        .select_related("component", "work_order")
        .order_by("id")
    )
    demands: dict[int, list[tuple[int, WorkOrderMaterial]]] = defaultdict(list)
    for line in lines:
        when = start_of_op.get(line.operation_id) if line.operation_id else None
        if when is None:
            when = first_start.get(line.work_order_id)
        if when is not None:
            demands[line.component_id].append((when, line))
    # Stock reserved for these very lines (work orders reserve at release) is theirs: count it
    # back in, or an order would be short of the material set aside for it.
    held: dict[int, Decimal] = defaultdict(Decimal)
    for item_id, quantity in Reservation.objects.filter(
        source_object_type=MATERIAL_SOURCE, source_object_id__in=[str(line.pk) for line in lines], status="open"
    ).values_list("item_id", "quantity"):
        held[item_id] += quantity
    conflicts: list[Conflict] = []
    for lines_of_item in demands.values():
        lines_of_item.sort(key=lambda pair: (pair[0], pair[1].pk))
        component = lines_of_item[0][1].component
        on_hand = inventory_selectors.total_available(item=component) + held[component.pk]
        supply = _supply(component, plant)
        cumulative_need = Decimal(0)
        for when, line in lines_of_item:
            cumulative_need += line.required_quantity - line.issued_quantity
            if cumulative_need <= on_hand:
                continue
            covered_on: dt.date | None = None
            running = on_hand
            for due, quantity in supply:
                running += quantity
                if running >= cumulative_need:
                    covered_on = due
                    break
            start = built.at(when)
            if covered_on is not None and covered_on <= start.astimezone(zone).date():
                continue
            short = min(cumulative_need - on_hand, line.required_quantity - line.issued_quantity)
            if covered_on is None:
                text = f"no open supply covers {plain(short)}"
            else:
                text = f"not available before {covered_on:%Y-%m-%d}"
            conflicts.append(
                Conflict(
                    kind="material",
                    work_order_id=line.work_order_id,
                    item_id=component.pk,
                    short_quantity=short,
                    available_at=covered_on,
                    message=(
                        f"{line.work_order.number}: material {component.number} {text} "
                        f"(needed {start.astimezone(zone):%Y-%m-%d %H:%M})."
                    )[:300],
                )
            )
    return conflicts
