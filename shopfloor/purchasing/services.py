"""Every write of purchasing: orders and their lines, the approval steps, and receipts.

Rules kept here (the API and the web pages only call these functions):
- an order is drafted to an orderable supplier (not blocked, active); its lines change only
  while it is a draft;
- submitting sends it straight to approved when its value is within the organization's
  threshold, else to pending approval, where approvers (never its creator) approve it;
- a receipt posts every line through the inventory ledger in one transaction: to the plant's
  receiving location, or its quarantine when the item is inspected on receipt; it refuses
  more than the ordered quantity plus the tolerance and serial numbers that already exist,
  and then nothing at all is posted;
- a posted receipt emits `purchasing.receipt.posted` with its lines, lots and serials (each
  line's quantity both as ordered and in the item's stock unit), which receiving inspection
  hooks onto.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from shopfloor.catalog.models import Item, Unit
from shopfloor.catalog.services import to_stock_units
from shopfloor.core import access, audit, events, numbering, tenancy
from shopfloor.core import services as core_services
from shopfloor.core.errors import Conflict
from shopfloor.core.quantities import plain as _fmt
from shopfloor.inventory import services as inventory_services
from shopfloor.inventory.models import Location, SerialNumber
from shopfloor.partners.models import Supplier
from shopfloor.workflows import services as workflow_services
from shopfloor.workflows.models import ApprovalRequest

from . import selectors
from .models import PurchaseOrder, PurchaseOrderLine, PurchasingSettings, Receipt, ReceiptLine

DRAFT = "draft"
RECEIVABLE = ("sent", "partially_received")
ORDER_FIELDS = {"plant", "supplier", "order_date", "expected_date", "currency", "supplier_reference", "notes"}
LINE_FIELDS = {"item", "description", "quantity", "unit", "unit_price", "due_date", "over_receipt_tolerance_percent"}


# --- Settings -------------------------------------------------------------------------------------


@transaction.atomic
def update_settings(*, actor: Any, data: dict[str, Any]) -> PurchasingSettings:
    """Change the organization's approval threshold or receipt tolerance (audited, old and new)."""
    access.require(actor, "purchasing.change_purchasingsettings")
    current = PurchasingSettings.objects.first()
    if current is None:
        defaults = selectors.settings_for_organization()
        base = {
            "approval_threshold": defaults.approval_threshold,
            "receipt_tolerance_percent": defaults.receipt_tolerance_percent,
        }
        return core_services.create_object(
            actor=actor, model=PurchasingSettings, data={**base, **data}, perm="purchasing.change_purchasingsettings"
        )
    return core_services.update_object(actor=actor, obj=current, data=data)


# --- Orders ---------------------------------------------------------------------------------------


def _check_supplier(supplier: Supplier) -> None:
    supplier = Supplier.objects.get(pk=supplier.pk)  # its approval as stored now, not as the caller read it
    if supplier.approval_status == Supplier.ApprovalStatus.BLOCKED:
        why = f": {supplier.approval_note}" if supplier.approval_note else ""
        raise ValidationError({"supplier": [f"{supplier.number} {supplier.name} is blocked{why}; order elsewhere."]})
    if not supplier.is_active:
        raise ValidationError({"supplier": [f"{supplier.number} {supplier.name} is not active."]})


def _draft(order: PurchaseOrder) -> PurchaseOrder:
    """The order locked for a change; only a draft changes (409 otherwise)."""
    locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status != DRAFT:
        raise Conflict(
            f"{locked.number} is {locked.status.replace('_', ' ')}: only a draft order changes.", code="locked"
        )
    return locked


