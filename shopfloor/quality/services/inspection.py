"""Inspection services: plans, automatic inspections, measurements, results.

A plan is drafted with its characteristics, then released through its workflow; releasing a
version makes the previously released version of the same item and context obsolete, so at
most one version is in use. Inspections are created from receipts, operation completions and
work orders entering QC (see `handlers_inspection`), once per source document and plan.
Completing an inspection decides it on its measurements: a failed one moves the stock to the
plant's quarantine and opens an NCR; a passed one releases stock it had quarantined.
An item inspected on receipt without a released receiving plan gets a plan-less inspection:
no readings, the inspector decides pass or fail on the whole lot, with the same effects.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopfloor.catalog.models import Item
from shopfloor.core import access, audit, events, numbering
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Plant
from shopfloor.inventory import services as inventory_services
from shopfloor.inventory.models import Location, Lot, SerialNumber, StockBalance
from shopfloor.production.models import Operation
from shopfloor.purchasing.models import ReceiptLine
from shopfloor.workflows import services as workflow_services
from shopfloor.workflows.registry import on_enter

from .. import sampling
from ..defaults_inspection import COMPLETE_INSPECTION, PLAN_MODEL
from ..models import Characteristic, Inspection, InspectionPlan, Measurement

PLAN_FIELDS = (
    "name",
    "operation_sequence",
    "work_center",
    "sampling",
    "sample_size",
    "accept_number",
    "inspection_level",
    "aql",
)
CHARACTERISTIC_FIELDS = (
    "position",
    "name",
    "kind",
    "nominal",
    "lsl",
    "usl",
    "unit",
    "gauge",
    "gauge_min",
    "gauge_max",
    "max_defects",
)


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: ["Enter a number."]}) from None
    if not number.is_finite():
        raise ValidationError({field: ["Enter a number."]})
    return number


def _check_plan(plan: InspectionPlan) -> None:
    if plan.context not in InspectionPlan.Context.values:
        raise ValidationError({"context": [f"Choose one of {', '.join(InspectionPlan.Context.values)}."]})
    if plan.context != InspectionPlan.Context.IN_PROCESS and (plan.operation_sequence or plan.work_center_id):
        raise ValidationError({"operation_sequence": ["Only an in-process plan names an operation or work center."]})
    if plan.sampling == InspectionPlan.Sampling.ISO_2859:
        if plan.aql is None:
            raise ValidationError({"aql": ["ISO 2859-1 sampling needs an AQL."]})
        try:
            sampling.single_normal(100, plan.inspection_level, plan.aql)
        except sampling.SamplingError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
    elif plan.sampling != InspectionPlan.Sampling.FIXED:
        raise ValidationError({"sampling": ["Choose fixed or ISO 2859-1 sampling."]})
    if plan.sample_size is None or plan.sample_size < 1:
        raise ValidationError({"sample_size": ["Sample at least one unit."]})


def _draft(plan: InspectionPlan) -> InspectionPlan:
    locked = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status != "draft":
        raise Conflict(f"{locked} is {locked.status}: only a draft plan is edited.", code="plan_not_draft")
    return locked


@transaction.atomic
def create_plan(*, actor: Any, item: Item, context: str, data: dict[str, Any] | None = None) -> InspectionPlan:
    """Draft the next version of the item's plan for this context (and operation)."""
    access.require(actor, "quality.add_inspectionplan")
    data = dict(data or {})
    plan = InspectionPlan(item=item, context=context)
    for field in PLAN_FIELDS:
        if field in data:
            setattr(plan, field, data[field])
    plan.aql = _decimal(plan.aql, "aql")
    _check_plan(plan)
    same = InspectionPlan.objects.select_for_update().filter(
        item=item,
        context=context,
        operation_sequence=plan.operation_sequence,
        work_center=plan.work_center_id,
    )
    plan.version = max((p.version for p in same), default=0) + 1
    plan.save()
    audit.record(actor, plan, action="create", changes={"item": [None, item.number], "version": [None, plan.version]})
    return plan


@transaction.atomic
def update_plan(*, actor: Any, plan: InspectionPlan, data: dict[str, Any]) -> InspectionPlan:
    """Change a draft plan; a released plan is changed by drafting a new version."""
    access.require(actor, "quality.change_inspectionplan")
    plan = _draft(plan)
    changes: dict[str, list[Any]] = {}
    for field in PLAN_FIELDS:
        if field in data:
            old = getattr(plan, field)
            setattr(plan, field, data[field])
            changes[field] = [str(old), str(data[field])]
    plan.aql = _decimal(plan.aql, "aql")
    _check_plan(plan)
    plan.save()
    audit.record(actor, plan, action="update", changes=changes)
    return plan


