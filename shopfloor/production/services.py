"""Every write of production: work orders, job cards, time, material, output and genealogy.

Rules kept here:
- a work order's status moves only through the workflow engine; entering `released` copies the
  BOM lines and routing operations onto the order (and opens sub-work orders for made
  components), so later engineering changes never alter it;
- an operation cannot complete more than it received (the previous operation's good quantity;
  the first one receives the order quantity);
- stock moves only through `inventory.services`, each production row pointing at its move, and
  every write is one transaction: a refused backflush refuses the whole completion;
- every consumed lot or serial is linked to every produced lot or serial of the order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shopfloor.catalog.models import BomLine, BomVersion, Item, Unit
from shopfloor.catalog.selectors import released_version
from shopfloor.catalog.services import to_stock_units
from shopfloor.core import access, audit, events, numbering, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Plant
from shopfloor.inventory import selectors as inventory_selectors
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, Lot, SerialNumber, StockMove
from shopfloor.resources.models import Machine, Routing
from shopfloor.sales import services as sales_services
from shopfloor.workflows import services as workflow_services
from shopfloor.workflows.registry import on_enter

from . import selectors
from .defaults import MODEL, RECEIVE_OUTPUT
from .models import (
    GenealogyLink,
    MaterialIssue,
    Operation,
    TimeEntry,
    WorkOrder,
    WorkOrderMaterial,
    WorkOrderOutput,
)

SIX = Decimal("0.000001")
MINUTE_PLACES = Decimal("0.0001")
ISSUABLE = ("released", "in_progress", "qc")
RECEIVABLE = ("in_progress", "qc")
EDITABLE = ("draft", "planned")


def _quantity(value: Any, field: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: [f"'{value}' is not a number."]}) from None
    if not q.is_finite() or q < 0 or (q == 0 and not allow_zero):
        raise ValidationError({field: ["Give a quantity above zero." if not allow_zero else "Give zero or more."]})
    if q != q.quantize(SIX):
        raise ValidationError({field: ["At most 6 decimals."]})
    return q


def fmt(value: Decimal) -> str:
    """A quantity as people write it: 20, 2.5 (never 2E+1)."""
    return format(value.normalize(), "f") if value else "0"


def _source(work_order: WorkOrder) -> inventory.SourceDocument:
    return inventory.SourceDocument("production.workorder", str(work_order.pk), work_order.number)


# Row locks name their rows (`of`): a FOR UPDATE over a select_related join also locks every
# joined row, and the plant, the work center and a shared component are the same row for every
# order, which serialized all terminals of a plant behind one another (PostgreSQL).


def _locked(work_order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related("item", "plant").get(pk=work_order.pk)


def _check_location(location: Location | None, plant: Plant, field: str) -> None:
    if location is None:
        return
    if location.plant_id != plant.pk:
        raise ValidationError({field: [f"{location.code} is not in plant {plant.code}."]})
    if location.is_virtual:
        raise ValidationError({field: [f"{location.code} is a virtual location; name a real one."]})


# --- Work orders ---------------------------------------------------------------------------------


def _serial_for_repair(actor: Any, item: Item, serial: Any) -> SerialNumber | None:
    if serial is None or serial == "":
        return None
    if isinstance(serial, SerialNumber):
        if serial.item_id != item.pk:
            raise ValidationError({"serial": ["The serial number belongs to another item."]})
        return serial
    text = str(serial).strip()
    found = SerialNumber.objects.filter(item=item, serial=text).first()
    if found is not None:
        return found
    # A unit coming back from the field may never have been in this plant's books.
    return inventory.create_serial_number(actor=actor, data={"item": item, "serial": text})


@transaction.atomic
def create_work_order(*, actor: Any, data: dict[str, Any]) -> WorkOrder:
    """Open a work order (draft) for `quantity` of `item` at `plant` by `due_date`.

    `data`: item, quantity, plant, due_date; optional unit (converted to the stock unit),
    kind ("production" | "repair"), serial (repair of a serial-numbered product: a
    SerialNumber or its text), parent, sales_order_line, bom_version, routing (default: the
    item's released ones now; copied onto the order at release), planned_start,
    issue_location, output_location, notes.
    """
    data = dict(data)
    line = data.get("sales_order_line")
    if line is not None:
        # Made for a customer line: what, how much and by when default to the line's.
        data.setdefault("item", line.item)
        data.setdefault("plant", line.order.plant)
        data.setdefault("due_date", line.due_date)
        if data.get("quantity") in (None, ""):
            data["quantity"] = line.unreserved_quantity or line.open_quantity
            data["unit"] = None
        if data["item"] is not None and data["item"].pk != line.item_id:
            raise ValidationError({"sales_order_line": ["The sales order line is for another item."]})
        if line.status not in line.OPEN_STATUSES:
            raise ValidationError({"sales_order_line": [f"Line {line} is {line.status}."]})
    plant: Plant | None = data.get("plant")
    item: Item | None = data.get("item")
    errors: dict[str, list[str]] = {}
    if plant is None:
        errors["plant"] = ["Name the plant."]
    if item is None:
        errors["item"] = ["Name the item to make."]
    if not data.get("due_date"):
        errors["due_date"] = ["Give the due date."]
    if errors:
        raise ValidationError(errors)
    assert plant is not None and item is not None
    access.require(actor, "production.add_workorder", plant=plant)
    unit: Unit = data.get("unit") or item.stock_unit
    entered = _quantity(data.get("quantity"))
    quantity = entered if unit.pk == item.stock_unit_id else to_stock_units(entered, unit, item)
    if quantity <= 0:
        raise ValidationError({"quantity": ["The quantity is zero in the item's stock unit."]})
    kind = data.get("kind") or WorkOrder.Kind.PRODUCTION
    if kind not in WorkOrder.Kind.values:
        raise ValidationError({"kind": [f"'{kind}' is not a kind of work order."]})
    serial = _serial_for_repair(actor, item, data.get("serial"))
    if kind == WorkOrder.Kind.REPAIR and item.tracking == Item.Tracking.SERIAL:
        if serial is None:
            raise ValidationError({"serial": [f"{item.number} is serial-numbered: name the unit to repair."]})
        if quantity != 1:
            raise ValidationError({"quantity": ["A repair of a serial-numbered unit is quantity 1."]})
    elif serial is not None and kind != WorkOrder.Kind.REPAIR:
        raise ValidationError({"serial": ["Only repair orders name a serial number."]})
    bom_version: BomVersion | None = data.get("bom_version")
    routing: Routing | None = data.get("routing")
    if bom_version is not None and (bom_version.item_id != item.pk or bom_version.status != "released"):
        raise ValidationError({"bom_version": [f"Choose a released BOM version of {item.number}."]})
    if routing is not None and (routing.item_id != item.pk or routing.status != "released"):
        raise ValidationError({"routing": [f"Choose a released routing of {item.number}."]})
    if kind == WorkOrder.Kind.PRODUCTION:
        bom_version = bom_version or released_version(item)
        routing = routing or Routing.objects.filter(item=item, status="released").first()
    _check_location(data.get("issue_location"), plant, "issue_location")
    _check_location(data.get("output_location"), plant, "output_location")
    parent: WorkOrder | None = data.get("parent")
    if parent is not None and parent.status in ("completed", "cancelled"):
        raise ValidationError({"parent": [f"{parent.number} is {parent.status}."]})
    fields: dict[str, Any] = {
        "plant": plant,
        "item": item,
        "quantity": quantity,
        "unit": item.stock_unit,
        "due_date": data["due_date"],
        "planned_start": data.get("planned_start"),
        "kind": kind,
        "serial": serial,
        "parent": parent,
        "bom_version": bom_version,
        "routing": routing,
        "issue_location": data.get("issue_location"),
        "output_location": data.get("output_location"),
        "notes": data.get("notes", "") or "",
    }
    if line is not None:
        if line.order.plant_id != plant.pk:
            raise ValidationError({"plant": [f"{line.order} ships from another plant."]})
        fields["sales_order_line"] = line
    if fields["planned_start"] and fields["planned_start"] > fields["due_date"]:
        raise ValidationError({"planned_start": ["The planned start is after the due date."]})
    work_order = WorkOrder(
        organization=tenancy.require_organization(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        number=numbering.next_number("work_order"),
        status=workflow_services.initial_state(WorkOrder),
        **fields,
    )
    work_order.save()
    audit.record(actor, work_order, action="create", changes=audit.diff({}, audit.snapshot(work_order)))
    events.emit(
        "production.workorder.created",
        {"id": work_order.pk, "number": work_order.number, "item": item.pk, "kind": kind},
    )
    if line is not None:
        # The customer's order is now being made: in this transaction, so both change or neither.
        sales_services.work_order_opened(actor=actor, line=line, work_order_number=work_order.number)
    return work_order


@transaction.atomic
def create_work_orders_for_sales_order(*, actor: Any, order: Any) -> list[WorkOrder]:
    """One work order per open line of made items that stock does not cover (and none covers yet)."""
    made: list[WorkOrder] = []
    for line in order.lines.select_related("item", "order").order_by("position"):
        if line.item.make_or_buy != Item.MakeOrBuy.MAKE or line.status not in line.OPEN_STATUSES:
            continue
        covered = sum(
            (wo.quantity for wo in WorkOrder.objects.filter(sales_order_line=line).exclude(status="cancelled")),
            Decimal(0),
        )
        missing = line.unreserved_quantity - covered
        if missing > 0:
            made.append(create_work_order(actor=actor, data={"sales_order_line": line, "quantity": missing}))
    return made


UPDATABLE = ("quantity", "due_date", "planned_start", "notes", "issue_location", "output_location")


@transaction.atomic
def update_work_order(*, actor: Any, work_order: WorkOrder, data: dict[str, Any]) -> WorkOrder:
    """Change quantities, dates, locations and notes; quantity only before release."""
    access.require(actor, "production.change_workorder", plant=work_order.plant)
    wo = _locked(work_order)
    before = audit.snapshot(wo)
    for name, value in data.items():
        if name not in UPDATABLE:
            raise ValidationError({name: ["This field cannot be changed on a work order."]})
        if name == "quantity":
            q = _quantity(value)
            if q != wo.quantity and wo.status not in EDITABLE:
                raise Conflict(f"{wo.number} is {wo.status}: the quantity is fixed once released.")
            value = q
        if name in ("issue_location", "output_location"):
            _check_location(value, wo.plant, name)
        setattr(wo, name, value)
    if wo.status in ("completed", "cancelled"):
        raise Conflict(f"{wo.number} is {wo.status} and can no longer change.")
    if wo.planned_start and wo.planned_start > wo.due_date:
        raise ValidationError({"planned_start": ["The planned start is after the due date."]})
    wo.save()
    changes = audit.diff(before, audit.snapshot(wo))
    if changes:
        audit.record(actor, wo, action="update", changes=changes)
        events.emit("production.workorder.updated", {"id": wo.pk, "fields": sorted(changes)})
    return wo


def transition_work_order(*, actor: Any, work_order: WorkOrder, to_state: str, comment: str = "") -> WorkOrder:
    """Move the order through its workflow (permission, guards and effects by the engine)."""
    result = workflow_services.transition(work_order, to_state, actor, comment=comment)
    work_order.refresh_from_db()
    return result.obj  # type: ignore[return-value]


def plan_work_order(*, actor: Any, work_order: WorkOrder) -> WorkOrder:
    return transition_work_order(actor=actor, work_order=work_order, to_state="planned")


def release_work_order(*, actor: Any, work_order: WorkOrder, comment: str = "") -> WorkOrder:
    """Release to the floor: copies BOM and routing onto the order (see `_on_released`)."""
    return transition_work_order(actor=actor, work_order=work_order, to_state="released", comment=comment)


def complete_work_order(*, actor: Any, work_order: WorkOrder, comment: str = "") -> WorkOrder:
    """Refused (409) while an operation is open or a required component is not issued."""
    return transition_work_order(actor=actor, work_order=work_order, to_state="completed", comment=comment)


def _effective(line: BomLine, on: date) -> bool:
    return (line.effective_from is None or line.effective_from <= on) and (
        line.effective_to is None or line.effective_to >= on
    )


def _bom_rows(version: BomVersion, per: Decimal, on: date, depth: int = 0) -> list[dict[str, Any]]:
    """The version's lines in stock units per unit made, phantoms exploded into their components."""
    rows: list[dict[str, Any]] = []
    lines = BomLine.objects.filter(version=version).select_related("component", "unit", "component__stock_unit")
    for line in lines.order_by("position", "id"):
        if not _effective(line, on):
            continue
        per_unit = to_stock_units(line.quantity, line.unit, line.component) * per
        if line.scrap_factor:
            per_unit = per_unit / (1 - line.scrap_factor)
        if line.is_phantom and depth < 10:
            phantom = released_version(line.component)
            if phantom is not None:
                rows += _bom_rows(phantom, per_unit, on, depth + 1)
                continue
        rows.append({"line": line, "quantity_per": per_unit})
    return rows


@on_enter(MODEL, "released")
def _on_released(work_order: WorkOrder, actor: Any) -> None:
    """Snapshot the BOM and routing onto the order the first time it is released."""
    if work_order.released_at is not None:
        return
    now = timezone.now()
    on = work_order.planned_start or timezone.localdate()
    bom = work_order.bom_version
    routing = work_order.routing
    if work_order.kind == WorkOrder.Kind.PRODUCTION:
        bom = bom or released_version(work_order.item)
        routing = routing or Routing.objects.filter(item=work_order.item, status="released").first()
    operations: list[Operation] = []
    if routing is not None:
        for op in routing.operations.prefetch_related("eligible_machines").order_by("sequence"):
            copy = Operation.objects.create(
                organization_id=work_order.organization_id,
                work_order=work_order,
                sequence=op.sequence,
                description=op.description,
                work_center=op.work_center,
                setup_time_minutes=op.setup_time_minutes,
                run_time_per_unit_minutes=op.run_time_per_unit_minutes,
                required_skill=op.required_skill,
                work_instructions=op.work_instructions,
                source_operation_id=op.pk,
            )
            copy.eligible_machines.set(op.eligible_machines.all())
            operations.append(copy)
    last_op = operations[-1] if operations else None
    if bom is not None:
        for n, row in enumerate(_bom_rows(bom, Decimal(1), on), start=1):
            line: BomLine = row["line"]
            component = line.component
            required = (row["quantity_per"] * work_order.quantity).quantize(SIX, rounding=ROUND_UP)
            material = WorkOrderMaterial.objects.create(
                organization_id=work_order.organization_id,
                work_order=work_order,
                position=n * 10,
                component=component,
                quantity_per=row["quantity_per"].quantize(SIX, rounding=ROUND_UP),
                scrap_factor=line.scrap_factor,
                required_quantity=required,
                backflush=component.item_type == Item.Type.CONSUMABLE and component.tracking != Item.Tracking.SERIAL,
                operation=last_op,
                issue_location=work_order.issue_location,
                unit_cost=component.standard_cost,
                source_bom_line_id=line.pk,
            )
            if component.make_or_buy == Item.MakeOrBuy.MAKE and released_version(component) is not None:
                lead = timedelta(days=work_order.item.manufacturing_lead_time_days or 0)
                due = max(work_order.due_date - lead, timezone.localdate())
                child = create_work_order(
                    actor=actor,
                    data={
                        "item": component,
                        "quantity": required,
                        "plant": work_order.plant,
                        "due_date": due,
                        "parent": work_order,
                        "issue_location": work_order.issue_location,
                        "output_location": work_order.issue_location,
                        "notes": f"Component of {work_order.number}",
                    },
                )
                WorkOrderMaterial.objects.filter(pk=material.pk).update(sub_work_order=child)
    reserve_materials(actor=actor, work_order=work_order)
    WorkOrder.objects.filter(pk=work_order.pk).update(released_at=now, bom_version=bom, routing=routing, updated_at=now)
    work_order.released_at, work_order.bom_version, work_order.routing = now, bom, routing
    audit.record(
        actor,
        work_order,
        action="action",
        reason="BOM and routing copied at release",
        changes={
            "bom_version": [None, bom.pk if bom else None],
            "routing": [None, routing.pk if routing else None],
            "operations": [0, len(operations)],
            "materials": [0, work_order.materials.count()],
        },
    )
    events.emit("production.workorder.released", {"id": work_order.pk, "number": work_order.number})


@on_enter(MODEL, "in_progress")
def _on_started(work_order: WorkOrder, actor: Any) -> None:
    if work_order.started_at is None:
        now = timezone.now()
        WorkOrder.objects.filter(pk=work_order.pk).update(started_at=now)
        work_order.started_at = now
        events.emit("production.workorder.started", {"id": work_order.pk, "number": work_order.number})


@on_enter(MODEL, "completed")
def _on_completed(work_order: WorkOrder, actor: Any) -> None:
    release_reservations(actor=actor, work_order=work_order)
    now = timezone.now()
    WorkOrder.objects.filter(pk=work_order.pk).update(completed_at=now)
    work_order.completed_at = now
    events.emit(
        "production.workorder.completed",
        {"id": work_order.pk, "number": work_order.number, "received": str(work_order.received_quantity)},
    )


@on_enter(MODEL, "on_hold")
def _on_hold(work_order: WorkOrder, actor: Any) -> None:
    """Nobody works on an order on hold: running job cards pause and their clocks stop."""
    now = timezone.now()
    for op in Operation.objects.select_for_update().filter(work_order=work_order, status=Operation.Status.IN_PROGRESS):
        _close_time(op, now)
        op.status = Operation.Status.PAUSED
        op.save(update_fields=["status", "updated_at"])
        audit.record(actor, op, action="action", reason="order on hold", changes={"status": ["in_progress", "paused"]})


@on_enter(MODEL, "cancelled")
def _on_cancelled(work_order: WorkOrder, actor: Any) -> None:
    _cancel_children(actor, work_order)
    release_reservations(actor=actor, work_order=work_order)
    events.emit("production.workorder.cancelled", {"id": work_order.pk, "number": work_order.number})


# Sub-work orders that can be cancelled with their parent (the workflow's cancellable states).
CANCELLABLE = ("draft", "planned", "released", "on_hold")


def _consumed_something(work_order: WorkOrder) -> bool:
    issued = WorkOrderMaterial.objects.filter(work_order=work_order, issued_quantity__gt=0).exists()
    return issued or work_order.received_quantity > 0


def _cancel_children(actor: Any, work_order: WorkOrder) -> None:
    """A cancelled order's open sub-work orders go with it, all or none.

    A child that consumed material or gave output, or is already being worked on, holds real
    stock or work: it is not cancelled silently, so it refuses the parent's cancel (409) by name.
    Completed and cancelled children are history and stay as they are.
    """
    children = list(
        WorkOrder.objects.select_for_update()
        .filter(parent=work_order)
        .exclude(status__in=("completed", "cancelled"))
        .order_by("id")
    )
    blocking = []
    for child in children:
        if _consumed_something(child):
            blocking.append(f"{child.number} (material issued or output received)")
        elif child.status not in CANCELLABLE:
            blocking.append(f"{child.number} ({child.status.replace('_', ' ')})")
    if blocking:
        raise Conflict(
            f"{work_order.number} cannot be cancelled: its sub-work orders {', '.join(blocking)} "
            "have started; finish or return them first.",
            code="children_started",
        )
    for child in children:
        transition_work_order(
            actor=actor, work_order=child, to_state="cancelled", comment=f"Parent {work_order.number} cancelled."
        )


# --- Material reservations --------------------------------------------------------------------------

# A concurrent reservation may take part of a balance between our read and our reservation; the
# reservation is then refused whole (a conditional UPDATE) and we read again, a few times.
RESERVE_ATTEMPTS = 5


def _material_source(work_order: WorkOrder, line: WorkOrderMaterial) -> inventory.SourceDocument:
    return inventory.SourceDocument(selectors.MATERIAL_SOURCE, str(line.pk), f"{work_order.number}/{line.position}")


def _reserve_at(actor: Any, wo: WorkOrder, line: WorkOrderMaterial, balance: Any, need: Decimal) -> Decimal:
    """Reserve up to `need` of one balance for the line; returns how much was reserved."""
    for _ in range(RESERVE_ATTEMPTS):
        free = inventory_selectors.available_at(item=line.component, location=balance.location, lot=balance.lot)
        take = min(need, free)
        if line.component.tracking == Item.Tracking.SERIAL:
            take = take.to_integral_value(rounding=ROUND_FLOOR)
        if take <= 0:
            return Decimal(0)
        try:
            inventory.reserve(
                actor=actor,
                item=line.component,
                location=balance.location,
                lot=balance.lot,
                quantity=take,
                source=_material_source(wo, line),
            )
        except Conflict:
            continue  # someone reserved here meanwhile: read again and take what is left
        return take
    return Decimal(0)


def reserve_materials(*, actor: Any, work_order: WorkOrder) -> dict[int, Decimal]:
    """Reserve each material line's open quantity, first expiring first, at the line's pick
    location (or anywhere usable in the plant when it names none); never quarantine or scrap.

    Runs inside the release's transaction. Short stock is not an error: what exists is
    reserved and the rest stays open (the material panel says so; returns it per line).
    Concurrent releases never over-reserve a balance (see `_reserve_at`).
    """
    short: dict[int, Decimal] = {}
    lines = WorkOrderMaterial.objects.filter(work_order=work_order).select_related("component", "issue_location")
    for line in lines.order_by("position", "id"):
        held = sum((r.quantity for r in selectors.line_reservations(line)), Decimal(0))
        need = line.required_quantity - line.issued_quantity - held
        location = line.issue_location or work_order.issue_location
        for balance in selectors.reservable_stock(item=line.component, plant=work_order.plant, location=location):
            if need <= 0:
                break
            need -= _reserve_at(actor, work_order, line, balance, need)
        short[line.pk] = max(need, Decimal(0))
    return short


def release_reservations(*, actor: Any, work_order: WorkOrder, line: WorkOrderMaterial | None = None) -> int:
    """Let go of what is still reserved for the order (or one of its lines): it is free again."""
    rows = selectors.line_reservations(line) if line is not None else selectors.order_reservations(work_order)
    count = 0
    for reservation in rows.select_related("item", "location__plant", "lot"):
        inventory.release(actor=actor, reservation=reservation)
        count += 1
    return count


def _consume_reserved(
    actor: Any, line: WorkOrderMaterial, location: Location, lot: Lot | None, quantity: Decimal
) -> Decimal:
    """Issuing consumes the line's reservations at that place and lot first, so the issue may use
    the stock held for it; a reservation larger than the issue keeps the rest reserved.

    Returns the reserved quantity the issue's move takes off the balance itself: all of it when
    the issue consumes whole reservations (the usual case: it takes what was reserved for it),
    so the balance row is written once (`consume_reservation(settled_by_move=True)`)."""
    remaining = quantity
    plan = []
    # With the item and the location's plant, which consuming reads (permission, balance).
    for reservation in (
        selectors.line_reservations(line).filter(location=location, lot=lot).select_related("item", "location__plant")
    ):
        if remaining <= 0:
            break
        take = min(reservation.quantity, remaining)
        plan.append((reservation, take))
        remaining -= take
    whole = all(take == reservation.quantity for reservation, take in plan)
    for reservation, take in plan:
        inventory.consume_reservation(actor=actor, reservation=reservation, quantity=take, settled_by_move=whole)
    return sum((take for _, take in plan), Decimal(0)) if whole else Decimal(0)


@transaction.atomic
def update_material(*, actor: Any, material: WorkOrderMaterial, data: dict[str, Any]) -> WorkOrderMaterial:
    """Set a material line's backflush flag, consuming operation or pick location."""
    wo = material.work_order
    access.require(actor, "production.change_workorder", plant=wo.plant)
    if wo.status in ("completed", "cancelled"):
        raise Conflict(f"{wo.number} is {wo.status}.")
    line = WorkOrderMaterial.objects.select_for_update(of=("self",)).select_related("component").get(pk=material.pk)
    before = audit.snapshot(line)
    for name, value in data.items():
        if name not in ("backflush", "operation", "issue_location"):
            raise ValidationError({name: ["This field cannot be changed on a material line."]})
        if name == "operation" and value is not None and value.work_order_id != wo.pk:
            raise ValidationError({"operation": ["The operation belongs to another work order."]})
        if name == "issue_location":
            _check_location(value, wo.plant, name)
        setattr(line, name, value)
    if line.backflush and line.component.tracking == Item.Tracking.SERIAL:
        raise ValidationError({"backflush": ["Serial-numbered components are issued by serial, not backflushed."]})
    line.save()
    changes = audit.diff(before, audit.snapshot(line))
    if changes:
        audit.record(actor, line, action="update", changes=changes)
    return line


# --- Operations (job cards) and time ----------------------------------------------------------------


def _locked_operation(operation: Operation) -> Operation:
    """The job card and its order, locked (the first start moves the order in progress)."""
    return (
        Operation.objects.select_for_update(of=("self", "work_order"))
        .select_related("work_order", "work_order__plant", "work_center")
        .get(pk=operation.pk)
    )


def _open_time(op: Operation, actor: Any, now: Any) -> None:
    # The clocks are part of the job card action (production.change_operation); booking time
    # by hand afterwards (`book_time`) is what production.add_timeentry grants.
    rate = op.work_center.cost_rate_per_hour
    user = op.operator or (actor if getattr(actor, "is_authenticated", False) else None)
    TimeEntry.objects.create(
        organization_id=op.organization_id,
        work_order_id=op.work_order_id,
        operation=op,
        kind=TimeEntry.Kind.LABOUR,
        user=user,
        started_at=now,
        rate_per_hour=rate,
    )
    if op.machine_id is not None:
        TimeEntry.objects.create(
            organization_id=op.organization_id,
            work_order_id=op.work_order_id,
            operation=op,
            kind=TimeEntry.Kind.MACHINE,
            machine_id=op.machine_id,
            started_at=now,
            rate_per_hour=rate,
        )


def _close_time(op: Operation, now: Any) -> None:
    for entry in TimeEntry.objects.select_for_update().filter(operation=op, ended_at__isnull=True):
        end = max(now, entry.started_at)
        entry.ended_at = end
        entry.minutes = Decimal((end - entry.started_at).total_seconds() / 60).quantize(MINUTE_PLACES)
        entry.save(update_fields=["ended_at", "minutes", "updated_at"])


@transaction.atomic
def book_time(
    *,
    actor: Any,
    operation: Operation,
    kind: str,
    started_at: Any,
    minutes: Any,
    user: Any = None,
    machine: Machine | None = None,
    note: str = "",
) -> TimeEntry:
    """Book labour or machine time by hand (a forgotten clock-in, rework off the terminal)."""
    op = _locked_operation(operation)
    access.require(actor, "production.add_timeentry", plant=op.work_order.plant)
    if kind not in TimeEntry.Kind.values:
        raise ValidationError({"kind": [f"'{kind}' is labour or machine."]})
    m = _quantity(minutes, "minutes")
    if op.work_order.status in ("completed", "cancelled"):
        raise Conflict(f"{op.work_order.number} is {op.work_order.status}.")
    if kind == TimeEntry.Kind.MACHINE and machine is None:
        raise ValidationError({"machine": ["Machine time names the machine."]})
    if machine is not None and machine.pk != op.machine_id:
        _check_machine(op, machine)
    entry = TimeEntry.objects.create(
        organization_id=op.organization_id,
        work_order_id=op.work_order_id,
        operation=op,
        kind=kind,
        user=user if kind == TimeEntry.Kind.LABOUR else None,
        machine=machine if kind == TimeEntry.Kind.MACHINE else None,
        started_at=started_at,
        ended_at=started_at + timedelta(minutes=float(m)),
        minutes=m.quantize(MINUTE_PLACES),
        rate_per_hour=op.work_center.cost_rate_per_hour,
        note=note[:200],
    )
    audit.record(actor, entry, action="create", changes=audit.diff({}, audit.snapshot(entry)))
    events.emit("production.time.booked", {"id": entry.pk, "operation": op.pk, "minutes": str(m)})
    return entry


def _check_machine(op: Operation, machine: Machine | None) -> None:
    if machine is None:
        return
    eligible = list(op.eligible_machines.values_list("pk", flat=True))
    if eligible and machine.pk not in eligible:
        raise ValidationError({"machine": [f"{machine.code} is not an eligible machine of this operation."]})
    if not eligible and machine.work_center_id != op.work_center_id:
        raise ValidationError({"machine": [f"{machine.code} is not in work center {op.work_center.code}."]})
    if machine.status != "available":
        raise Conflict(f"Machine {machine.code} is {machine.status}.", code="machine_unavailable")


@transaction.atomic
def start_operation(
    *, actor: Any, operation: Operation, machine: Machine | None = None, operator: Any = None
) -> Operation:
    """Start a pending job card: the operator's labour clock (and the machine's) starts.

    Starting the first job card of a released order puts the order in progress.
    """
    op = _locked_operation(operation)
    wo = op.work_order
    access.require(actor, "production.change_operation", plant=wo.plant)
    if wo.status not in ("released", "in_progress"):
        raise Conflict(f"{wo.number} is {wo.status}: job cards start once it is released.")
    if op.status != Operation.Status.PENDING:
        raise Conflict(f"Operation {op.sequence} is {op.get_status_display().lower()}; only a pending one starts.")
    _check_machine(op, machine)
    now = timezone.now()
    op.status = Operation.Status.IN_PROGRESS
    op.operator = operator or (actor if getattr(actor, "is_authenticated", False) else None)
    op.machine = machine
    op.started_at = now
    op.save(update_fields=["status", "operator", "machine", "started_at", "updated_at"])
    _open_time(op, actor, now)
    if wo.status == "released":
        workflow_services.transition(wo, "in_progress", actor, comment=f"Operation {op.sequence} started.")
    audit.record(actor, op, action="action", reason="start", changes={"status": ["pending", "in_progress"]})
    events.emit("production.operation.started", {"id": op.pk, "work_order": wo.pk, "sequence": op.sequence})
    return op


@transaction.atomic
def pause_operation(*, actor: Any, operation: Operation, note: str = "") -> Operation:
    """Stop the clocks of a running job card (a break, waiting for material)."""
    op = _locked_operation(operation)
    access.require(actor, "production.change_operation", plant=op.work_order.plant)
    if op.status != Operation.Status.IN_PROGRESS:
        raise Conflict(f"Operation {op.sequence} is not running.")
    _close_time(op, timezone.now())
    op.status = Operation.Status.PAUSED
    op.save(update_fields=["status", "updated_at"])
    audit.record(actor, op, action="action", reason=note or "pause", changes={"status": ["in_progress", "paused"]})
    events.emit("production.operation.paused", {"id": op.pk, "work_order": op.work_order_id})
    return op


@transaction.atomic
def resume_operation(*, actor: Any, operation: Operation) -> Operation:
    """Restart the clocks of a paused job card."""
    op = _locked_operation(operation)
    access.require(actor, "production.change_operation", plant=op.work_order.plant)
    if op.status != Operation.Status.PAUSED:
        raise Conflict(f"Operation {op.sequence} is not paused.")
    if op.work_order.status != "in_progress":
        raise Conflict(f"{op.work_order.number} is {op.work_order.status}.")
    op.status = Operation.Status.IN_PROGRESS
    op.save(update_fields=["status", "updated_at"])
    _open_time(op, actor, timezone.now())
    audit.record(actor, op, action="action", reason="resume", changes={"status": ["paused", "in_progress"]})
    events.emit("production.operation.resumed", {"id": op.pk, "work_order": op.work_order_id})
    return op


def received_quantity(op: Operation, siblings: list[Operation] | None = None) -> Decimal:
    """What reached this operation: the order quantity for the first, else the previous one's good output.

    `siblings`, every job card of the order as just read, spares the query (a terminal page has them).
    """
    if siblings is not None:
        earlier = [o for o in siblings if o.sequence < op.sequence]
        previous = max(earlier, key=lambda o: o.sequence) if earlier else None
    else:
        previous = (
            Operation.objects.filter(work_order_id=op.work_order_id, sequence__lt=op.sequence)
            .order_by("-sequence")
            .first()
        )
    if previous is None:
        return op.work_order.quantity
    return previous.good_quantity


@transaction.atomic
def complete_operation(
    *,
    actor: Any,
    operation: Operation,
    good_quantity: Any,
    scrap_quantity: Any = 0,
    scrap_reason: str = "",
    note: str = "",
) -> Operation:
    """Finish a job card with its good and scrap quantities; backflushes its flagged material.

    Refuses (400) more than the operation received and scrap without a reason; a backflush
    that finds too little stock refuses the whole completion (409).
    """
    op = _locked_operation(operation)
    wo = op.work_order
    access.require(actor, "production.change_operation", plant=wo.plant)
    if op.status not in (Operation.Status.IN_PROGRESS, Operation.Status.PAUSED):
        raise Conflict(f"Operation {op.sequence} is {op.get_status_display().lower()}; start it first.")
    if wo.status != "in_progress":
        raise Conflict(f"{wo.number} is {wo.status}.")
    good = _quantity(good_quantity, "good_quantity", allow_zero=True)
    scrap = _quantity(scrap_quantity or 0, "scrap_quantity", allow_zero=True)
    if good + scrap == 0:
        raise ValidationError({"good_quantity": ["Report the good or scrapped quantity."]})
    # The order's job cards (what reached this one, whether it is the last) in one narrow read.
    steps = list(Operation.objects.filter(work_order_id=op.work_order_id).order_by().only("sequence", "good_quantity"))
    received = received_quantity(op, siblings=steps)
    if good + scrap > received:
        raise ValidationError(
            {
                "good_quantity": [
                    f"Operation {op.sequence} received {fmt(received)}; it cannot complete "
                    f"{fmt(good + scrap)} (good {fmt(good)} + scrap {fmt(scrap)})."
                ]
            }
        )
    if scrap > 0 and scrap_reason not in Operation.ScrapReason.values:
        raise ValidationError({"scrap_reason": ["Scrap needs a reason code."]})
    if scrap == 0:
        scrap_reason = ""
    now = timezone.now()
    _close_time(op, now)
    op.status = Operation.Status.COMPLETED
    op.good_quantity, op.scrap_quantity, op.scrap_reason = good, scrap, scrap_reason
    op.completed_at = now
    op.save(update_fields=["status", "good_quantity", "scrap_quantity", "scrap_reason", "completed_at", "updated_at"])
    _backflush(actor, op, good + scrap, last=max(steps, key=lambda o: o.sequence).pk == op.pk)
    audit.record(
        actor,
        op,
        action="action",
        reason=note or "complete",
        changes={
            "status": ["in_progress", "completed"],
            "good_quantity": ["0", str(good)],
            "scrap_quantity": ["0", str(scrap)],
            "scrap_reason": ["", scrap_reason],
        },
    )
    events.emit(
        "production.operation.completed",
        {"id": op.pk, "work_order": wo.pk, "sequence": op.sequence, "good": str(good), "scrap": str(scrap)},
    )
    return op


@transaction.atomic
def scrap_good_quantity(*, actor: Any, operation: Operation, quantity: Any, reason: str, note: str = "") -> Operation:
    """Book part of a completed operation's good output as its scrap (an NCR scrapping work in progress).

    The units were processed at this operation, so good + scrap (what the operation processed,
    what backflush consumed for) stays the same: only the split moves. Later operations receive
    the good quantity (`received_quantity`), so they can then complete only what is left. If a
    later operation has already processed more than would be left, or the order has received
    more output than the last operation would have passed, the units have moved on and are
    scrapped there (409). Refuses more than the good quantity (400). The operation keeps its
    scrap reason if it had scrap already; the reason given here goes to the audit and event.
    """
    op = (
        Operation.objects.select_for_update(of=("self",))
        .select_related("work_order", "work_order__plant")
        .get(pk=operation.pk)
    )
    wo = WorkOrder.objects.select_for_update(of=("self",)).select_related("plant").get(pk=op.work_order_id)
    access.require(actor, "production.change_operation", plant=wo.plant)
    q = _quantity(quantity)
    if reason not in Operation.ScrapReason.values:
        raise ValidationError({"scrap_reason": [f"Choose one of: {', '.join(Operation.ScrapReason.values)}."]})
    if wo.status in ("completed", "cancelled"):
        raise Conflict(f"{wo.number} is {wo.status}: its operations can no longer change.")
    if op.status != Operation.Status.COMPLETED:
        raise Conflict(
            f"Operation {op.sequence} is {op.get_status_display().lower()}; only a completed one has output."
        )
    if q > op.good_quantity:
        raise ValidationError(
            {
                "quantity": [
                    f"Operation {op.sequence} passed {fmt(op.good_quantity)} good; it cannot scrap {fmt(q)} of them."
                ]
            }
        )
    left = op.good_quantity - q
    later = list(
        Operation.objects.select_for_update(of=("self",))
        .filter(work_order=wo, sequence__gt=op.sequence)
        .order_by("sequence")
    )
    if later:
        following = later[0]
        processed = following.good_quantity + following.scrap_quantity
        if processed > left:
            raise Conflict(
                f"Operation {following.sequence} has already processed {fmt(processed)}; scrapping {fmt(q)} here "
                f"would leave only {fmt(left)} passed to it. Scrap them at operation {following.sequence}.",
                code="passed_on",
            )
    elif wo.received_quantity > left:
        raise Conflict(
            f"{wo.number} has received {fmt(wo.received_quantity)} into stock; scrapping {fmt(q)} would leave only "
            f"{fmt(left)} passed. Scrap them from stock.",
            code="passed_on",
        )
    before = {"good_quantity": fmt(op.good_quantity), "scrap_quantity": fmt(op.scrap_quantity)}
    old_reason = op.scrap_reason
    op.good_quantity = left
    op.scrap_quantity = op.scrap_quantity + q
    op.scrap_reason = old_reason or reason
    op.save(update_fields=["good_quantity", "scrap_quantity", "scrap_reason", "updated_at"])
    audit.record(
        actor,
        op,
        action="action",
        reason=(f"scrap {fmt(q)} ({reason}): {note}" if note else f"scrap {fmt(q)} ({reason})")[:250],
        changes={
            "good_quantity": [before["good_quantity"], fmt(op.good_quantity)],
            "scrap_quantity": [before["scrap_quantity"], fmt(op.scrap_quantity)],
            **({"scrap_reason": [old_reason, op.scrap_reason]} if old_reason != op.scrap_reason else {}),
        },
    )
    events.emit(
        "production.operation.scrapped",
        {
            "id": op.pk,
            "work_order": wo.pk,
            "sequence": op.sequence,
            "quantity": fmt(q),
            "reason": reason,
            "good": fmt(op.good_quantity),
            "scrap": fmt(op.scrap_quantity),
        },
    )
    return op


def _backflush(actor: Any, op: Operation, processed: Decimal, *, last: bool | None = None) -> None:
    """Issue the lines flagged backflush that this operation consumes, FEFO from their location.

    The last operation also consumes the lines tied to no operation; `last` says whether `op`
    is the order's last (read here when the caller does not know)."""
    wo = op.work_order
    if last is None:
        final = Operation.objects.filter(work_order=wo).order_by("-sequence").first()
        last = final is not None and final.pk == op.pk
    lines = WorkOrderMaterial.objects.select_for_update(of=("self",)).filter(work_order=wo, backflush=True)
    lines = lines.filter(Q(operation=op) | Q(operation__isnull=True)) if last else lines.filter(operation=op)
    for line in lines.select_related("component", "issue_location").order_by("position", "id"):
        share = (line.required_quantity * processed / wo.quantity).quantize(SIX, rounding=ROUND_UP)
        need = min(share, max(line.required_quantity - line.issued_quantity, Decimal(0)))
        if need <= 0:
            continue
        location = line.issue_location or wo.issue_location
        if location is None:
            raise ValidationError(
                {"issue_location": [f"{line.component.number} is backflushed but has no location to issue from."]}
            )
        # What is reserved for the line inside the location first, then free stock first expiring first.
        picks: list[dict[str, Any]] = []
        left = need
        inside = inventory_selectors.descendant_ids(location)
        for reservation in selectors.line_reservations(line).filter(location_id__in=inside):
            if left <= 0:
                break
            take = min(reservation.quantity, left)
            picks.append({"location": reservation.location, "lot": reservation.lot, "take": take})
            left -= take
        if left > 0:
            picks += inventory_selectors.fefo(item=line.component, location=location, quantity=left)
        found = sum((p.get("take", Decimal(0)) for p in picks), Decimal(0))
        if found < need:
            raise Conflict(
                f"Backflush of {line.component.number}: only {fmt(found)} of {fmt(need)} "
                f"{line.component.stock_unit} available at {location.code}.",
                code="insufficient_stock",
            )
        for pick in picks:
            if pick.get("take", 0) > 0:
                _post_issue(
                    actor=actor,
                    wo=wo,
                    line=line,
                    quantity=pick["take"],
                    location=pick["location"],
                    lot=pick["lot"],
                    serial=None,
                    operation=op,
                    kind=MaterialIssue.Kind.BACKFLUSH,
                )


# --- Material -------------------------------------------------------------------------------------


def _post_issue(
    *,
    actor: Any,
    wo: WorkOrder,
    line: WorkOrderMaterial,
    quantity: Decimal,
    location: Location,
    lot: Lot | None,
    serial: SerialNumber | None,
    operation: Operation | None,
    kind: str,
    idempotency_key: str = "",
    new_key: bool = False,
) -> MaterialIssue:
    """`new_key`: the caller has just found no move with `idempotency_key` (holding the order's
    lock), so this is no replay and the move posted now is a new one."""
    replay = bool(idempotency_key) and not new_key
    released = Decimal(0)
    if not (replay and StockMove.objects.filter(idempotency_key=idempotency_key).exists()):
        released = _consume_reserved(
            actor, line, location, lot if lot is not None or serial is None else serial.lot, quantity
        )
    move = inventory.issue(
        actor=actor,
        item=line.component,
        quantity=quantity,
        location=location,
        lot=lot,
        serial=serial,
        source=_source(wo),
        reason_code=kind,
        idempotency_key=idempotency_key,
        key_is_new=new_key,
        release_reserved=released,
    )
    if replay:
        existing = MaterialIssue.objects.filter(move=move).first()
        if existing is not None:  # a retried Idempotency-Key: the move was already recorded
            return existing
    record = MaterialIssue.objects.create(
        organization_id=wo.organization_id,
        work_order=wo,
        material=line,
        operation=operation,
        kind=kind,
        item=line.component,
        lot=move.lot,
        serial=serial,
        location=location,
        quantity=move.quantity,
        unit_cost=line.unit_cost,
        move=move,
    )
    WorkOrderMaterial.objects.filter(pk=line.pk).update(issued_quantity=line.issued_quantity + move.quantity)
    line.issued_quantity += move.quantity
    _link_consumed(wo, [(line.component_id, move.lot_id, serial.pk if serial else None)])
    audit.record(
        actor,
        record,
        action="create",
        changes={
            "kind": [None, kind],
            "item": [None, line.component.number],
            "quantity": [None, str(move.quantity)],
            "lot": [None, move.lot.number if move.lot else None],
            "serial": [None, serial.serial if serial else None],
            "location": [None, location.code],
        },
    )
    events.emit(
        "production.material.issued",
        {"id": record.pk, "work_order": wo.pk, "item": line.component_id, "quantity": str(move.quantity), "kind": kind},
    )
    return record


def _material_line(wo: WorkOrder, material: WorkOrderMaterial | None, item: Item | None) -> WorkOrderMaterial:
    if material is not None:
        if material.work_order_id != wo.pk:
            raise ValidationError({"material": ["The material line belongs to another work order."]})
        return (
            WorkOrderMaterial.objects.select_for_update(of=("self",))
            .select_related("component__stock_unit")
            .get(pk=material.pk)
        )
    if item is None:
        raise ValidationError({"material": ["Name the material line (or the item) to issue."]})
    line = (
        WorkOrderMaterial.objects.select_for_update(of=("self",))
        .select_related("component__stock_unit")  # the move and its messages name the unit
        .filter(work_order=wo, component=item)
        .order_by("position", "id")
        .first()
    )
    if line is None:
        raise ValidationError({"item": [f"{item.number} is not on the material list of {wo.number}."]})
    return line


def _serial_of(item: Item, serial: Any) -> SerialNumber | None:
    if serial is None or serial == "":
        return None
    if isinstance(serial, SerialNumber):
        if serial.item_id != item.pk:
            raise ValidationError({"serial": ["The serial number belongs to another item."]})
        return serial
    found = SerialNumber.objects.filter(item=item, serial=str(serial).strip()).first()
    if found is None:
        raise ValidationError({"serial": [f"{item.number} has no serial number '{serial}'."]})
    return found


@transaction.atomic
def issue_material(
    *,
    actor: Any,
    work_order: WorkOrder,
    quantity: Any,
    location: Location,
    material: WorkOrderMaterial | None = None,
    item: Item | None = None,
    lot: Lot | None = None,
    serial: Any = None,
    operation: Operation | None = None,
    idempotency_key: str = "",
) -> MaterialIssue:
    """Issue a component of the order's material list from a location (by lot or serial).

    An empty location, a lot that is not there or belongs to another item, is refused by the
    ledger (409 / 400) and nothing is recorded.
    """
    wo = _locked(work_order)
    access.require(actor, "production.add_materialissue", plant=wo.plant)
    move_id = None
    if idempotency_key:
        # At most one move has the key (a unique constraint): no ORDER BY needed to find it.
        move_id = next(
            iter(StockMove.objects.filter(idempotency_key=idempotency_key).values_list("pk", flat=True)), None
        )
        done = MaterialIssue.objects.filter(move_id=move_id).first() if move_id else None
        if done is not None:
            return done
    if wo.status not in ISSUABLE:
        raise Conflict(f"{wo.number} is {wo.status}: material is issued to released orders.")
    line = _material_line(wo, material, item)
    _check_location(location, wo.plant, "location")
    q = _quantity(quantity)
    if operation is not None and operation.work_order_id != wo.pk:
        raise ValidationError({"operation": ["The operation belongs to another work order."]})
    if lot is not None and lot.item_id != line.component_id:
        raise ValidationError({"lot": [f"Lot {lot.number} is not a lot of {line.component.number}."]})
    serial_obj = _serial_of(line.component, serial)
    return _post_issue(
        actor=actor,
        wo=wo,
        line=line,
        quantity=q,
        location=location,
        lot=lot,
        serial=serial_obj,
        operation=operation,
        kind=MaterialIssue.Kind.ISSUE,
        idempotency_key=idempotency_key,
        new_key=bool(idempotency_key) and move_id is None,
    )


def net_issued(wo: WorkOrder, line: WorkOrderMaterial, lot: Lot | None, serial: SerialNumber | None) -> Decimal:
    total = Decimal(0)
    for rec in MaterialIssue.objects.filter(work_order=wo, material=line, lot=lot, serial=serial):
        total += rec.signed_quantity
    return total


@transaction.atomic
def return_material(
    *,
    actor: Any,
    work_order: WorkOrder,
    quantity: Any,
    location: Location,
    material: WorkOrderMaterial | None = None,
    item: Item | None = None,
    lot: Lot | None = None,
    serial: Any = None,
    idempotency_key: str = "",
) -> MaterialIssue:
    """Bring unused material back to stock: at most what was issued of that lot or serial (400)."""
    wo = _locked(work_order)
    access.require(actor, "production.add_materialissue", plant=wo.plant)
    move_id = None
    if idempotency_key:
        # At most one move has the key (a unique constraint): no ORDER BY needed to find it.
        move_id = next(
            iter(StockMove.objects.filter(idempotency_key=idempotency_key).values_list("pk", flat=True)), None
        )
        done = MaterialIssue.objects.filter(move_id=move_id).first() if move_id else None
        if done is not None:
            return done
    if wo.status not in ISSUABLE:
        raise Conflict(f"{wo.number} is {wo.status}: returns are booked while the order is open.")
    line = _material_line(wo, material, item)
    _check_location(location, wo.plant, "location")
    q = _quantity(quantity)
    serial_obj = _serial_of(line.component, serial)
    if serial_obj is not None and lot is None:
        lot = serial_obj.lot
    issued = net_issued(wo, line, lot, serial_obj)
    if q > issued:
        what = f" lot {lot.number}" if lot else (f" serial {serial_obj.serial}" if serial_obj else "")
        raise ValidationError(
            {"quantity": [f"Only {fmt(issued)} of {line.component.number}{what} is issued to {wo.number}."]}
        )
    move = inventory.post_move(
        actor=actor,
        item=line.component,
        quantity=q,
        lot=lot,
        serial=serial_obj,
        from_location=inventory.virtual_location(location.plant_id, Location.Type.PRODUCTION),
        to_location=location,
        kind=StockMove.Kind.ISSUE,
        reason_code="return",
        note=f"Returned from {wo.number}",
        source=_source(wo),
        idempotency_key=idempotency_key,
    )
    record = MaterialIssue.objects.create(
        organization_id=wo.organization_id,
        work_order=wo,
        material=line,
        kind=MaterialIssue.Kind.RETURN,
        item=line.component,
        lot=lot,
        serial=serial_obj,
        location=location,
        quantity=q,
        unit_cost=line.unit_cost,
        move=move,
    )
    WorkOrderMaterial.objects.filter(pk=line.pk).update(issued_quantity=line.issued_quantity - q)
    audit.record(
        actor,
        record,
        action="create",
        changes={"kind": [None, "return"], "item": [None, line.component.number], "quantity": [None, str(q)]},
    )
    events.emit(
        "production.material.returned",
        {"id": record.pk, "work_order": wo.pk, "item": line.component_id, "quantity": str(q)},
    )
    return record


# --- Output and genealogy ---------------------------------------------------------------------------


def _compact(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", number)


def receivable_quantity(wo: WorkOrder) -> Decimal:
    """What may still be received: the last operation's good output (or the order quantity) minus receipts."""
    last = Operation.objects.filter(work_order=wo).order_by("-sequence").first()
    ceiling = last.good_quantity if last is not None else wo.quantity
    return max(ceiling - wo.received_quantity, Decimal(0))


def _next_lot_number(wo: WorkOrder) -> str:
    base = f"L-{_compact(wo.number)}-"
    n = WorkOrderOutput.objects.filter(work_order=wo).exclude(lot=None).values("lot").distinct().count() + 1
    while Lot.objects.filter(item=wo.item, number=f"{base}{n:02d}").exists():
        n += 1
    return f"{base}{n:02d}"


def _new_serials(wo: WorkOrder, count: int) -> list[str]:
    base = f"SN-{_compact(wo.number)}-"
    n = WorkOrderOutput.objects.filter(work_order=wo).exclude(serial=None).count() + 1
    out: list[str] = []
    while len(out) < count:
        text = f"{base}{n:03d}"
        if not SerialNumber.objects.filter(item=wo.item, serial=text).exists():
            out.append(text)
        n += 1
    return out


@transaction.atomic
def receive_output(
    *,
    actor: Any,
    work_order: WorkOrder,
    quantity: Any,
    location: Location | None = None,
    lot_number: str = "",
    serials: Iterable[str] | None = None,
    idempotency_key: str = "",
) -> list[WorkOrderOutput]:
    """Receive good product into stock with a lot or serials per the item's tracking.

    Lots are numbered `L-WO000123-01`, serials `SN-WO000123-001` unless given. A serial that
    already exists is a 409; more than the last operation's good output is a 400. A repair
    order receives back the unit it repairs.
    """
    wo = _locked(work_order)
    access.require(actor, RECEIVE_OUTPUT, plant=wo.plant)
    if idempotency_key:
        found = list(WorkOrderOutput.objects.filter(work_order=wo, move__idempotency_key__startswith=idempotency_key))
        if found:
            return found
    if wo.status not in RECEIVABLE:
        raise Conflict(f"{wo.number} is {wo.status}: output is received while it is in progress or in QC.")
    location = location or wo.output_location
    if location is None:
        raise ValidationError({"location": ["Name the location to receive into."]})
    _check_location(location, wo.plant, "location")
    q = _quantity(quantity)
    open_q = receivable_quantity(wo)
    if q > open_q:
        raise ValidationError({"quantity": [f"Only {fmt(open_q)} of {wo.item.number} is ready to receive."]})
    item = wo.item
    production = inventory.virtual_location(location.plant_id, Location.Type.PRODUCTION)
    outputs: list[WorkOrderOutput] = []

    def post(n: int, qty: Decimal, lot: Lot | None, serial: SerialNumber | None) -> None:
        move = inventory.post_move(
            actor=actor,
            item=item,
            quantity=qty,
            lot=lot,
            serial=serial,
            from_location=production,
            to_location=location,
            kind=StockMove.Kind.RECEIVE,
            reason_code="production",
            note=f"Output of {wo.number}",
            source=_source(wo),
            idempotency_key=f"{idempotency_key}#{n}" if idempotency_key else "",
        )
        outputs.append(
            WorkOrderOutput.objects.create(
                organization_id=wo.organization_id,
                work_order=wo,
                item=item,
                lot=move.lot,
                serial=serial,
                location=location,
                quantity=move.quantity,
                move=move,
            )
        )

    if item.tracking == Item.Tracking.SERIAL:
        if q != q.to_integral():
            raise ValidationError({"quantity": ["Serial-numbered output is received in whole units."]})
        count = int(q)
        if wo.kind == WorkOrder.Kind.REPAIR and wo.serial_id is not None:
            if count != 1 or (serials and list(serials) != [wo.serial.serial]):
                raise ValidationError({"serials": [f"A repair order returns its own unit {wo.serial.serial}."]})
            post(1, Decimal(1), wo.serial.lot, wo.serial)
        else:
            texts = [s.strip() for s in (serials or []) if s and s.strip()]
            if texts and len(texts) != count:
                raise ValidationError({"serials": [f"Give {count} serial numbers (one per unit)."]})
            if len(set(texts)) != len(texts):
                raise ValidationError({"serials": ["A serial number is given twice."]})
            texts = texts or _new_serials(wo, count)
            taken = list(SerialNumber.objects.filter(item=item, serial__in=texts).values_list("serial", flat=True))
            if taken:
                raise Conflict(
                    f"Serial number {', '.join(sorted(taken))} of {item.number} already exists.", code="serial_exists"
                )
            lot = None
            if lot_number.strip():
                lot = inventory.lot_for_receipt(
                    actor=actor, item=item, number=lot_number, manufactured_on=timezone.localdate()
                )
            for n, text in enumerate(texts, start=1):
                serial = inventory.create_serial_number(actor=actor, data={"item": item, "serial": text, "lot": lot})
                post(n, Decimal(1), lot, serial)
    elif item.tracking == Item.Tracking.LOT:
        number = lot_number.strip() or _next_lot_number(wo)
        existing = Lot.objects.filter(item=item, number=number).first()
        if existing is not None and not WorkOrderOutput.objects.filter(work_order=wo, lot=existing).exists():
            raise Conflict(f"Lot {number} of {item.number} already exists.", code="lot_exists")
        lot = existing or inventory.lot_for_receipt(
            actor=actor, item=item, number=number, manufactured_on=timezone.localdate()
        )
        post(1, q, lot, None)
    else:
        if lot_number.strip() or serials:
            raise ValidationError({"lot_number": [f"{item.number} is not tracked by lot or serial."]})
        post(1, q, None, None)

    WorkOrder.objects.filter(pk=wo.pk).update(received_quantity=wo.received_quantity + q, updated_at=timezone.now())
    work_order.received_quantity = wo.received_quantity + q
    _link_produced(wo, [(item.pk, o.lot_id, o.serial_id) for o in outputs])
    audit.record(
        actor,
        wo,
        action="action",
        reason="output received",
        changes={
            "received_quantity": [str(wo.received_quantity), str(wo.received_quantity + q)],
            "lots": [None, sorted({o.lot.number for o in outputs if o.lot})],
            "serials": [None, [o.serial.serial for o in outputs if o.serial]],
            "location": [None, location.code],
        },
    )
    events.emit(
        "production.output.received",
        {"work_order": wo.pk, "item": item.pk, "quantity": str(q), "outputs": [o.pk for o in outputs]},
    )
    return outputs


Traced = tuple[int, int | None, int | None]  # item, lot, serial


def _consumed_of(wo: WorkOrder) -> list[Traced]:
    rows = (
        MaterialIssue.objects.filter(work_order=wo)
        .filter(Q(lot__isnull=False) | Q(serial__isnull=False))
        .exclude(kind=MaterialIssue.Kind.RETURN)
        .values_list("item_id", "lot_id", "serial_id")
        .distinct()
    )
    return list(rows)


def _produced_of(wo: WorkOrder) -> list[Traced]:
    rows = (
        WorkOrderOutput.objects.filter(work_order=wo)
        .filter(Q(lot__isnull=False) | Q(serial__isnull=False))
        .values_list("item_id", "lot_id", "serial_id")
        .distinct()
    )
    return list(rows)


def _link(wo: WorkOrder, consumed: list[Traced], produced: list[Traced]) -> None:
    existing = set(
        GenealogyLink.objects.filter(work_order=wo).values_list(
            "consumed_lot_id", "consumed_serial_id", "produced_lot_id", "produced_serial_id"
        )
    )
    new = []
    for c_item, c_lot, c_serial in consumed:
        if c_lot is None and c_serial is None:
            continue
        for p_item, p_lot, p_serial in produced:
            if p_lot is None and p_serial is None:
                continue
            key = (c_lot, c_serial, p_lot, p_serial)
            if key in existing:
                continue
            existing.add(key)
            new.append(
                GenealogyLink(
                    organization_id=wo.organization_id,
                    work_order=wo,
                    consumed_item_id=c_item,
                    consumed_lot_id=c_lot,
                    consumed_serial_id=c_serial,
                    produced_item_id=p_item,
                    produced_lot_id=p_lot,
                    produced_serial_id=p_serial,
                )
            )
    GenealogyLink.objects.bulk_create(new)


def _link_consumed(wo: WorkOrder, consumed: list[Traced]) -> None:
    """Material issued after output was received still traces to it."""
    produced = _produced_of(wo)
    if produced:
        _link(wo, consumed, produced)


def _link_produced(wo: WorkOrder, produced: list[Traced]) -> None:
    _link(wo, _consumed_of(wo), produced)
