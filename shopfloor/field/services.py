"""Every write of field assets: one function per thing that happens to a bit.

Each action does its physical part first (a move of the serial on the stock ledger, an
assignment, a run, a dull grade, a repair work order) and then fires the workflow transition,
all in one transaction: a refused step (bad input 400, wrong state or not enough stock 409)
leaves nothing behind. The asset row is locked first, so two people acting on one bit at the
same moment take turns and the second sees what the first did.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopfloor.catalog.models import Item
from shopfloor.core import access, audit, events, numbering
from shopfloor.core.errors import Conflict
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, SerialNumber, StockMove
from shopfloor.partners.models import Rig, Well
from shopfloor.workflows import services as workflow

from . import iadc
from .models import Assignment, BitRun, DullGrade, FieldAsset, FieldRepair

STATE_LABELS = {
    "new": "New",
    "in_stock": "In stock",
    "assigned": "Assigned",
    "in_field": "In field",
    "returned": "Returned",
    "under_repair": "Under repair",
    "scrapped": "Scrapped",
}

# A repair without a due date given is due this many days after the return is sent to the shop.
REPAIR_DAYS = 14
# A repair work order in one of these states is finished (done, or called off).
REPAIR_DONE_STATES = ("completed", "cancelled")

SHIP_REASON = "field-ship"
RETURN_REASON = "field-return"


def _document(asset: FieldAsset) -> inventory.SourceDocument:
    return inventory.SourceDocument("field.fieldasset", str(asset.pk), asset.number)


def _lock(asset: FieldAsset) -> FieldAsset:
    return FieldAsset.objects.select_for_update(of=("self",)).select_related("serial", "item", "plant").get(pk=asset.pk)


def _state(asset: FieldAsset) -> str:
    return STATE_LABELS.get(asset.status, asset.status)


def _expect(asset: FieldAsset, *states: str, doing: str) -> None:
    if asset.status not in states:
        allowed = " or ".join(STATE_LABELS[s] for s in states)
        raise Conflict(f"{asset.number} is {_state(asset)}; only a bit {allowed} can be {doing}.", code="state")


def _real_location(asset: FieldAsset, location: Location | None, field: str = "location") -> Location:
    if location is None:
        raise ValidationError({field: ["Give the location the bit goes to."]})
    if location.is_virtual:
        raise ValidationError({field: [f"{location.code} is not a real location: choose a shelf or bin."]})
    if location.plant_id != asset.plant_id:
        raise ValidationError({field: [f"{location.code} is not in the asset's plant {asset.plant.code}."]})
    return location


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Registering a bit --------------------------------------------------------------------------


@transaction.atomic
def create_asset(*, actor: Any, data: dict[str, Any]) -> FieldAsset:
    """Follow a serial number in the field: one asset per serial, of a serial-tracked item.

    `data` holds `plant`, either `serial` (a SerialNumber) or `item` and `serial_text` (the
    serial is registered when new), and optionally bit_type, size, iadc_class, notes.
    """
    plant = data.get("plant")
    access.require(actor, "field.add_fieldasset", plant=plant)
    if plant is None:
        raise ValidationError({"plant": ["Give the asset's home plant."]})
    serial: SerialNumber | None = data.get("serial")
    if serial is None:
        item: Item | None = data.get("item")
        text = (data.get("serial_text") or "").strip()
        if item is None:
            raise ValidationError({"item": ["Give the bit's item (or an existing serial number)."]})
        if not text:
            raise ValidationError({"serial_text": ["Give the bit's serial number."]})
        serial = inventory.serial_for_receipt(actor=actor, item=item, serial=text)
    if FieldAsset.objects.filter(serial=serial).exists():
        raise ValidationError({"serial": [f"Serial {serial.serial} is already followed as a field asset."]})
    asset = FieldAsset(
        organization_id=serial.organization_id,
        plant=plant,
        created_by=_actor_or_none(actor),
        number=numbering.next_number("field_asset"),
        serial=serial,
        item=serial.item,
        bit_type=data.get("bit_type") or FieldAsset.BitType.FIXED_CUTTER,
        size=data.get("size"),
        iadc_class=(data.get("iadc_class") or "").strip(),
        notes=data.get("notes") or "",
        status=workflow.initial_state(FieldAsset),
    )
    asset.full_clean(exclude=["serial"])
    try:
        with transaction.atomic():
            asset.save(force_insert=True)
    except IntegrityError:
        raise Conflict(f"Serial {serial.serial} is already followed as a field asset.") from None
    audit.record(actor, asset, action="create", changes=audit.diff({}, audit.snapshot(asset)))
    events.emit("field.fieldasset.created", {"id": asset.pk, "number": asset.number, "serial": serial.pk})
    return asset


EDITABLE = ("bit_type", "size", "iadc_class", "notes")


@transaction.atomic
def update_asset(*, actor: Any, asset: FieldAsset, data: dict[str, Any]) -> FieldAsset:
    """Correct the bit's description; its serial, plant and status are not edited here."""
    access.require(actor, "field.change_fieldasset", plant=asset.plant)
    locked = _lock(asset)
    unknown = sorted(set(data) - set(EDITABLE) - {"plant", "serial"})
    if unknown:
        raise ValidationError({name: ["Not editable."] for name in unknown})
    if "serial" in data and data["serial"] != locked.serial:
        raise ValidationError({"serial": ["An asset keeps its serial number."]})
    if "plant" in data and data["plant"] != locked.plant:
        raise ValidationError({"plant": ["An asset keeps its home plant."]})
    if "bit_type" in data and data["bit_type"] != locked.bit_type and locked.dull_grades.exists():
        raise ValidationError({"bit_type": ["The bit has dull grades of its kind; its kind stays."]})
    before = audit.snapshot(locked)
    for name in EDITABLE:
        if name in data:
            setattr(locked, name, data[name] if data[name] is not None or name == "size" else "")
    locked.full_clean(exclude=["serial"])
    locked.save()
    changes = audit.diff(before, audit.snapshot(locked))
    if changes:
        audit.record(actor, locked, action="update", changes=changes)
        events.emit("field.fieldasset.updated", {"id": locked.pk, "fields": sorted(changes)})
    return locked