def _check_characteristic(ch: Characteristic) -> None:
    for field in ("nominal", "lsl", "usl", "gauge_min", "gauge_max"):
        setattr(ch, field, _decimal(getattr(ch, field), field))
    if not (ch.name or "").strip():
        raise ValidationError({"name": ["Name the characteristic."]})
    if ch.kind not in Characteristic.Kind.values:
        raise ValidationError({"kind": [f"Choose one of {', '.join(Characteristic.Kind.values)}."]})
    if ch.kind == Characteristic.Kind.VARIABLE:
        if ch.lsl is None and ch.usl is None:
            raise ValidationError({"usl": ["A measured characteristic needs an LSL, a USL or both."]})
        if ch.lsl is not None and ch.usl is not None and ch.lsl > ch.usl:
            raise ValidationError({"usl": ["The USL is below the LSL."]})
        if ch.gauge_min is not None and ch.gauge_max is not None and ch.gauge_min >= ch.gauge_max:
            raise ValidationError({"gauge_max": ["The gauge's highest reading must be above its lowest."]})
    if ch.max_defects is None or int(ch.max_defects) < 0:
        raise ValidationError({"max_defects": ["Enter zero or more."]})


@transaction.atomic
def add_characteristic(*, actor: Any, plan: InspectionPlan, data: dict[str, Any]) -> Characteristic:
    """Add a characteristic to a draft plan."""
    access.require(actor, "quality.change_inspectionplan")
    plan = _draft(plan)
    ch = Characteristic(plan=plan, organization_id=plan.organization_id)
    for field in CHARACTERISTIC_FIELDS:
        if field in data and data[field] is not None:
            setattr(ch, field, data[field])
    _check_characteristic(ch)
    ch.save()
    audit.record(actor, ch, action="create", changes={"plan": [None, str(plan)], "name": [None, ch.name]})
    return ch


@transaction.atomic
def update_characteristic(*, actor: Any, characteristic: Characteristic, data: dict[str, Any]) -> Characteristic:
    """Change a characteristic of a draft plan."""
    access.require(actor, "quality.change_inspectionplan")
    _draft(characteristic.plan)
    ch = Characteristic.objects.select_for_update().get(pk=characteristic.pk)
    changes: dict[str, list[Any]] = {}
    for field in CHARACTERISTIC_FIELDS:
        if field in data:
            changes[field] = [str(getattr(ch, field)), str(data[field])]
            setattr(ch, field, data[field])
    _check_characteristic(ch)
    ch.save()
    audit.record(actor, ch, action="update", changes=changes)
    return ch


@transaction.atomic
def delete_plan(*, actor: Any, plan: InspectionPlan) -> None:
    """Delete a draft plan nobody inspected against; a used plan is made obsolete instead."""
    access.require(actor, "quality.delete_inspectionplan")
    plan = _draft(plan)
    if plan.inspections.exists():
        raise Conflict(f"{plan} has inspections: make it obsolete instead.", code="plan_in_use")
    audit.record(actor, plan, action="delete", changes={"version": [plan.version, None]})
    plan.delete()


@transaction.atomic
def remove_characteristic(*, actor: Any, characteristic: Characteristic) -> None:
    access.require(actor, "quality.change_inspectionplan")
    _draft(characteristic.plan)
    audit.record(actor, characteristic, action="delete", changes={"name": [characteristic.name, None]})
    characteristic.delete()


@transaction.atomic
def release_plan(*, actor: Any, plan: InspectionPlan, comment: str = "") -> InspectionPlan:
    """Release a draft plan (it needs a characteristic); the version it replaces becomes obsolete."""
    plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != "draft":
        raise Conflict(f"{plan} is {plan.status}: only a draft is released.", code="plan_not_draft")
    if not plan.characteristics.exists():
        raise ValidationError({"characteristics": ["Add at least one characteristic before releasing."]})
    workflow_services.transition(plan, "released", actor, comment=comment)
    plan.refresh_from_db()
    return plan


@transaction.atomic
def obsolete_plan(*, actor: Any, plan: InspectionPlan, comment: str = "") -> InspectionPlan:
    workflow_services.transition(plan, "obsolete", actor, comment=comment)
    plan.refresh_from_db()
    return plan


