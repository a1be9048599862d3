"""A small plant for the scheduler's tests: two work centers, machines, a calendar, work orders.

Built through the real services (routing release, work order release), so the job cards the
scheduler reads are the ones production copies from routings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.production import services as production_services
from shopfloor.production.models import WorkOrder
from shopfloor.resources import services as resources_services
from shopfloor.resources.models import Machine, WorkCenter, WorkingCalendar
from shopfloor.resources.tests.factories import (
    MachineFactory,
    OperationFactory,
    RoutingFactory,
    ShiftPatternFactory,
    WorkCenterFactory,
    WorkingCalendarFactory,
)


@dataclass
class Scene:
    plant: Any
    calendar: WorkingCalendar
    lathes: WorkCenter
    mills: WorkCenter
    lathe_1: Machine
    lathe_2: Machine
    mill_1: Machine
    items: dict[str, Any] = field(default_factory=dict)


def plant_scene(
    *, shifts: list[tuple[int, dt.time, dt.time]] | None = None, two_lathes: bool = True, break_minutes: int = 0
) -> Scene:
    """A plant in Oslo; one calendar (default: every day 06:00-22:00) for a lathe and a mill cell."""
    plant = PlantFactory(timezone="Europe/Oslo")
    calendar = WorkingCalendarFactory(name=f"Two shifts {plant.code}", timezone="Europe/Oslo", plant=plant)
    default = [(d, dt.time(6), dt.time(22)) for d in range(7)]
    for weekday, start, end in default if shifts is None else shifts:
        ShiftPatternFactory(
            calendar=calendar, weekday=weekday, start_time=start, end_time=end, break_minutes=break_minutes
        )
    lathes = WorkCenterFactory(plant=plant, calendar=calendar, code=f"LATHE-{plant.code}", capacity=2)
    mills = WorkCenterFactory(plant=plant, calendar=calendar, code=f"MILL-{plant.code}")
    lathe_1 = MachineFactory(work_center=lathes, code=f"L1-{plant.code}")
    lathe_2 = MachineFactory(work_center=lathes, code=f"L2-{plant.code}") if two_lathes else lathe_1
    mill_1 = MachineFactory(work_center=mills, code=f"M1-{plant.code}")
    return Scene(plant, calendar, lathes, mills, lathe_1, lathe_2, mill_1)


def routed_item(scene: Scene, steps: list[tuple[WorkCenter, str, str]], *, machines: list[list[Machine]] | None = None):
    """An item with a released routing: steps of (work center, setup minutes, run minutes per unit)."""
    actor = tenancy.current_user()
    item = ItemFactory(status="active")
    routing = RoutingFactory(item=item, operations=0)
    for i, (work_center, setup, run) in enumerate(steps):
        op = OperationFactory(
            routing=routing,
            work_center=work_center,
            sequence=10 * (i + 1),
            description=f"Step {i + 1}",
            setup_time_minutes=Decimal(setup),
            run_time_per_unit_minutes=Decimal(run),
        )
        if machines and machines[i]:
            op.eligible_machines.set(machines[i])
    resources_services.release_routing(actor=actor, routing=routing)
    return item


def released_work_order(
    scene: Scene,
    item: Any,
    *,
    quantity: int | str = 10,
    due: dt.date,
    priority: int = 1,
    parent: WorkOrder | None = None,
    planned_start: dt.date | None = None,
) -> WorkOrder:
    actor = tenancy.current_user()
    data: dict[str, Any] = {"item": item, "quantity": quantity, "plant": scene.plant, "due_date": due}
    if parent is not None:
        data["parent"] = parent
    if planned_start is not None:
        data["planned_start"] = planned_start
    wo = production_services.create_work_order(actor=actor, data=data)
    if priority != 1:
        WorkOrder.objects.filter(pk=wo.pk).update(priority=priority)
    production_services.plan_work_order(actor=actor, work_order=wo)
    return production_services.release_work_order(actor=actor, work_order=wo)