@transaction.atomic
def delete_asset(*, actor: Any, asset: FieldAsset) -> None:
    """Stop following a bit registered by mistake: only while it is New and has no history."""
    access.require(actor, "field.delete_fieldasset", plant=asset.plant)
    locked = _lock(asset)
    if locked.status != "new" or locked.assignments.exists() or locked.dull_grades.exists():
        raise Conflict(f"{locked.number} has a history; scrap it instead of deleting it.")
    before = audit.snapshot(locked)
    pk, text = locked.pk, str(locked)
    locked.delete()
    audit.record(
        actor,
        None,
        action="delete",
        changes=audit.diff(before, {}),
        object_type="field.fieldasset",
        object_id=str(pk),
        object_repr=text,
    )
    events.emit("field.fieldasset.deleted", {"id": pk})


# --- In stock -------------------------------------------------------------------------------------


@transaction.atomic
def receive(
    *, actor: Any, asset: FieldAsset, location: Location | None = None, note: str = "", idempotency_key: str = ""
) -> FieldAsset:
    """A new bit comes into stock. A serial already on the shelf (made here, received by the
    stores) just changes state; one from outside is received into `location` on the ledger."""
    access.require(actor, "field.receive_fieldasset", plant=asset.plant)
    asset = _lock(asset)
    _expect(asset, "new", doing="received")
    serial = SerialNumber.objects.get(pk=asset.serial_id)
    if serial.location_id is None:
        if serial.status != SerialNumber.Status.ISSUED and serial.status != SerialNumber.Status.SHIPPED:
            raise Conflict(f"Serial {serial.serial} is {serial.get_status_display().lower()}.")
        target = _real_location(asset, location)
        inventory.receive(
            actor=actor,
            item=asset.item,
            quantity=1,
            location=target,
            serial=serial,
            source=_document(asset),
            reason_code="field-receipt",
            note=note,
            idempotency_key=idempotency_key,
        )
    workflow.transition(asset, "in_stock", actor, comment=note)
    events.emit("field.fieldasset.received", {"id": asset.pk, "number": asset.number})
    return FieldAsset.objects.get(pk=asset.pk)


# --- To the rig and back ----------------------------------------------------------------------------