@on_enter(PLAN_MODEL, "released")
def _on_released(plan: InspectionPlan, actor: Any) -> None:
    InspectionPlan.objects.filter(pk=plan.pk).update(released_at=timezone.now())
    older = InspectionPlan.objects.filter(
        item=plan.item_id,
        context=plan.context,
        operation_sequence=plan.operation_sequence,
        work_center=plan.work_center_id,
        status="released",
    ).exclude(pk=plan.pk)
    for old in older:
        workflow_services.transition(old, "obsolete", actor, comment=f"replaced by version {plan.version}")


def plan_sampling(plan: InspectionPlan, quantity: Decimal | int) -> tuple[int, int, int]:
    """(sample size, Ac, Re) of a plan for an inspected quantity."""
    lot = max(int(Decimal(quantity).to_integral_value(rounding="ROUND_CEILING")), 1)
    if plan.sampling == InspectionPlan.Sampling.ISO_2859 and plan.aql is not None:
        if lot < 2:
            return 1, 0, 1
        found = sampling.single_normal(lot, plan.inspection_level, plan.aql)
        return found.sample_size, found.accept, found.reject
    n = min(plan.sample_size, lot)
    accept = min(plan.accept_number, n - 1) if n > 0 else 0
    return n, accept, accept + 1


def released_plan(
    *, item: Item | int, context: str, operation_sequence: int | None = None, work_center: Any = None
) -> InspectionPlan | None:
    """The released plan in use for an item and context (in-process: by operation, then work center)."""
    rows = InspectionPlan.objects.filter(item=item, context=context, status="released").order_by("-version")
    if context != InspectionPlan.Context.IN_PROCESS:
        return rows.first()
    if operation_sequence is not None:
        found = rows.filter(operation_sequence=operation_sequence).first()
        if found is not None:
            return found
    if work_center is not None:
        return rows.filter(operation_sequence__isnull=True, work_center=work_center).first()
    return None


@transaction.atomic
def create_inspection(
    *,
    actor: Any,
    plan: InspectionPlan,
    plant: Plant,
    quantity: Any,
    lot: Lot | None = None,
    serial: SerialNumber | None = None,
    location: Location | None = None,
    home_location: Location | None = None,
    source_type: str = "",
    source_id: str = "",
    source_number: str = "",
    work_order: Any = None,
    note: str = "",
) -> Inspection:
    """Open an inspection of a released plan; once per plan and source document."""
    if plan.status != "released":
        raise Conflict(f"{plan} is {plan.status}: only a released plan is inspected against.", code="plan_not_released")
    qty = _decimal(quantity, "quantity")
    if qty is None or qty <= 0:
        raise ValidationError({"quantity": ["Inspect a quantity above zero."]})
    if source_id:
        existing = Inspection.objects.filter(plan=plan, source_type=source_type, source_id=str(source_id)).first()
        if existing is not None:
            return existing
    n, ac, re_ = plan_sampling(plan, qty)
    inspection = Inspection(
        organization_id=plan.organization_id,
        plant=plant,
        plan=plan,
        item_id=plan.item_id,
        context=plan.context,
        quantity=qty,
        lot=lot,
        serial=serial,
        location=location,
        home_location=home_location,
        sample_size=n,
        accept_number=ac,
        reject_number=re_,
        source_type=source_type,
        source_id=str(source_id or ""),
        source_number=source_number,
        work_order=work_order,
        note=(note or "")[:500],
        number=numbering.next_number("inspection"),
    )
    try:
        with transaction.atomic():
            inspection.save(force_insert=True)
    except IntegrityError:
        existing = Inspection.objects.filter(plan=plan, source_type=source_type, source_id=str(source_id)).first()
        if existing is not None:
            return existing
        raise
    audit.record(
        actor,
        inspection,
        action="create",
        changes={"plan": [None, str(plan)], "quantity": [None, str(qty)], "source": [None, source_number]},
    )
    events.emit(
        "quality.inspection.opened",
        {"id": inspection.pk, "number": inspection.number, "item": plan.item_id, "context": plan.context},
    )
    return inspection


