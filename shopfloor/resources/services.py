"""Every write of the resources app, and the routing time estimate.

Work centers, machines, calendars and routings are written through the generic audited
create/update/delete of core, with the rules that cross rows checked here: a machine belongs to
its work center's plant, an operation's eligible machines belong to its work center, a routing
is released only by making the item's previous released routing obsolete in the same
transaction, and released routings are frozen (edit guard in `defaults.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from shopfloor.core import access, audit, events
from shopfloor.core import services as core_services
from shopfloor.core.errors import Conflict
from shopfloor.workflows import services as workflow_services

from .defaults import routing_edit_refusal
from .models import (
    CalendarException,
    Capability,
    Machine,
    MachineDowntime,
    Operation,
    Routing,
    ShiftPattern,
    WorkCenter,
    WorkingCalendar,
)

# --- Calendars -----------------------------------------------------------------------------------


def create_calendar(*, actor: Any, data: dict[str, Any]) -> WorkingCalendar:
    return core_services.create_object(actor=actor, model=WorkingCalendar, data=data)


def update_calendar(*, actor: Any, calendar: WorkingCalendar, data: dict[str, Any]) -> WorkingCalendar:
    return core_services.update_object(actor=actor, obj=calendar, data=data)


def _check_exception(data: dict[str, Any]) -> None:
    if data.get("kind") == CalendarException.Kind.EXTRA_SHIFT:
        missing = {name: ["An extra shift needs a start and an end time."] for name in ("start_time", "end_time")}
        missing = {k: v for k, v in missing.items() if data.get(k) is None}
        if missing:
            raise ValidationError(missing)


def save_shift(*, actor: Any, data: dict[str, Any], shift: ShiftPattern | None = None) -> ShiftPattern:
    """A shift is part of its calendar: editing one needs the calendar's change permission."""
    if shift is None:
        return core_services.create_object(
            actor=actor, model=ShiftPattern, data=data, perm="resources.change_workingcalendar"
        )
    return core_services.update_object(actor=actor, obj=shift, data=data, perm="resources.change_workingcalendar")


def delete_shift(*, actor: Any, shift: ShiftPattern) -> None:
    core_services.delete_object(actor=actor, obj=shift, perm="resources.change_workingcalendar")


def save_exception(
    *, actor: Any, data: dict[str, Any], exception: CalendarException | None = None
) -> CalendarException:
    merged = dict(data)
    if exception is not None:
        for name in ("kind", "start_time", "end_time"):
            merged.setdefault(name, getattr(exception, name))
    _check_exception(merged)
    if merged.get("kind") != CalendarException.Kind.EXTRA_SHIFT:
        # A holiday has no hours; stray times would read as if it had.
        data = {**data, "start_time": None, "end_time": None, "break_minutes": 0}
    if exception is None:
        return core_services.create_object(
            actor=actor, model=CalendarException, data=data, perm="resources.change_workingcalendar"
        )
    return core_services.update_object(actor=actor, obj=exception, data=data, perm="resources.change_workingcalendar")


def delete_exception(*, actor: Any, exception: CalendarException) -> None:
    core_services.delete_object(actor=actor, obj=exception, perm="resources.change_workingcalendar")


# --- Work centers and machines -------------------------------------------------------------------


def _check_calendar_plant(plant: Any, calendar: WorkingCalendar | None) -> None:
    if calendar is not None and calendar.plant_id is not None and plant is not None and calendar.plant_id != plant.pk:
        raise ValidationError({"calendar": [f"The calendar '{calendar}' belongs to another plant."]})


def create_work_center(*, actor: Any, data: dict[str, Any]) -> WorkCenter:
    _check_calendar_plant(data.get("plant"), data.get("calendar"))
    return core_services.create_object(actor=actor, model=WorkCenter, data=data, plant=data.get("plant"))


def update_work_center(*, actor: Any, work_center: WorkCenter, data: dict[str, Any]) -> WorkCenter:
    plant = data.get("plant", work_center.plant)
    _check_calendar_plant(plant, data.get("calendar", work_center.calendar))
    if "plant" in data and data["plant"].pk != work_center.plant_id and work_center.machines.exists():
        raise ValidationError({"plant": ["The work center has machines: it cannot move to another plant."]})
    return core_services.update_object(actor=actor, obj=work_center, data=data, plant=work_center.plant)


def create_machine(*, actor: Any, data: dict[str, Any]) -> Machine:
    """A new machine is available, at its work center's plant."""
    work_center: WorkCenter = data["work_center"]
    return core_services.create_object(
        actor=actor,
        model=Machine,
        data={**data, "plant": work_center.plant, "status": workflow_services.initial_state(Machine)},
        plant=work_center.plant,
    )