@transaction.atomic
def assign(*, actor: Any, asset: FieldAsset, rig: Rig | None, well: Well | None = None, note: str = "") -> Assignment:
    """Promise an in-stock bit to a customer's rig (and optionally the well it will drill)."""
    access.require(actor, "field.assign_fieldasset", plant=asset.plant)
    if rig is None:
        raise ValidationError({"rig": ["Give the rig the bit is assigned to."]})
    if not rig.is_active:
        raise ValidationError({"rig": [f"Rig {rig.name} is not active."]})
    if well is not None and well.customer_id != rig.customer_id:
        raise ValidationError({"well": [f"Well {well.name} belongs to another customer than rig {rig.name}."]})
    asset = _lock(asset)
    _expect(asset, "in_stock", doing="assigned")
    assignment = Assignment.objects.create(
        organization_id=asset.organization_id,
        created_by=_actor_or_none(actor),
        asset=asset,
        customer_id=rig.customer_id,
        rig=rig,
        well=well,
        note=note,
    )
    FieldAsset.objects.filter(pk=asset.pk).update(customer_id=rig.customer_id, rig=rig, updated_at=timezone.now())
    audit.record(
        actor,
        assignment,
        action="create",
        changes={"asset": [None, asset.number], "rig": [None, rig.name], "well": [None, well.name if well else None]},
    )
    workflow.transition(asset, "assigned", actor, comment=note or f"Assigned to rig {rig.name}")
    events.emit(
        "field.fieldasset.assigned",
        {"id": asset.pk, "number": asset.number, "assignment": assignment.pk, "rig": rig.pk},
    )
    return assignment


def _open_assignment(asset: FieldAsset) -> Assignment:
    assignment = asset.assignments.select_for_update().filter(ended_at__isnull=True).first()
    if assignment is None:
        raise Conflict(f"{asset.number} has no open assignment.")
    return assignment


def _end_assignment(actor: Any, assignment: Assignment, reason: str, move: StockMove | None = None) -> None:
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(
        ended_at=now, end_reason=reason, return_move=move, updated_at=now
    )
    FieldAsset.objects.filter(pk=assignment.asset_id).update(customer=None, rig=None, updated_at=now)
    audit.record(
        actor, assignment, action="update", changes={"ended_at": [None, now.isoformat()], "end_reason": [None, reason]}
    )


@transaction.atomic
def unassign(*, actor: Any, asset: FieldAsset, note: str = "") -> FieldAsset:
    """The rig no longer needs the bit before it was shipped: it stays in stock, free again."""
    access.require(actor, "field.assign_fieldasset", plant=asset.plant)
    asset = _lock(asset)
    _expect(asset, "assigned", doing="unassigned")
    _end_assignment(actor, _open_assignment(asset), Assignment.EndReason.UNASSIGNED)
    workflow.transition(asset, "in_stock", actor, comment=note)
    events.emit("field.fieldasset.unassigned", {"id": asset.pk, "number": asset.number})
    return FieldAsset.objects.get(pk=asset.pk)


@transaction.atomic
def ship(*, actor: Any, asset: FieldAsset, note: str = "", idempotency_key: str = "") -> Assignment:
    """The bit leaves for the rig: its serial moves to the customer location on the ledger."""
    access.require(actor, "field.ship_fieldasset", plant=asset.plant)
    asset = _lock(asset)
    _expect(asset, "assigned", doing="shipped")
    assignment = _open_assignment(asset)
    serial = SerialNumber.objects.select_related("location").get(pk=asset.serial_id)
    if serial.location is None:
        raise Conflict(f"Serial {serial.serial} is not on a shelf of the plant; it cannot be shipped.")
    customer_location = inventory.virtual_location(serial.location.plant_id, Location.Type.CUSTOMER)
    move = inventory.post_move(
        actor=actor,
        item=asset.item,
        quantity=1,
        from_location=serial.location,
        to_location=customer_location,
        kind=StockMove.Kind.TRANSFER,
        serial=serial,
        reason_code=SHIP_REASON,
        note=note or f"To rig {assignment.rig.name}",
        source=_document(asset),
        idempotency_key=idempotency_key,
    )
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(shipped_at=now, ship_move=move, updated_at=now)
    audit.record(actor, assignment, action="update", changes={"shipped_at": [None, now.isoformat()]})
    workflow.transition(asset, "in_field", actor, comment=note or f"Shipped to rig {assignment.rig.name}")
    events.emit(
        "field.fieldasset.shipped",
        {"id": asset.pk, "number": asset.number, "assignment": assignment.pk, "move": move.pk},
    )
    return Assignment.objects.get(pk=assignment.pk)