@transaction.atomic
def create_planless_inspection(
    *,
    actor: Any,
    item: Item,
    plant: Plant,
    context: str,
    quantity: Any,
    lot: Lot | None = None,
    serial: SerialNumber | None = None,
    location: Location | None = None,
    home_location: Location | None = None,
    source_type: str = "",
    source_id: str = "",
    source_number: str = "",
    work_order: Any = None,
    note: str = "",
) -> Inspection:
    """Open an inspection with no plan, decided pass or fail on the whole lot; once per source.

    Used when an item must be inspected (inspect on receipt) but no released plan exists: the
    stock still waits in quarantine for a decision instead of slipping through unchecked.
    It counts as one sampled unit with Ac 0, so a fail shows one nonconforming unit.
    """
    qty = _decimal(quantity, "quantity")
    if qty is None or qty <= 0:
        raise ValidationError({"quantity": ["Inspect a quantity above zero."]})
    if context not in InspectionPlan.Context.values:
        raise ValidationError({"context": [f"Choose one of {', '.join(InspectionPlan.Context.values)}."]})
    same = Inspection.objects.filter(
        plan__isnull=True, context=context, source_type=source_type, source_id=str(source_id or "")
    )
    if source_id:
        existing = same.first()
        if existing is not None:
            return existing
    inspection = Inspection(
        organization_id=item.organization_id,
        plant=plant,
        plan=None,
        item=item,
        context=context,
        quantity=qty,
        lot=lot,
        serial=serial,
        location=location,
        home_location=home_location,
        sample_size=1,
        accept_number=0,
        reject_number=1,
        source_type=source_type,
        source_id=str(source_id or ""),
        source_number=source_number,
        work_order=work_order,
        note=(note or "")[:500],
        number=numbering.next_number("inspection"),
    )
    try:
        with transaction.atomic():
            inspection.save(force_insert=True)
    except IntegrityError:
        existing = same.first() if source_id else None
        if existing is not None:
            return existing
        raise
    audit.record(
        actor,
        inspection,
        action="create",
        changes={
            "plan": [None, "none: pass/fail decision"],
            "quantity": [None, str(qty)],
            "source": [None, source_number],
        },
    )
    events.emit(
        "quality.inspection.opened",
        {"id": inspection.pk, "number": inspection.number, "item": item.pk, "context": context},
    )
    return inspection


def _measure(ch: Characteristic, raw: Any, field: str) -> dict[str, Any]:
    """Check one entered reading and say whether it conforms. Bad input raises on `field`."""
    if ch.kind == Characteristic.Kind.VARIABLE:
        value = _decimal(raw, field)
        if value is None:
            raise ValidationError({field: [f"Enter the measured {ch.name}."]})
        unit = f" {ch.unit}" if ch.unit else ""
        if ch.gauge_min is not None and value < ch.gauge_min:
            raise ValidationError(
                {field: [f"{value}{unit} is below what the gauge can read ({ch.gauge_min}{unit}): check the entry."]}
            )
        if ch.gauge_max is not None and value > ch.gauge_max:
            raise ValidationError(
                {field: [f"{value}{unit} is above what the gauge can read ({ch.gauge_max}{unit}): check the entry."]}
            )
        ok = (ch.lsl is None or value >= ch.lsl) and (ch.usl is None or value <= ch.usl)
        return {"value": value, "conforming": ok}
    if ch.kind == Characteristic.Kind.ATTRIBUTE:
        text = str(raw).strip().lower() if raw is not None else ""
        if raw is True or text in ("pass", "ok", "true", "1", "yes", "p"):
            return {"passed": True, "conforming": True}
        if raw is False or text in ("fail", "nok", "false", "0", "no", "f"):
            return {"passed": False, "conforming": False}
        raise ValidationError({field: ["Enter pass or fail."]})
    count = _decimal(raw, field)
    if count is None or count < 0 or count != count.to_integral_value():
        raise ValidationError({field: ["Enter the number of defects (0 or more)."]})
    return {"defects": int(count), "conforming": int(count) <= ch.max_defects}


def _open(inspection: Inspection) -> Inspection:
    locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if locked.status != Inspection.Status.OPEN:
        raise Conflict(f"{locked.number} is {locked.status}: it was completed.", code="inspection_completed")
    return locked