@transaction.atomic
def create_purchase_order(*, actor: Any, data: dict[str, Any]) -> PurchaseOrder:
    """Draft an order to a supplier for a plant, numbered PO-000001; `lines` may come along."""
    data = dict(data)
    lines = data.pop("lines", None) or []
    unknown = set(data) - ORDER_FIELDS
    if unknown:
        raise ValidationError({name: ["Not a field of a purchase order."] for name in sorted(unknown)})
    plant = data.get("plant")
    access.require(actor, "purchasing.add_purchaseorder", plant=plant)
    supplier = data.get("supplier")
    if supplier is None:
        raise ValidationError({"supplier": ["Choose the supplier."]})
    _check_supplier(supplier)
    if not data.get("currency"):
        data["currency"] = supplier.currency or "USD"
    order = PurchaseOrder(
        **data,
        organization=tenancy.require_organization(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        number=numbering.next_number("purchase_order"),
        status=workflow_services.initial_state(PurchaseOrder),
    )
    core_services._full_clean(order)
    order.save()
    audit.record(actor, order, action="create", changes=audit.diff({}, audit.snapshot(order)))
    for line in lines:
        _add_line(actor=actor, order=order, data=line)
    events.emit(
        "purchasing.purchaseorder.created",
        {"id": order.pk, "number": order.number, "supplier": supplier.pk, "actor": getattr(actor, "pk", None)},
    )
    return order


@transaction.atomic
def update_purchase_order(*, actor: Any, order: PurchaseOrder, data: dict[str, Any]) -> PurchaseOrder:
    """Change a draft order's header (supplier, plant, dates, references)."""
    unknown = set(data) - ORDER_FIELDS
    if unknown:
        raise ValidationError({name: ["Not a field you can change."] for name in sorted(unknown)})
    access.require(actor, "purchasing.change_purchaseorder", plant=order.plant)
    _draft(order)
    if "supplier" in data and data["supplier"] != order.supplier:
        _check_supplier(data["supplier"])
    if "plant" in data:
        access.require(actor, "purchasing.change_purchaseorder", plant=data["plant"])
    return core_services.update_object(actor=actor, obj=order, data=data, plant=order.plant)


@transaction.atomic
def delete_purchase_order(*, actor: Any, order: PurchaseOrder) -> None:
    """A draft nobody needs goes; anything further is cancelled instead (keeps its history)."""
    _draft(order)
    access.require(actor, "purchasing.delete_purchaseorder", plant=order.plant)
    for line in order.lines.all():
        core_services.delete_object(actor=actor, obj=line, perm="purchasing.delete_purchaseorder")
    core_services.delete_object(actor=actor, obj=order, plant=order.plant)


# --- Lines ----------------------------------------------------------------------------------------


def _line_values(data: dict[str, Any], line: PurchaseOrderLine | None = None) -> dict[str, Any]:
    unknown = set(data) - LINE_FIELDS
    if unknown:
        raise ValidationError({name: ["Not a field of an order line."] for name in sorted(unknown)})
    item: Item | None = data.get("item", line.item if line else None)
    if item is None:
        raise ValidationError({"item": ["Choose the item."]})
    values = dict(data)
    unit: Unit | None = values.get("unit") or (line.unit if line and "item" not in data else None) or item.stock_unit
    values["unit"] = unit
    if unit.pk != item.stock_unit_id:
        try:
            to_stock_units(Decimal("1"), unit, item)
        except (ValidationError, ValueError, ZeroDivisionError):
            raise ValidationError(
                {"unit": [f"{item.number} is kept in {item.stock_unit}; {unit} does not convert to it."]}
            ) from None
    if line is None and values.get("unit_price") is None:
        values["unit_price"] = item.standard_cost
    return values


def _add_line(*, actor: Any, order: PurchaseOrder, data: dict[str, Any]) -> PurchaseOrderLine:
    values = _line_values(data)
    last = PurchaseOrderLine.objects.filter(order=order).aggregate(m=Max("position"))["m"] or 0
    values["position"] = last + 10
    return core_services.create_object(
        actor=actor,
        model=PurchaseOrderLine,
        data={"order": order, **values},
        perm="purchasing.change_purchaseorder",
        plant=order.plant,
    )


@transaction.atomic
def add_line(*, actor: Any, order: PurchaseOrder, data: dict[str, Any]) -> PurchaseOrderLine:
    """Add a line to a draft order (price defaults to the item's standard cost, unit to its stock unit)."""
    return _add_line(actor=actor, order=_draft(order), data=data)


@transaction.atomic
def update_line(*, actor: Any, line: PurchaseOrderLine, data: dict[str, Any]) -> PurchaseOrderLine:
    order = _draft(line.order)
    values = _line_values(data, line)
    if "unit" not in data and "item" not in data:
        values.pop("unit")
    return core_services.update_object(
        actor=actor, obj=line, data=values, perm="purchasing.change_purchaseorder", plant=order.plant
    )


@transaction.atomic
def remove_line(*, actor: Any, line: PurchaseOrderLine) -> None:
    order = _draft(line.order)
    core_services.delete_object(actor=actor, obj=line, perm="purchasing.change_purchaseorder", plant=order.plant)


# --- The workflow steps ---------------------------------------------------------------------------------


def _status(order: PurchaseOrder) -> str:
    return PurchaseOrder.objects.filter(pk=order.pk).values_list("status", flat=True).first() or ""


def _fresh(order: PurchaseOrder) -> PurchaseOrder:
    return selectors.purchase_orders().get(pk=order.pk)


@transaction.atomic
def submit(*, actor: Any, order: PurchaseOrder, comment: str = "") -> PurchaseOrder:
    """Within the threshold the order is approved at once; above it, it waits for approvers."""
    status = _status(order)
    if status != DRAFT:
        raise Conflict(f"{order.number} is {status.replace('_', ' ')}: only a draft is submitted.")
    total, threshold = selectors.order_total(order=order), selectors.approval_threshold()
    target = "approved" if total <= threshold else "pending_approval"
    workflow_services.transition(order, target, actor, comment=comment)
    return _fresh(order)


def _approval_transition(order: PurchaseOrder) -> Any:
    return (
        workflow_services.definition_for(PurchaseOrder)
        .transitions.select_related("source", "target")
        .filter(source__key="pending_approval", target__key="approved")
        .first()
    )


@transaction.atomic
def approve(*, actor: Any, order: PurchaseOrder, comment: str = "") -> PurchaseOrder:
    """Give one approval; the last one needed approves the order. Its creator cannot approve it (403)."""
    status = _status(order)
    if status != "pending_approval":
        raise Conflict(f"{order.number} is {status.replace('_', ' ')}: only an order pending approval is approved.")
    t = _approval_transition(order)
    request = None
    if t is not None:
        request = ApprovalRequest.objects.filter(
            object_type=order._meta.label_lower,
            object_id=str(order.pk),
            transition=t,
            status=ApprovalRequest.Status.PENDING,
        ).first()
    if request is None:
        result = workflow_services.transition(order, "approved", actor, comment=comment)
        request = result.approval_request
    if request is not None:
        workflow_services.decide(request, actor, approve=True, comment=comment)
    return _fresh(order)


@transaction.atomic
def reject(*, actor: Any, order: PurchaseOrder, comment: str) -> PurchaseOrder:
    """Refuse the approval (a reason is needed) and send the order back to draft for the buyer."""
    status = _status(order)
    if status != "pending_approval":
        raise Conflict(f"{order.number} is {status.replace('_', ' ')}: only an order pending approval is rejected.")
    if not (comment or "").strip():
        raise ValidationError({"comment": ["Say why you reject it."]})
    access.require(actor, "purchasing.approve_purchaseorder", plant=order.plant)
    t = _approval_transition(order)
    request = (
        ApprovalRequest.objects.filter(
            object_type=order._meta.label_lower,
            object_id=str(order.pk),
            transition=t,
            status=ApprovalRequest.Status.PENDING,
        ).first()
        if t is not None
        else None
    )
    if request is not None:
        workflow_services.decide(request, actor, approve=False, comment=comment)
    workflow_services.transition(order, DRAFT, actor, comment=comment)
    return _fresh(order)


@transaction.atomic
def send(*, actor: Any, order: PurchaseOrder, comment: str = "") -> PurchaseOrder:
    """The approved order goes to the supplier (refused if the supplier was blocked meanwhile)."""
    workflow_services.transition(order, "sent", actor, comment=comment)
    events.emit("purchasing.purchaseorder.sent", {"id": order.pk, "number": order.number})
    return _fresh(order)


@transaction.atomic
def return_to_draft(*, actor: Any, order: PurchaseOrder, comment: str) -> PurchaseOrder:
    workflow_services.transition(order, DRAFT, actor, comment=comment)
    return _fresh(order)


@transaction.atomic
def close(*, actor: Any, order: PurchaseOrder, comment: str = "") -> PurchaseOrder:
    """Close a received order, or close a partially received one short (with a reason)."""
    workflow_services.transition(order, "closed", actor, comment=comment)
    return _fresh(order)


@transaction.atomic
def cancel(*, actor: Any, order: PurchaseOrder, comment: str) -> PurchaseOrder:
    """Cancel an order nothing was received against (a reason is needed)."""
    workflow_services.transition(order, "cancelled", actor, comment=comment)
    return _fresh(order)


# --- Receipts -------------------------------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [f"'{value}' is not a number."]}) from None
    if not q.is_finite() or q <= 0:
        raise ValidationError({field: ["Give a quantity above zero."]})
    return q


def _plant_location(order: PurchaseOrder, location_type: str) -> Location:
    found = (
        Location.objects.filter(plant_id=order.plant_id, location_type=location_type, is_active=True)
        .order_by("id")
        .first()
    )
    if found is None:
        label = dict(Location.Type.choices)[location_type].lower()
        raise Conflict(
            f"Plant {order.plant.code} has no active {label} location: create one before receiving.",
            code="no_location",
        )
    return found


def _target_location(order: PurchaseOrder, item: Item, given: Location | None, field: str) -> Location:
    """Where a received line goes: quarantine for items inspected on receipt, else receiving."""
    wanted = Location.Type.QUARANTINE if item.inspect_on_receipt else Location.Type.RECEIVING
    if given is None:
        return _plant_location(order, wanted)
    if given.plant_id != order.plant_id:
        raise ValidationError({field: [f"{given.code} is in another plant than the order's."]})
    if given.is_virtual or not given.is_active:
        raise ValidationError({field: [f"{given.code} is not a location stock can be received into."]})
    if item.inspect_on_receipt and given.location_type != Location.Type.QUARANTINE:
        raise ValidationError({field: [f"{item.number} is inspected on receipt: receive it into quarantine."]})
    return given


def _serials(raw: Any, field: str) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = raw.replace(",", "\n").splitlines()
    serials = [str(s).strip() for s in raw if str(s).strip()]
    seen: set[str] = set()
    for s in serials:
        if s in seen:
            raise ValidationError({field: [f"Serial {s} is given twice."]})
        seen.add(s)
    return serials


def _check_tolerance(
    line: PurchaseOrderLine, quantity: Decimal, rules: PurchasingSettings, field: str, position: int
) -> None:
    tolerance = selectors.tolerance_percent(line, rules)
    allowed = line.quantity * (Decimal("100") + tolerance) / Decimal("100")
    after = line.received_quantity + quantity
    if after > allowed:
        raise ValidationError(
            {
                field: [
                    f"Line {position} ({line.item.number}): ordered {_fmt(line.quantity)} {line.unit}, "
                    f"received {_fmt(line.received_quantity)}; {_fmt(quantity)} more would be {_fmt(after)}, "
                    f"over the {_fmt(tolerance)}% tolerance (at most {_fmt(allowed)})."
                ]
            }
        )


def _prepare(order: PurchaseOrder, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate every line before anything is posted, so a bad line leaves nothing half-done."""
    if not lines:
        raise ValidationError({"lines": ["Give at least one line to receive."]})
    rules = selectors.settings_for_organization()
    order_lines = {
        line.pk: line for line in PurchaseOrderLine.objects.filter(order=order).select_related("item", "unit")
    }
    per_line: dict[int, Decimal] = defaultdict(Decimal)
    all_serials: set[tuple[int, str]] = set()
    prepared = []
    for i, raw in enumerate(lines):
        prefix = f"lines.{i}"
        given = raw.get("order_line")
        line_id = given.pk if isinstance(given, PurchaseOrderLine) else given
        try:
            line = order_lines[int(line_id)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError({f"{prefix}.order_line": ["Not a line of this order."]}) from None
        item = line.item
        quantity = _decimal(raw.get("quantity"), f"{prefix}.quantity")
        serials = _serials(raw.get("serials"), f"{prefix}.serials")
        lot_number = (raw.get("lot_number") or "").strip()
        if item.tracking == Item.Tracking.SERIAL:
            stock_quantity = to_stock_units(quantity, line.unit, item)
            if stock_quantity != int(stock_quantity) or len(serials) != int(stock_quantity):
                raise ValidationError(
                    {
                        f"{prefix}.serials": [
                            f"{item.number} is tracked by serial number: give one serial per unit "
                            f"({_fmt(stock_quantity)} {item.stock_unit}, {len(serials)} serials given)."
                        ]
                    }
                )
            taken = set(SerialNumber.objects.filter(item=item, serial__in=serials).values_list("serial", flat=True))
            if taken:
                raise ValidationError(
                    {f"{prefix}.serials": [f"Serial {', '.join(sorted(taken))} of {item.number} already exists."]}
                )
            for s in serials:
                if (item.pk, s) in all_serials:
                    raise ValidationError({f"{prefix}.serials": [f"Serial {s} is given twice."]})
                all_serials.add((item.pk, s))
        elif serials:
            raise ValidationError({f"{prefix}.serials": [f"{item.number} is not tracked by serial number."]})
        if item.tracking == Item.Tracking.LOT and not lot_number:
            raise ValidationError({f"{prefix}.lot_number": [f"{item.number} is tracked by lot: give the lot number."]})
        if item.tracking == Item.Tracking.NONE and lot_number:
            raise ValidationError({f"{prefix}.lot_number": [f"{item.number} is not tracked by lot."]})
        per_line[line.pk] += quantity
        _check_tolerance(line, per_line[line.pk], rules, f"{prefix}.quantity", line.position)
        location = _target_location(order, item, raw.get("location"), f"{prefix}.location")
        prepared.append(
            {
                "line": line,
                "quantity": quantity,
                "serials": serials,
                "lot_number": lot_number,
                "supplier_lot": (raw.get("supplier_lot") or "").strip(),
                "expires_on": raw.get("expires_on"),
                "location": location,
            }
        )
    return prepared


def _payload_line(rl: ReceiptLine) -> dict[str, Any]:
    """A receipt line for the event: `quantity`/`unit` as ordered (the order line's unit),
    `stock_quantity`/`stock_unit` as posted to stock (the item's stock unit)."""
    return {
        "id": rl.pk,
        "order_line": rl.order_line_id,
        "item": rl.item_id,
        "item_number": rl.item.number,
        "quantity": str(rl.quantity),
        "unit": rl.unit.code,
        "stock_quantity": str(rl.stock_move.quantity),
        "stock_unit": rl.item.stock_unit.code,
        "lot": rl.lot_id,
        "lot_number": rl.lot.number if rl.lot else None,
        "serial": rl.serial_id,
        "serial_number": rl.serial.serial if rl.serial else None,
        "location": rl.location_id,
        "quarantined": rl.quarantined,
        "stock_move": rl.stock_move_id,
    }


@inventory_services.busy_is_conflict
@transaction.atomic
def receive(
    *,
    actor: Any,
    order: PurchaseOrder,
    lines: list[dict[str, Any]],
    delivery_note: str = "",
    note: str = "",
    received_at: datetime | None = None,
    idempotency_key: str = "",
) -> Receipt:
    """Post a delivery against a sent order: every line to the ledger, or nothing.

    Each line names an order line and a quantity in that line's unit, with `lot_number`
    (lot-tracked items), `serials` (one per unit of serial-tracked items), optionally
    `supplier_lot`, `expires_on` and `location`. A repeated `idempotency_key` returns the
    receipt it first posted.
    """
    access.require(actor, "purchasing.add_receipt", plant=order.plant)
    if idempotency_key:
        existing = Receipt.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    order = PurchaseOrder.objects.select_for_update(of=("self",)).select_related("plant", "supplier").get(pk=order.pk)
    if order.status not in RECEIVABLE:
        raise Conflict(
            f"{order.number} is {order.status.replace('_', ' ')}: only a sent order is received.", code="not_receivable"
        )
    prepared = _prepare(order, lines)
    receipt = Receipt(
        organization=order.organization,
        plant=order.plant,
        purchase_order=order,
        supplier=order.supplier,
        number=numbering.next_number("receipt"),
        received_at=received_at or timezone.now(),
        delivery_note=(delivery_note or "")[:80],
        note=(note or "")[:500],
        idempotency_key=idempotency_key,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            receipt.save(force_insert=True)
    except IntegrityError:
        existing = Receipt.objects.filter(idempotency_key=idempotency_key).first() if idempotency_key else None
        if existing is not None:
            return existing
        raise
    source = inventory_services.SourceDocument("purchasing.receipt", str(receipt.pk), receipt.number)
    posted: list[ReceiptLine] = []
    for entry in prepared:
        line: PurchaseOrderLine = entry["line"]
        item = line.item
        lot = None
        if entry["lot_number"]:
            lot = inventory_services.lot_for_receipt(
                actor=actor,
                item=item,
                number=entry["lot_number"],
                supplier_lot=entry["supplier_lot"],
                expires_on=entry["expires_on"],
            )
        quarantined = entry["location"].location_type == Location.Type.QUARANTINE
        moves: list[tuple[Decimal, Unit, Any, Any]] = []
        if entry["serials"]:
            for s in entry["serials"]:
                serial = inventory_services.serial_for_receipt(actor=actor, item=item, serial=s, lot=lot)
                moves.append((Decimal("1"), item.stock_unit, serial, lot))
        else:
            moves.append((entry["quantity"], line.unit, None, lot))
        for quantity, unit, serial, move_lot in moves:
            move = inventory_services.receive(
                actor=actor,
                item=item,
                quantity=quantity,
                unit=unit,
                location=entry["location"],
                lot=move_lot,
                serial=serial,
                source=source,
                reason_code="purchase",
                note=f"{order.number} line {line.position}",
            )
            posted.append(
                ReceiptLine.objects.create(
                    organization=order.organization,
                    receipt=receipt,
                    order_line=line,
                    item=item,
                    quantity=quantity,
                    unit=unit,
                    lot=move.lot,
                    serial=serial,
                    location=entry["location"],
                    quarantined=quarantined,
                    stock_move=move,
                    created_by=receipt.created_by,
                )
            )
        PurchaseOrderLine.objects.filter(pk=line.pk).update(
            received_quantity=F("received_quantity") + entry["quantity"], updated_at=timezone.now()
        )

    received_any, received_all = selectors.receipt_progress(order=order)
    target = "received" if received_all else "partially_received"
    if target != order.status:
        workflow_services.transition(order, target, actor, comment=f"receipt {receipt.number}")
    audit.record(
        actor,
        receipt,
        action="create",
        changes={
            "purchase_order": [None, order.number],
            "supplier": [None, order.supplier.number],
            "lines": [None, len(posted)],
            "delivery_note": [None, receipt.delivery_note],
        },
    )
    events.emit(
        "purchasing.receipt.posted",
        {
            "id": receipt.pk,
            "number": receipt.number,
            "purchase_order": order.pk,
            "purchase_order_number": order.number,
            "supplier": order.supplier_id,
            "plant": order.plant_id,
            "lines": [_payload_line(rl) for rl in posted],
            "actor": getattr(actor, "pk", None),
        },
    )
    return receipt