@transaction.atomic
def return_from_field(
    *,
    actor: Any,
    asset: FieldAsset,
    location: Location | None,
    grade: dict[str, Any],
    remarks: str = "",
    note: str = "",
    idempotency_key: str = "",
) -> DullGrade:
    """The bit comes back from the rig with its IADC dull grade.

    The grade is checked against the code lists before anything is written: a wrong code is a
    400 naming the column, and the bit stays in the field. Then the serial moves from the
    customer location into `location`, the assignment ends, the grade is stored against the
    bit's last run, and the bit is Returned.
    """
    access.require(actor, "field.return_fieldasset", plant=asset.plant)
    asset = _lock(asset)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    target: Location | None = None
    try:
        cleaned = iadc.clean(asset.bit_type, grade)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        target = _real_location(asset, location, field="to_location")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors or target is None:
        raise ValidationError(errors)
    _expect(asset, "in_field", doing="returned")
    assignment = _open_assignment(asset)
    serial = SerialNumber.objects.get(pk=asset.serial_id)
    move = inventory.post_move(
        actor=actor,
        item=asset.item,
        quantity=1,
        from_location=inventory.virtual_location(target.plant_id, Location.Type.CUSTOMER),
        to_location=target,
        kind=StockMove.Kind.TRANSFER,
        serial=serial,
        reason_code=RETURN_REASON,
        note=note or f"Back from rig {assignment.rig.name}",
        source=_document(asset),
        idempotency_key=idempotency_key,
    )
    _end_assignment(actor, assignment, Assignment.EndReason.RETURNED, move)
    dull = DullGrade.objects.create(
        organization_id=asset.organization_id,
        created_by=_actor_or_none(actor),
        asset=asset,
        assignment=assignment,
        run=assignment.runs.order_by("-run_number").first(),
        bit_type=asset.bit_type,
        remarks=remarks,
        **cleaned,
    )
    audit.record(actor, dull, action="create", changes=audit.diff({}, audit.snapshot(dull)))
    workflow.transition(asset, "returned", actor, comment=note or f"Dull grade {dull.code}")
    events.emit(
        "field.fieldasset.returned",
        {"id": asset.pk, "number": asset.number, "dull_grade": dull.pk, "grade": dull.code, "move": move.pk},
    )
    return dull


# --- Runs ---------------------------------------------------------------------------------------------

TWO_PLACES = Decimal("0.01")


def _decimal(value: Any, field: str, label: str) -> Decimal:
    if value in (None, ""):
        raise ValidationError({field: [f"Give the {label}."]})
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [f"'{value}' is not a number."]}) from None
    if not number.is_finite():
        raise ValidationError({field: [f"'{value}' is not a number."]})
    return number