@transaction.atomic
def record_measurements(*, actor: Any, inspection: Inspection, entries: list[dict[str, Any]]) -> list[Measurement]:
    """Record readings, each `{"characteristic", "sample", "value"}`: all of them or none.

    A reading already taken for the same characteristic and sample is replaced (a re-measure);
    one outside the gauge's range is refused with the field's message.
    """
    inspection = _open(inspection)
    access.require(actor, "quality.change_inspection", plant=inspection.plant)
    if inspection.plan_id is None:
        raise ValidationError({"measurements": [f"{inspection.number} has no plan: decide pass or fail instead."]})
    if not entries:
        raise ValidationError({"measurements": ["Enter at least one reading."]})
    chars = {c.pk: c for c in Characteristic.objects.filter(plan=inspection.plan_id)}
    prepared: list[tuple[Characteristic, int, dict[str, Any]]] = []
    for i, entry in enumerate(entries):
        field = str(entry.get("field") or f"measurements[{i}]")
        try:
            ch = chars.get(int(entry.get("characteristic")))
        except (TypeError, ValueError):
            ch = None
        if ch is None:
            raise ValidationError({field: ["Not a characteristic of this inspection's plan."]})
        try:
            sample = int(entry.get("sample") or 1)
        except (TypeError, ValueError):
            sample = 0
        if not 1 <= sample <= inspection.sample_size:
            raise ValidationError({field: [f"The sample is numbered 1 to {inspection.sample_size}."]})
        prepared.append((ch, sample, _measure(ch, entry.get("value"), field)))
    saved: list[Measurement] = []
    for ch, sample, result in prepared:
        row, _ = Measurement.objects.update_or_create(
            inspection=inspection,
            characteristic=ch,
            sample=sample,
            defaults={"value": None, "passed": None, "defects": None, **result},
            create_defaults={"organization_id": inspection.organization_id, **result},
        )
        saved.append(row)
    audit.record(
        actor,
        inspection,
        action="update",
        reason="measurements",
        changes={"measurements": [None, len(saved)]},
    )
    return saved


def nonconforming_units(inspection: Inspection) -> int:
    """Sampled units with at least one nonconforming reading."""
    return Measurement.objects.filter(inspection=inspection, conforming=False).values("sample").distinct().count()


def missing_readings(inspection: Inspection) -> int:
    expected = inspection.sample_size * Characteristic.objects.filter(plan=inspection.plan_id).count()
    return expected - Measurement.objects.filter(inspection=inspection).count()


def _plant_location(plant_id: int, location_type: str) -> Location | None:
    return (
        Location.objects.filter(plant_id=plant_id, location_type=location_type, is_active=True).order_by("code").first()
    )


def _movable_quantity(inspection: Inspection) -> Decimal:
    """What of the inspected quantity is still where the inspection found it."""
    if inspection.serial_id:
        serial = SerialNumber.objects.get(pk=inspection.serial_id)
        return Decimal(1) if serial.location_id == inspection.location_id else Decimal(0)
    balance = StockBalance.objects.filter(
        item=inspection.item_id, location=inspection.location_id, lot=inspection.lot_id
    ).first()
    on_hand = balance.on_hand if balance is not None else Decimal(0)
    return min(on_hand, inspection.quantity)


def _move(actor: Any, inspection: Inspection, target: Location, why: str) -> None:
    quantity = _movable_quantity(inspection)
    if quantity <= 0:
        return
    inventory_services.transfer(
        actor=actor,
        item=inspection.item,
        quantity=quantity,
        source=inspection.location,
        target=target,
        lot=inspection.lot,
        serial=inspection.serial,
        document=inventory_services.SourceDocument("quality.inspection", str(inspection.pk), inspection.number),
        reason_code=why,
        note=f"{inspection.number} {why}",
    )
    Inspection.objects.filter(pk=inspection.pk).update(location=target)
    inspection.location = target


def _open_ncr(actor: Any, inspection: Inspection) -> str:
    """Open the NCR of a failed inspection through the NCR services (`open_ncr`), once they are installed."""
    from . import ncr as ncr_services

    opener = getattr(ncr_services, "open_ncr", None)
    if opener is None:
        return ""
    affected: list[dict[str, Any]] = []
    if inspection.serial_id:
        affected = [{"serial": inspection.serial, "lot": inspection.lot, "quantity": Decimal(1)}]
    elif inspection.lot_id:
        affected = [{"lot": inspection.lot, "quantity": inspection.quantity}]
    data: dict[str, Any] = {
        "plant": inspection.plant,
        "item": inspection.item,
        "quantity": inspection.quantity,
        "source": "inspection",
        "title": f"{inspection.number} failed: {inspection.plan or inspection.item}",
        "description": (
            f"{inspection.nonconforming} of {inspection.sample_size} sampled units nonconforming "
            f"(accept {inspection.accept_number}, reject {inspection.reject_number})."
            if inspection.plan_id is not None
            else f"Rejected without a plan: {inspection.note}"
        ),
        "location": inspection.location,
        "work_order": inspection.work_order,
        "origin_type": "quality.inspection",
        "origin_id": inspection.pk,
        "affected": affected,
    }
    if inspection.source_type == "purchasing.receiptline":
        line = ReceiptLine.objects.select_related("receipt__supplier").filter(pk=inspection.source_id).first()
        data["receipt_line"] = line
        data["supplier"] = line.receipt.supplier if line is not None else None
    elif inspection.source_type == "production.operation":
        data["operation"] = Operation.objects.filter(pk=inspection.source_id).first()
    ncr = opener(actor=actor, data=data)
    if inspection.context == Inspection.Context.IN_PROCESS and inspection.work_order_id is not None:
        # The operation's good quantity is work in progress, not stock to quarantine: the
        # order is held instead, until the NCR is dispositioned.
        ncr_services.hold_work_order(actor=actor, ncr=ncr)
    return getattr(ncr, "number", "") or ""