def update_machine(*, actor: Any, machine: Machine, data: dict[str, Any]) -> Machine:
    """Moving a machine to another work center moves it to that work center's plant."""
    data = dict(data)
    if "work_center" in data:
        data["plant"] = data["work_center"].plant
        if data["work_center"].pk != machine.work_center_id and machine.operations.exists():
            raise ValidationError(
                {"work_center": ["Routings name this machine at its work center; remove it from them first."]}
            )
    return core_services.update_object(actor=actor, obj=machine, data=data, plant=machine.plant)


# --- Machine downtime ----------------------------------------------------------------------------

DOWNTIME_CREATED = "resources.machine.downtime_created"


@transaction.atomic
def create_downtime(*, actor: Any, machine: Machine, data: dict[str, Any]) -> MachineDowntime:
    """Record a window in which the machine cannot work (no end: down until further notice).

    Emits `resources.machine.downtime_created` so that planning can reschedule around it.
    """
    ends_at = data.get("ends_at")
    if ends_at is not None and data.get("starts_at") is not None and ends_at <= data["starts_at"]:
        raise ValidationError({"ends_at": ["The downtime must end after it starts."]})
    downtime = core_services.create_object(
        actor=actor,
        model=MachineDowntime,
        data={**data, "machine": machine, "plant": machine.plant},
        plant=machine.plant,
    )
    events.emit(
        DOWNTIME_CREATED,
        {"id": downtime.pk, "machine": machine.pk, "plant": machine.plant_id, "actor": getattr(actor, "pk", None)},
    )
    return downtime


def end_downtime(*, actor: Any, downtime: MachineDowntime, ends_at: Any = None) -> MachineDowntime:
    """Close an open downtime (the machine works again), by default now."""
    from django.utils import timezone

    when = ends_at or timezone.now()
    if downtime.ends_at is not None:
        raise Conflict(f"The downtime of {downtime.machine.code} already ended at {downtime.ends_at:%Y-%m-%d %H:%M}.")
    if when <= downtime.starts_at:
        raise ValidationError({"ends_at": ["The downtime must end after it starts."]})
    return core_services.update_object(actor=actor, obj=downtime, data={"ends_at": when}, plant=downtime.plant)


def delete_downtime(*, actor: Any, downtime: MachineDowntime) -> None:
    """Remove a downtime recorded by mistake (the audit trail keeps it)."""
    core_services.delete_object(actor=actor, obj=downtime, plant=downtime.plant)


def create_capability(*, actor: Any, data: dict[str, Any]) -> Capability:
    return core_services.create_object(actor=actor, model=Capability, data=data)


# --- Routings ------------------------------------------------------------------------------------


def _next_version(item: Any) -> int:
    top = Routing.objects.filter(item=item).aggregate(top=Max("version"))["top"]
    return (top or 0) + 1


def create_routing(*, actor: Any, data: dict[str, Any]) -> Routing:
    """A new routing is a draft; without a version it takes the item's next one."""
    data = dict(data)
    if not data.get("version"):
        data["version"] = _next_version(data["item"])
    return core_services.create_object(
        actor=actor, model=Routing, data={**data, "status": workflow_services.initial_state(Routing)}
    )


def update_routing(*, actor: Any, routing: Routing, data: dict[str, Any]) -> Routing:
    if "item" in data and data["item"].pk != routing.item_id:
        raise ValidationError({"item": ["A routing stays with its item; copy it for another item."]})
    return core_services.update_object(actor=actor, obj=routing, data=data)


@transaction.atomic
def release_routing(*, actor: Any, routing: Routing, comment: str = "") -> Routing:
    """Release a draft; the item's previously released routing becomes obsolete in the same transaction.

    The item's routings are locked first, so two releases for one item at once serialize: the
    second sees the first's result and obsoletes it in turn (or gets 409 if its own routing moved).
    """
    access.require(actor, "resources.release_routing")
    list(Routing.objects.select_for_update().filter(item_id=routing.item_id).order_by("pk"))
    routing.refresh_from_db()
    if routing.status != "draft":
        raise Conflict(f"Routing v{routing.version} is {routing.status}; only a draft can be released.")
    if not routing.operations.exists():
        raise ValidationError({"operations": ["A routing without operations cannot be released."]})
    for previous in Routing.objects.filter(item_id=routing.item_id, status="released").exclude(pk=routing.pk):
        workflow_services.transition(
            previous, "obsolete", actor, comment=comment or f"Superseded by v{routing.version}."
        )
    workflow_services.transition(routing, "released", actor, comment=comment)
    routing.refresh_from_db()
    return routing