def _measure(data: dict[str, Any]) -> dict[str, Any]:
    """Depths and hours checked, footage and rate of penetration computed (all errors at once)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Decimal] = {}
    for field, label in (("depth_in", "depth in"), ("depth_out", "depth out"), ("hours_on_bottom", "hours on bottom")):
        try:
            values[field] = _decimal(data.get(field), field, label)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "depth_in" in values and values["depth_in"] < 0:
        errors["depth_in"] = ["Depth in cannot be negative."]
    if "hours_on_bottom" in values and values["hours_on_bottom"] <= 0:
        errors["hours_on_bottom"] = ["Hours on bottom must be more than zero."]
    if "depth_in" in values and "depth_out" in values and values["depth_out"] <= values["depth_in"]:
        errors["depth_out"] = [
            f"Depth out ({values['depth_out']}) must be deeper than depth in ({values['depth_in']})."
        ]
    if errors:
        raise ValidationError(errors)
    footage = (values["depth_out"] - values["depth_in"]).quantize(TWO_PLACES)
    rop = (footage / values["hours_on_bottom"]).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return {**values, "footage": footage, "rop": rop}


@transaction.atomic
def record_run(*, actor: Any, asset: FieldAsset, data: dict[str, Any]) -> BitRun:
    """A run of a bit that is in the field: well, depth in and out, hours on bottom.

    Footage and rate of penetration are computed and stored. A bit that is not in the field
    does not run (400 on `asset`), and the well must be the rig's customer's.
    """
    access.require(actor, "field.add_bitrun", plant=asset.plant)
    asset = _lock(asset)
    if asset.status != "in_field":
        raise ValidationError(
            {"asset": [f"{asset.number} is {_state(asset)}; only a bit in the field can have a run recorded."]}
        )
    assignment = _open_assignment(asset)
    well: Well | None = data.get("well") or assignment.well
    if well is None:
        raise ValidationError({"well": ["Give the well the bit drilled."]})
    if well.customer_id != assignment.customer_id:
        raise ValidationError({"well": [f"Well {well.name} is not a well of the customer the bit is assigned to."]})
    measured = _measure(data)
    last = asset.runs.order_by("-run_number").values_list("run_number", flat=True).first() or 0
    run = BitRun(
        organization_id=asset.organization_id,
        created_by=_actor_or_none(actor),
        asset=asset,
        assignment=assignment,
        well=well,
        run_number=last + 1,
        run_date=data.get("run_date") or timezone.localdate(),
        depth_unit=data.get("depth_unit") or BitRun.DepthUnit.METRE,
        note=data.get("note") or "",
        **measured,
    )
    run.full_clean()
    run.save(force_insert=True)
    audit.record(actor, run, action="create", changes=audit.diff({}, audit.snapshot(run)))
    events.emit(
        "field.bitrun.recorded",
        {"id": run.pk, "asset": asset.pk, "footage": str(run.footage), "rop": str(run.rop)},
    )
    return run


RUN_EDITABLE = ("well", "run_date", "depth_unit", "depth_in", "depth_out", "hours_on_bottom", "note")


@transaction.atomic
def update_run(*, actor: Any, run: BitRun, data: dict[str, Any]) -> BitRun:
    """Correct a run as reported (a typo in a depth): footage and ROP are computed again."""
    access.require(actor, "field.change_bitrun", plant=run.asset.plant)
    locked = BitRun.objects.select_for_update(of=("self",)).select_related("assignment").get(pk=run.pk)
    if "asset" in data and data["asset"] != locked.asset:
        raise ValidationError({"asset": ["A run stays with its bit."]})
    before = audit.snapshot(locked)
    merged = {name: data.get(name, getattr(locked, name)) for name in RUN_EDITABLE}
    if merged["well"].customer_id != locked.assignment.customer_id:
        raise ValidationError({"well": [f"Well {merged['well'].name} is not a well of the assignment's customer."]})
    measured = _measure(merged)
    for name in RUN_EDITABLE:
        setattr(locked, name, merged[name])
    for name, value in measured.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    changes = audit.diff(before, audit.snapshot(locked))
    if changes:
        audit.record(actor, locked, action="update", changes=changes)
        events.emit("field.bitrun.updated", {"id": locked.pk, "fields": sorted(changes)})
    return locked


# --- Repair -------------------------------------------------------------------------------------------


def _create_repair_work_order(
    *, actor: Any, asset: FieldAsset, grade: DullGrade | None, due_date: Any, note: str
) -> Any:
    """The production engineer's service makes the work order; here it is only asked for."""
    from shopfloor.production import services as production

    text = f"Repair of {asset.number} (serial {asset.serial.serial})"
    if grade is not None:
        text += f" after return; IADC dull grade {grade.code}"
    if note:
        text += f". {note}"
    return production.create_work_order(
        actor=actor,
        data={
            "item": asset.item,
            "quantity": Decimal(1),
            "plant": asset.plant,
            "due_date": due_date,
            "kind": "repair",
            "serial": asset.serial,
            "notes": text,
        },
    )


@transaction.atomic
def start_repair(*, actor: Any, asset: FieldAsset, due_date: date | None = None, note: str = "") -> FieldRepair:
    """Open a repair work order for a returned bit, with its latest dull grade attached."""
    access.require(actor, "field.repair_fieldasset", plant=asset.plant)
    asset = _lock(asset)
    _expect(asset, "returned", doing="sent to repair")
    if due_date is None:
        due_date = timezone.localdate() + timedelta(days=REPAIR_DAYS)
    elif due_date < timezone.localdate():
        raise ValidationError({"due_date": ["The repair cannot be due in the past."]})
    grade = asset.dull_grades.order_by("-graded_at", "-id").first()
    work_order = _create_repair_work_order(actor=actor, asset=asset, grade=grade, due_date=due_date, note=note)
    repair = FieldRepair.objects.create(
        organization_id=asset.organization_id,
        created_by=_actor_or_none(actor),
        asset=asset,
        dull_grade=grade,
        work_order=work_order,
        work_order_number=getattr(work_order, "number", "") or "",
        note=note,
    )
    audit.record(
        actor,
        repair,
        action="create",
        changes={"work_order": [None, repair.work_order_number], "dull_grade": [None, grade.code if grade else None]},
    )
    workflow.transition(asset, "under_repair", actor, comment=note or f"Repair work order {repair.work_order_number}")
    events.emit(
        "field.fieldasset.repair_started",
        {"id": asset.pk, "number": asset.number, "repair": repair.pk, "work_order": getattr(work_order, "pk", None)},
    )
    return repair