@transaction.atomic
def complete_inspection(
    *, actor: Any, inspection: Inspection, note: str = "", passed: bool | None = None
) -> Inspection:
    """Decide an inspection on its readings: pass if nonconforming units <= Ac, else fail.

    Every sampled unit must be measured on every characteristic. A fail moves the stock to
    the plant's quarantine (if not there) and opens an NCR; a pass moves stock the
    inspection had quarantined back to where it was going. An inspection without a plan has
    no readings: the inspector gives `passed` and a note saying what was checked.
    """
    inspection = _open(inspection)
    access.require(actor, COMPLETE_INSPECTION, plant=inspection.plant)
    if inspection.plan_id is None:
        if passed is None:
            raise ValidationError({"passed": ["This inspection has no plan: decide pass or fail."]})
        if not (note or "").strip():
            raise ValidationError({"note": ["Say what was checked: there is no plan to record it."]})
        bad = 0 if passed else 1
    else:
        if passed is not None:
            raise ValidationError({"passed": ["The readings decide an inspection with a plan."]})
        if not Characteristic.objects.filter(plan=inspection.plan_id).exists():
            raise ValidationError({"plan": ["The plan has no characteristics to decide on."]})
        missing = missing_readings(inspection)
        if missing > 0:
            raise ValidationError({"measurements": [f"{missing} reading(s) are still to be entered."]})
        bad = nonconforming_units(inspection)
        passed = bad <= inspection.accept_number
    inspection.nonconforming = bad
    inspection.status = Inspection.Status.PASSED if passed else Inspection.Status.FAILED
    inspection.completed_at = timezone.now()
    inspection.completed_by = actor if getattr(actor, "is_authenticated", False) else None
    if note:
        inspection.note = note[:500]
    inspection.save(update_fields=["nonconforming", "status", "completed_at", "completed_by", "note", "updated_at"])
    here = inspection.location
    if not passed and here is not None and here.location_type != Location.Type.QUARANTINE:
        quarantine = _plant_location(inspection.plant_id, Location.Type.QUARANTINE)
        if quarantine is None:
            raise Conflict(
                f"Plant {inspection.plant} has no active quarantine location: create one first.",
                code="no_quarantine",
            )
        if inspection.home_location_id is None:
            Inspection.objects.filter(pk=inspection.pk).update(home_location=here)
            inspection.home_location = here
        _move(actor, inspection, quarantine, "quarantine")
    if passed and here is not None and here.location_type == Location.Type.QUARANTINE:
        home = inspection.home_location or _plant_location(inspection.plant_id, Location.Type.RECEIVING)
        if home is not None and home.pk != here.pk:
            _move(actor, inspection, home, "release")
    if not passed:
        inspection.ncr_number = _open_ncr(actor, inspection)
        if inspection.ncr_number:
            Inspection.objects.filter(pk=inspection.pk).update(ncr_number=inspection.ncr_number)
    audit.record(
        actor,
        inspection,
        action="transition",
        changes={
            "status": ["open", inspection.status],
            "nonconforming": [None, bad],
            "accept_number": [None, inspection.accept_number],
        },
    )
    events.emit(
        f"quality.inspection.{inspection.status}",
        {
            "id": inspection.pk,
            "number": inspection.number,
            "item": inspection.item_id,
            "context": inspection.context,
            "nonconforming": bad,
            "sample_size": inspection.sample_size,
            "accept": inspection.accept_number,
            "ncr": inspection.ncr_number,
        },
    )
    return inspection