@transaction.atomic
def copy_routing(*, actor: Any, routing: Routing, item: Any = None) -> Routing:
    """A new draft with the same operations (and eligible machines), for the same or another item."""
    target_item = item or routing.item
    new = create_routing(
        actor=actor, data={"item": target_item, "description": routing.description or f"Copy of v{routing.version}"}
    )
    for op in routing.operations.prefetch_related("eligible_machines").order_by("sequence"):
        copied = Operation.objects.create(
            organization=new.organization,
            created_by=new.created_by,
            routing=new,
            sequence=op.sequence,
            description=op.description,
            work_center=op.work_center,
            setup_time_minutes=op.setup_time_minutes,
            run_time_per_unit_minutes=op.run_time_per_unit_minutes,
            required_skill=op.required_skill,
            work_instructions=op.work_instructions,
        )
        copied.eligible_machines.set(op.eligible_machines.all())
    audit.record(actor, new, action="action", reason=f"copied from {routing} ({routing.operations.count()} operations)")
    events.emit("resources.routing.copied", {"id": new.pk, "source": routing.pk})
    return new


def _check_operation(routing: Routing, work_center: WorkCenter, machines: list[Machine] | None) -> None:
    reason = routing_edit_refusal(routing)
    if reason:
        raise Conflict(reason, code="locked")
    if machines:
        strangers = [m.code for m in machines if m.work_center_id != work_center.pk]
        if strangers:
            raise ValidationError(
                {"eligible_machines": [f"Not machines of work center {work_center.code}: {', '.join(strangers)}."]}
            )


def create_operation(*, actor: Any, data: dict[str, Any]) -> Operation:
    """Add an operation to a draft routing; its eligible machines must be of its work center."""
    _check_operation(data["routing"], data["work_center"], data.get("eligible_machines"))
    return core_services.create_object(actor=actor, model=Operation, data=data, perm="resources.change_routing")


def update_operation(*, actor: Any, operation: Operation, data: dict[str, Any]) -> Operation:
    if "routing" in data and data["routing"].pk != operation.routing_id:
        raise ValidationError({"routing": ["An operation stays in its routing."]})
    work_center = data.get("work_center", operation.work_center)
    machines = data["eligible_machines"] if "eligible_machines" in data else list(operation.eligible_machines.all())
    _check_operation(operation.routing, work_center, machines)
    return core_services.update_object(actor=actor, obj=operation, data=data, perm="resources.change_routing")


def delete_operation(*, actor: Any, operation: Operation) -> None:
    core_services.delete_object(actor=actor, obj=operation, perm="resources.change_routing")


# --- Time estimate -------------------------------------------------------------------------------

_MIN = Decimal("0.0001")
_HOUR = Decimal("0.0001")


@dataclass(frozen=True)
class OperationTime:
    sequence: int
    description: str
    work_center: str
    setup_minutes: Decimal
    run_minutes: Decimal
    total_minutes: Decimal
    total_hours: Decimal


@dataclass(frozen=True)
class TimeEstimate:
    quantity: Decimal
    operations: list[OperationTime]
    setup_minutes: Decimal
    run_minutes: Decimal
    total_minutes: Decimal
    total_hours: Decimal


def estimate_time(routing: Routing, quantity: Decimal | int | str) -> TimeEstimate:
    """Setup once plus run time × quantity per operation, and the totals, in minutes and hours.

    Work time at each work center, not lead time: no queue, move or parallel-machine split.
    """
    try:
        qty = Decimal(str(quantity))
    except ArithmeticError as exc:
        raise ValidationError({"quantity": [f"'{quantity}' is not a number."]}) from exc
    if not qty.is_finite() or qty <= 0:
        raise ValidationError({"quantity": ["The quantity must be greater than zero."]})
    lines = []
    for op in sorted(routing.operations.all(), key=lambda o: o.sequence):
        setup = op.setup_time_minutes.quantize(_MIN)
        run = (op.run_time_per_unit_minutes * qty).quantize(_MIN)
        total = setup + run
        lines.append(
            OperationTime(
                sequence=op.sequence,
                description=op.description,
                work_center=op.work_center.code,
                setup_minutes=setup,
                run_minutes=run,
                total_minutes=total,
                total_hours=(total / 60).quantize(_HOUR),
            )
        )
    setup_total = sum((line.setup_minutes for line in lines), Decimal(0)).quantize(_MIN)
    run_total = sum((line.run_minutes for line in lines), Decimal(0)).quantize(_MIN)
    total = setup_total + run_total
    return TimeEstimate(
        quantity=qty,
        operations=lines,
        setup_minutes=setup_total,
        run_minutes=run_total,
        total_minutes=total,
        total_hours=(total / 60).quantize(_HOUR),
    )