@transaction.atomic
def back_in_stock(
    *, actor: Any, asset: FieldAsset, location: Location | None = None, note: str = "", idempotency_key: str = ""
) -> FieldAsset:
    """A returned bit fit to run again (or a repaired one) goes back on the shelf.

    The open repair is closed; with `location` the serial is moved there on the ledger.
    """
    access.require(actor, "field.receive_fieldasset", plant=asset.plant)
    asset = _lock(asset)
    _expect(asset, "returned", "under_repair", doing="put back in stock")
    repair = (
        asset.repairs.select_for_update(of=("self",))
        .select_related("work_order")
        .filter(completed_at__isnull=True)
        .first()
    )
    if repair is not None and repair.work_order is not None and repair.work_order.status not in REPAIR_DONE_STATES:
        raise Conflict(
            f"Repair work order {repair.work_order.number} is {repair.work_order.status}; "
            "the bit goes back in stock when it is completed (or cancelled).",
            code="repair_open",
        )
    serial = SerialNumber.objects.select_related("location").get(pk=asset.serial_id)
    target = _real_location(asset, location) if location is not None else None
    if serial.location is None:
        if target is None:
            raise ValidationError({"location": [f"Serial {serial.serial} is not on a shelf: give the location."]})
        if serial.status != SerialNumber.Status.ISSUED:
            raise Conflict(f"Serial {serial.serial} is {serial.get_status_display().lower()}, not in the plant.")
        inventory.post_move(
            actor=actor,
            item=asset.item,
            quantity=1,
            from_location=inventory.virtual_location(asset.plant_id, Location.Type.PRODUCTION),
            to_location=target,
            kind=StockMove.Kind.RECEIVE,
            serial=serial,
            reason_code="field-repaired",
            note=note,
            source=_document(asset),
            idempotency_key=idempotency_key,
        )
    elif target is not None and target.pk != serial.location_id:
        inventory.transfer(
            actor=actor,
            item=asset.item,
            quantity=1,
            source=serial.location,
            target=target,
            serial=serial,
            document=_document(asset),
            reason_code="field-restock",
            note=note,
            idempotency_key=idempotency_key,
        )
    if repair is not None:
        now = timezone.now()
        FieldRepair.objects.filter(pk=repair.pk).update(completed_at=now, updated_at=now)
        audit.record(actor, repair, action="update", changes={"completed_at": [None, now.isoformat()]})
    workflow.transition(asset, "in_stock", actor, comment=note)
    events.emit("field.fieldasset.restocked", {"id": asset.pk, "number": asset.number})
    return FieldAsset.objects.get(pk=asset.pk)


# --- Scrap ----------------------------------------------------------------------------------------------


@transaction.atomic
def scrap(
    *,
    actor: Any,
    asset: FieldAsset,
    reason: str,
    location: Location | None = None,
    idempotency_key: str = "",
) -> FieldAsset:
    """The bit is finished. On the shelf, its serial moves to scrap on the ledger; in the field
    it is written off as lost in hole (it left the books when it was shipped)."""
    access.require(actor, "field.scrap_fieldasset", plant=asset.plant)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the bit is scrapped."]})
    asset = _lock(asset)
    _expect(asset, "in_stock", "returned", "under_repair", "in_field", doing="scrapped")
    if asset.status == "in_field":
        _end_assignment(actor, _open_assignment(asset), Assignment.EndReason.LOST)
    else:
        serial = SerialNumber.objects.select_related("location").get(pk=asset.serial_id)
        if serial.location is None:
            raise Conflict(f"Serial {serial.serial} is not on a shelf of the plant.")
        if location is not None and location.plant_id != asset.plant_id:
            raise ValidationError({"location": [f"{location.code} is not in the asset's plant."]})
        inventory.scrap(
            actor=actor,
            item=asset.item,
            quantity=1,
            location=serial.location,
            target=location,
            serial=serial,
            reason_code="field-scrap",
            note=reason,
            idempotency_key=idempotency_key,
        )
        repair = asset.repairs.filter(completed_at__isnull=True).first()
        if repair is not None:
            now = timezone.now()
            FieldRepair.objects.filter(pk=repair.pk).update(completed_at=now, updated_at=now)
            audit.record(actor, repair, action="update", changes={"completed_at": [None, now.isoformat()]})
    workflow.transition(asset, "scrapped", actor, comment=reason)
    events.emit("field.fieldasset.scrapped", {"id": asset.pk, "number": asset.number, "reason": reason})
    return FieldAsset.objects.get(pk=asset.pk)
