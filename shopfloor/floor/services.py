"""What the /floor/ terminal does with a scan. Every write is a production (or inventory)
service call: the terminal adds no rules of its own, only the translation from "the operator
scanned this, standing at that job card" into the service call it means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shopfloor.catalog.models import Item
from shopfloor.core.errors import Conflict
from shopfloor.core.quantities import plain as _fmt
from shopfloor.inventory.models import Location, Lot, SerialNumber
from shopfloor.production import selectors as production_selectors
from shopfloor.production import services as production
from shopfloor.production.models import MaterialIssue, Operation, WorkOrder, WorkOrderMaterial

from . import codes, selectors


@dataclass
class ScanResult:
    """Where the terminal goes after a scan, and what it tells the operator.

    `target` is the work order or operation to show (None: the home screen); `step` opens a
    form on it ("complete", "issue") with `prefill` values; `message` is the success line.
    """

    target: WorkOrder | Operation | None = None
    step: str = ""
    prefill: dict[str, Any] = field(default_factory=dict)
    message: str = ""


def _order_of(context: WorkOrder | Operation | None) -> WorkOrder | None:
    if isinstance(context, Operation):
        return context.work_order
    return context


def scan(*, actor: Any, text: str, context: WorkOrder | Operation | None = None) -> ScanResult:
    """Act on one scan in the context of what the terminal shows.

    A work order or operation code opens it; a command acts on the operation on screen; a lot
    label opens the issue form for it (quantity to confirm); a serial label issues that unit at
    once (one unit, nothing to confirm). Errors are ValidationError (400) or Conflict (409).
    """
    code = codes.parse(text)
    if code.kind in (codes.WORK_ORDER, codes.OPERATION):
        return ScanResult(target=selectors.resolve_work(code, actor))
    if code.kind == codes.COMMAND:
        return command(actor=actor, operation=context, word=code.parts[0])
    if code.kind == codes.LOCATION:
        raise ValidationError(
            {"code": ["That is a location label: scan the lot or serial label of the material instead."]}
        )
    found = selectors.resolve_stock(code)
    work_order = _order_of(context)
    if work_order is None:
        raise ValidationError({"code": ["Scan the work order or operation first, then the material's label."]})
    operation = context if isinstance(context, Operation) else None
    if isinstance(found, SerialNumber):
        issue = issue_serial(actor=actor, work_order=work_order, serial=found, operation=operation)
        return ScanResult(
            target=context,
            message=f"Issued {issue.item.number} SN {found.serial} from {issue.location.code} to {work_order.number}.",
        )
    assert isinstance(found, Lot)
    return ScanResult(target=context, step="issue", prefill=issue_proposal(work_order=work_order, lot=found))


def command(*, actor: Any, operation: WorkOrder | Operation | None, word: str) -> ScanResult:
    """START, PAUSE, RESUME on the operation on screen; COMPLETE opens its quantities form."""
    if word == codes.HOME:
        return ScanResult(target=None)
    if not isinstance(operation, Operation):
        raise ValidationError({"code": [f"Scan an operation first (WO-…/10), then {word}."]})
    if word == codes.START:
        op = production.start_operation(actor=actor, operation=operation)
        return ScanResult(target=op, message=f"Operation {op.sequence} started.")
    if word == codes.PAUSE:
        op = production.pause_operation(actor=actor, operation=operation)
        return ScanResult(target=op, message=f"Operation {op.sequence} paused.")
    if word == codes.RESUME:
        op = production.resume_operation(actor=actor, operation=operation)
        return ScanResult(target=op, message=f"Operation {op.sequence} resumed.")
    if word == codes.COMPLETE:
        if operation.status not in (Operation.Status.IN_PROGRESS, Operation.Status.PAUSED):
            raise Conflict(
                f"Operation {operation.sequence} is {operation.get_status_display().lower()}; start it first."
            )
        return ScanResult(target=operation, step="complete")
    raise ValidationError({"code": [f"Unknown command {word}."]})


def complete(*, actor: Any, operation: Operation, good: Any, scrap: Any = 0, scrap_reason: str = "") -> Operation:
    """Report good and scrap and finish the job card (the production service holds the rules)."""
    return production.complete_operation(
        actor=actor, operation=operation, good_quantity=good, scrap_quantity=scrap or 0, scrap_reason=scrap_reason
    )


def _material_for(work_order: WorkOrder, item_id: int) -> WorkOrderMaterial:
    line = WorkOrderMaterial.objects.filter(work_order=work_order, component_id=item_id).order_by("position").first()
    if line is None:
        number = Item.objects.filter(pk=item_id).values_list("number", flat=True).first()
        raise ValidationError({"code": [f"{number} is not on the material list of {work_order.number}."]})
    return line


def issue_proposal(*, work_order: WorkOrder, lot: Lot) -> dict[str, Any]:
    """What the issue form offers for a scanned lot: where it is and how much to take.

    The quantity proposed is what the order still needs of that component, at most what the
    lot has at the first location (the order's own issue location first).
    """
    line = _material_for(work_order, lot.item_id)
    places = selectors.lot_stock_for_issue(lot=lot, work_order=work_order)
    if not places:
        raise Conflict(f"Lot {lot.number} of {lot.item.number} has no stock at plant {work_order.plant.code}.")
    need = max(line.required_quantity - line.issued_quantity, Decimal(0))
    first = places[0]
    # Stock reserved for this very order (at its release) is the order's to take.
    own = production_selectors.reserved_for_order(work_order=work_order, location=first.location, lot=lot)
    quantity = min(need, first.on_hand - first.reserved + own) if need > 0 else Decimal(0)
    return {
        "lot": lot,
        "material": line,
        "places": places,
        "location": first.location,
        "quantity": _fmt(quantity) if quantity > 0 else "",
    }


def issue_lot(
    *,
    actor: Any,
    work_order: WorkOrder,
    lot: Lot,
    location: Location,
    quantity: Any,
    operation: Operation | None = None,
    key: str = "",
) -> MaterialIssue:
    """Issue `quantity` of a scanned lot to the order. `key` makes a double Enter issue once.

    One call of production's issue (atomic itself): it finds the order's material line of the
    lot's item under lock, so the line is not read a first time here."""
    return production.issue_material(
        actor=actor,
        work_order=work_order,
        item=lot.item,
        quantity=quantity,
        location=location,
        lot=lot,
        operation=operation,
        idempotency_key=f"floor:{key}" if key else "",
    )


@transaction.atomic
def issue_serial(
    *, actor: Any, work_order: WorkOrder, serial: SerialNumber, operation: Operation | None = None
) -> MaterialIssue:
    """Issue one scanned serial-numbered unit from where the books say it is."""
    line = _material_for(work_order, serial.item_id)
    if serial.status != SerialNumber.Status.IN_STOCK or serial.location_id is None:
        raise Conflict(
            f"{serial.item.number} SN {serial.serial} is {serial.get_status_display().lower()}, not in stock."
        )
    return production.issue_material(
        actor=actor,
        work_order=work_order,
        material=line,
        quantity=1,
        location=serial.location,
        lot=serial.lot,
        serial=serial,
        operation=operation,
    )
