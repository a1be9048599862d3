"""Every write of sales: orders and lines, confirmation (reserving stock), shipping, closing.

Rules kept here:
- lines change only while the order is a draft; a confirmed order is a promise;
- confirming reserves what the plant has free for each line (first expiring lot first);
  whatever stock cannot cover stays open on the line (`unreserved_quantity`) for production
  or purchasing, and `sales.order.confirmed` tells them how much;
- shipping issues stock to the plant's virtual customer location through the inventory
  ledger, consuming the line's reservation at that place first, and moves the order to
  partially shipped or shipped through its workflow;
- cancelling or closing releases whatever is still reserved.
Stock is only ever touched through `inventory.services`.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from shopfloor.catalog.models import Item, Unit
from shopfloor.catalog.services import to_stock_units
from shopfloor.core import access, audit, events, numbering
from shopfloor.core import services as core_services
from shopfloor.core.errors import Conflict
from shopfloor.core.quantities import plain as _fmt
from shopfloor.inventory import selectors as inventory_selectors
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, Lot, Reservation, SerialNumber, StockMove
from shopfloor.workflows import services as workflow_services

from . import selectors
from .defaults import CONFIRM, SHIP
from .models import SalesOrder, SalesOrderLine

LineStatus = SalesOrderLine.Status
HEADER_FIELDS = ("plant", "customer", "rig", "well", "customer_reference", "order_date", "currency", "notes")
LINE_FIELDS = ("item", "quantity", "unit", "unit_price", "due_date", "notes", "position")
# Fields of a confirmed order that may still change: they promise nothing about stock.
LATE_EDITABLE = {"customer_reference", "notes"}


# --- Orders -----------------------------------------------------------------------------------------


def _check_site(values: dict[str, Any], *, new_customer: bool = True) -> None:
    """The rig and well are the customer's own; a new order (or a changed customer) must be active."""
    customer, rig, well = values.get("customer"), values.get("rig"), values.get("well")
    errors: dict[str, list[str]] = {}
    if new_customer and customer is not None and not customer.is_active:
        errors["customer"] = [f"Customer {customer.number} is inactive."]
    if rig is not None and customer is not None and rig.customer_id != customer.pk:
        errors["rig"] = [f"Rig {rig.name} belongs to another customer."]
    if well is not None and customer is not None and well.customer_id != customer.pk:
        errors["well"] = [f"Well {well.name} belongs to another customer."]
    if well is not None and rig is not None and well.rig_id is not None and well.rig_id != rig.pk:
        errors["well"] = [f"Well {well.name} is drilled by another rig."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_order(*, actor: Any, data: dict[str, Any]) -> SalesOrder:
    """A draft order with its number (SO-...), optionally with its lines in the same breath."""
    lines = list(data.get("lines") or [])
    header = {k: v for k, v in data.items() if k in HEADER_FIELDS and v is not None}
    if header.get("currency"):
        header["currency"] = str(header["currency"]).upper()
    access.require(actor, "sales.add_salesorder", plant=header.get("plant"))
    _check_site(header)
    header["number"] = numbering.next_number("sales_order")
    header["status"] = workflow_services.initial_state(SalesOrder)
    order = core_services.create_object(actor=actor, model=SalesOrder, data=header, plant=header.get("plant"))
    for index, line_data in enumerate(lines, start=1):
        try:
            add_line(actor=actor, order=order, data=dict(line_data))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                messages = [f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms]
            else:
                messages = exc.messages
            raise ValidationError({"lines": [f"Line {index}: {m}" for m in messages]}) from None
    events.emit("sales.order.created", {"id": order.pk, "number": order.number, "customer": order.customer_id})
    return order


@transaction.atomic
def update_order(*, actor: Any, order: SalesOrder, data: dict[str, Any]) -> SalesOrder:
    """Change the header; after confirmation only the customer's reference and the notes."""
    locked = SalesOrder.objects.select_for_update().get(pk=order.pk)
    data = {k: v for k, v in data.items() if k in HEADER_FIELDS}
    if data.get("currency"):
        data["currency"] = str(data["currency"]).upper()
    changed = {k for k, v in data.items() if getattr(locked, k) != v}
    if locked.status != "draft" and changed - LATE_EDITABLE:
        fields = ", ".join(sorted(changed - LATE_EDITABLE))
        raise Conflict(f"{locked.number} is {locked.status}: only the reference and notes can change ({fields}).")
    merged = {"customer": locked.customer, "rig": locked.rig, "well": locked.well, **data}
    _check_site(merged, new_customer="customer" in changed)
    return core_services.update_object(actor=actor, obj=locked, data=data, plant=locked.plant)


@transaction.atomic
def delete_order(*, actor: Any, order: SalesOrder) -> None:
    """Only a draft goes away; anything confirmed is cancelled instead, so its history stays."""
    if order.status != "draft":
        raise Conflict(f"{order.number} is {order.status}: cancel it instead of deleting it.")
    for line in order.lines.all():
        core_services.delete_object(actor=actor, obj=line, plant=order.plant)
    core_services.delete_object(actor=actor, obj=order, plant=order.plant)


# --- Lines ----------------------------------------------------------------------------------------------


def _quantity(value: Any, field: str = "quantity") -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [f"'{value}' is not a number."]}) from None
    if not q.is_finite() or q <= 0:
        raise ValidationError({field: ["Give a quantity above zero."]})
    return q


def _draft(order: SalesOrder) -> SalesOrder:
    locked = SalesOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status != "draft":
        raise Conflict(f"{locked.number} is {locked.status}: its lines can change only while it is a draft.")
    return locked


def _line_values(data: dict[str, Any], line: SalesOrderLine | None = None) -> dict[str, Any]:
    """Checked line values with the quantity in stock units."""
    values = {k: v for k, v in data.items() if k in LINE_FIELDS}
    item: Item | None = values.get("item", line.item if line else None)
    if item is None:
        raise ValidationError({"item": ["Give the item."]})
    if item.status == "obsolete":
        raise ValidationError({"item": [f"{item.number} is obsolete: it is no longer sold."]})
    unit: Unit = values.get("unit") or (line.unit if line and "item" not in values else None) or item.stock_unit
    values["unit"] = unit
    quantity = _quantity(values.get("quantity", line.quantity if line else None))
    values["quantity"] = quantity
    stock_quantity = to_stock_units(quantity, unit, item, exact=True)
    if stock_quantity <= 0:
        raise ValidationError({"quantity": ["The quantity is zero in the item's stock unit."]})
    if item.tracking == Item.Tracking.SERIAL and stock_quantity != stock_quantity.to_integral_value():
        raise ValidationError({"quantity": [f"{item.number} is serial-numbered: order whole units."]})
    values["stock_quantity"] = stock_quantity
    due = values.get("due_date", line.due_date if line else None)
    if due is None:
        raise ValidationError({"due_date": ["Give the date the customer needs it."]})
    price = values.get("unit_price", line.unit_price if line else Decimal(0))
    if price is None or Decimal(str(price)) < 0:
        raise ValidationError({"unit_price": ["A price cannot be negative."]})
    return values


@transaction.atomic
def add_line(*, actor: Any, order: SalesOrder, data: dict[str, Any]) -> SalesOrderLine:
    """Add an item to a draft order; the position follows the last one (10, 20, ...) unless given."""
    order = _draft(order)
    values = _line_values(data)
    if not values.get("position"):
        last = order.lines.aggregate(last=Max("position"))["last"] or 0
        values["position"] = (last // 10 + 1) * 10
    elif order.lines.filter(position=values["position"]).exists():
        raise ValidationError({"position": [f"{order.number} already has a line {values['position']}."]})
    values["order"] = order
    values["status"] = LineStatus.OPEN
    line = core_services.create_object(
        actor=actor, model=SalesOrderLine, data=values, perm="sales.add_salesorderline", plant=order.plant
    )
    return line


@transaction.atomic
def update_line(*, actor: Any, line: SalesOrderLine, data: dict[str, Any]) -> SalesOrderLine:
    order = _draft(line.order)
    if "order" in data and data["order"] != order:
        raise ValidationError({"order": ["A line stays on its order."]})
    values = _line_values(data, line)
    position = values.get("position")
    if position and position != line.position and order.lines.filter(position=position).exists():
        raise ValidationError({"position": [f"{order.number} already has a line {position}."]})
    return core_services.update_object(
        actor=actor, obj=line, data=values, perm="sales.change_salesorderline", plant=order.plant
    )


@transaction.atomic
def delete_line(*, actor: Any, line: SalesOrderLine) -> None:
    order = _draft(line.order)
    core_services.delete_object(actor=actor, obj=line, perm="sales.delete_salesorderline", plant=order.plant)


# --- Workflow steps ---------------------------------------------------------------------------------------


def _transition(actor: Any, order: SalesOrder, to_state: str, comment: str = "") -> SalesOrder:
    workflow_services.transition(order, to_state, actor, comment=comment)
    return selectors.orders().get(pk=order.pk)


@inventory.busy_is_conflict
@transaction.atomic
def confirm(*, actor: Any, order: SalesOrder, comment: str = "") -> SalesOrder:
    """Confirm the order: the workflow's effect reserves stock for every line (see `reserve_order`)."""
    return _transition(actor, order, "confirmed", comment)


@transaction.atomic
def start_production(*, actor: Any, order: SalesOrder, comment: str = "") -> SalesOrder:
    """Mark a confirmed order as being made (work orders cover what stock did not)."""
    return _transition(actor, order, "in_production", comment)


@transaction.atomic
def work_order_opened(*, actor: Any, line: SalesOrderLine, work_order_number: str) -> SalesOrder:
    """Production opened a work order for one of the order's lines, in its own transaction.

    A confirmed order is now in production (through its workflow, so the step is recorded with
    who and why). An order already further along (in production, partly shipped) stays where it
    is; a draft is not a promise yet, so it stays a draft until confirmed.
    """
    order = SalesOrder.objects.select_for_update().get(pk=line.order_id)
    if order.status != "confirmed":
        return order
    return _transition(
        actor, order, "in_production", f"Work order {work_order_number} opened for line {line.position}."
    )


@inventory.busy_is_conflict
@transaction.atomic
def cancel(*, actor: Any, order: SalesOrder, comment: str) -> SalesOrder:
    """Cancel an order nothing of which has shipped; its reservations are released."""
    return _transition(actor, order, "cancelled", comment)


@inventory.busy_is_conflict
@transaction.atomic
def close(*, actor: Any, order: SalesOrder, comment: str = "") -> SalesOrder:
    """Close a shipped order, or close a partially shipped one short (reservations released)."""
    return _transition(actor, order, "closed", comment)


def _source(line: SalesOrderLine) -> inventory.SourceDocument:
    return inventory.SourceDocument(selectors.LINE_SOURCE, str(line.pk), f"{line.order.number}/{line.position}")


def _sync_reserved(actor: Any, line: SalesOrderLine, reason: str) -> SalesOrderLine:
    """Set the line's reserved quantity to the sum of its open reservations (audited when it changes)."""
    total = sum((r.quantity for r in selectors.open_reservations(line)), Decimal(0))
    before = line.reserved_quantity
    if total != before:
        SalesOrderLine.objects.filter(pk=line.pk).update(reserved_quantity=total)
        line.reserved_quantity = total
        audit.record(
            actor, line, action="update", changes={"reserved_quantity": [str(before), str(total)]}, reason=reason
        )
    return line


# A concurrent confirmation may take part of a balance between our read and our reservation;
# the reservation is then refused whole, and we try again with what is left, a few times.
RESERVE_ATTEMPTS = 5


def _reserve_at(actor: Any, line: SalesOrderLine, location: Location, lot: Lot | None, need: Decimal) -> Decimal:
    """Reserve up to `need` at one place for the line; returns how much was reserved."""
    for _ in range(RESERVE_ATTEMPTS):
        take = min(need, inventory_selectors.available_at(item=line.item, location=location, lot=lot))
        if line.item.tracking == Item.Tracking.SERIAL:
            take = take.to_integral_value(rounding=ROUND_FLOOR)
        if take <= 0:
            return Decimal(0)
        try:
            inventory.reserve(
                actor=actor, item=line.item, location=location, lot=lot, quantity=take, source=_source(line)
            )
        except Conflict:
            continue  # someone reserved here meanwhile: read again and take what is left
        return take
    return Decimal(0)


def reserve_order(*, actor: Any, order: SalesOrder) -> dict[int, Decimal]:
    """Reserve free stock of the order's plant for each open line; returns what stays short per line.

    Runs inside the confirmation's transaction. A balance another writer took meanwhile is
    skipped (its reservation refused whole), never over-reserved.
    """
    access.require(actor, CONFIRM, plant=order.plant)
    short: dict[int, Decimal] = {}
    for line in (
        selectors.lines_of(order).select_for_update(of=("self",)).filter(status__in=SalesOrderLine.OPEN_STATUSES)
    ):
        line.order = order
        need = line.open_quantity - line.reserved_quantity
        for balance in selectors.reservable_balances(item=line.item, plant=order.plant):
            if need <= 0:
                break
            need -= _reserve_at(actor, line, balance.location, balance.lot, need)
        _sync_reserved(actor, line, reason=f"Confirmation of {order.number}")
        short[line.pk] = max(need, Decimal(0))
    events.emit(
        "sales.order.confirmed",
        {
            "id": order.pk,
            "number": order.number,
            "plant": order.plant_id,
            "lines": [{"id": pk, "unreserved": str(q)} for pk, q in short.items()],
        },
    )
    return short


def end_order_lines(*, actor: Any, order: SalesOrder, line_status: str) -> None:
    """Release every open reservation of the order and end its open lines (cancelled or closed short)."""
    for line in selectors.lines_of(order).select_for_update(of=("self",)):
        line.order = order
        for reservation in selectors.open_reservations(line):
            inventory.release(actor=actor, reservation=reservation)
        _sync_reserved(actor, line, reason=f"{order.number} {line_status}")
        if line.status in SalesOrderLine.OPEN_STATUSES:
            SalesOrderLine.objects.filter(pk=line.pk).update(status=line_status)
            audit.record(actor, line, action="update", changes={"status": [line.status, line_status]})
    events.emit(f"sales.order.{line_status}", {"id": order.pk, "number": order.number})


# --- Shipping -----------------------------------------------------------------------------------------------


def _consume(actor: Any, line: SalesOrderLine, location: Location, lot: Lot | None, quantity: Decimal) -> None:
    """Consume the line's reservations at (location, lot) for `quantity`; a larger one is consumed
    and its remainder reserved again, so a reservation always ends whole."""
    remaining = quantity
    for reservation in selectors.open_reservations(line).filter(location=location, lot=lot):
        if remaining <= 0:
            break
        take = min(reservation.quantity, remaining)
        # Consuming frees the reserved stock for the shipment posted next in this transaction; the
        # part not shipped stays reserved for the line (the inventory reserves it again at once).
        inventory.consume_reservation(actor=actor, reservation=reservation, quantity=take)
        remaining -= take


def _release_excess(actor: Any, line: SalesOrderLine) -> None:
    """Reservations beyond what is left to ship are let go (newest first)."""
    excess = sum((r.quantity for r in selectors.open_reservations(line)), Decimal(0)) - line.open_quantity
    for reservation in selectors.open_reservations(line).order_by("-id"):
        if excess <= 0:
            break
        inventory.release(actor=actor, reservation=reservation)
        if reservation.quantity > excess:
            inventory.reserve(
                actor=actor,
                item=line.item,
                location=reservation.location,
                lot=reservation.lot,
                quantity=reservation.quantity - excess,
                source=_source(line),
            )
        excess -= reservation.quantity


def _advance(actor: Any, order: SalesOrder) -> None:
    shipped, complete = selectors.shipping_progress(order=order)
    if complete:
        workflow_services.transition(order, "shipped", actor, comment="Everything shipped.")
    elif shipped and order.status != "partially_shipped":
        workflow_services.transition(order, "partially_shipped", actor, comment="Part shipped.")


@inventory.busy_is_conflict
@transaction.atomic
def ship_line(
    *,
    actor: Any,
    line: SalesOrderLine,
    quantity: Any,
    location: Location,
    lot: Lot | None = None,
    serials: list[SerialNumber] | None = None,
    note: str = "",
    idempotency_key: str = "",
) -> SalesOrderLine:
    """Ship `quantity` (in the item's stock unit) of a line from a location of the order's plant.

    Stock goes to the plant's virtual customer location through the ledger, consuming the
    line's reservation at that location and lot first. Serial-numbered items name one serial
    per unit; lot-tracked ones their lot. Shipping more than is left on the line is refused
    whole (400), as is stock that is not there (409). A repeated `idempotency_key` answers
    the line as it is, without shipping again.
    """
    order = SalesOrder.objects.select_for_update(of=("self",)).select_related("plant").get(pk=line.order_id)
    access.require(actor, SHIP, plant=order.plant)
    move_key = f"so-line:{line.pk}:{idempotency_key}" if idempotency_key else ""
    if move_key and StockMove.objects.filter(idempotency_key=f"{move_key}:1").exists():
        return selectors.lines().get(pk=line.pk)
    if order.status not in selectors.SHIPPABLE_STATUSES:
        raise Conflict(f"{order.number} is {order.status}: only a confirmed order ships.")
    line = SalesOrderLine.objects.select_for_update(of=("self",)).select_related("item__stock_unit").get(pk=line.pk)
    line.order = order
    if line.status not in SalesOrderLine.OPEN_STATUSES:
        raise Conflict(f"Line {line} is {line.get_status_display().lower()}: nothing more ships on it.")
    q = _quantity(quantity)
    item = line.item
    if q > line.open_quantity:
        raise ValidationError(
            {"quantity": [f"Only {_fmt(line.open_quantity)} {item.stock_unit} left to ship on {line}; not {_fmt(q)}."]}
        )
    if location.plant_id != order.plant_id:
        raise ValidationError({"location": [f"{location.code} is not at plant {order.plant.code}."]})
    if location.is_virtual:
        raise ValidationError({"location": ["Ship from a real location."]})

    moves: list[tuple[Decimal, Lot | None, SerialNumber | None]] = []
    if item.tracking == Item.Tracking.SERIAL:
        serials = list(serials or [])
        if q != q.to_integral_value():
            raise ValidationError({"quantity": [f"{item.number} is serial-numbered: ship whole units."]})
        if len(serials) != int(q) or len({s.pk for s in serials}) != len(serials):
            raise ValidationError({"serials": [f"Name {int(q)} different serial number(s) of {item.number}."]})
        for serial in serials:
            if serial.item_id != item.pk:
                raise ValidationError({"serials": [f"Serial {serial.serial} is of another item."]})
            moves.append((Decimal(1), serial.lot, serial))
    else:
        if serials:
            raise ValidationError({"serials": [f"{item.number} is not serial-numbered."]})
        if item.tracking == Item.Tracking.LOT and lot is None:
            raise ValidationError({"lot": [f"{item.number} is tracked by lot: pick the lot to ship."]})
        moves.append((q, lot, None))

    by_lot: OrderedDict[int | None, tuple[Lot | None, Decimal]] = OrderedDict()
    for m, lot_of, _ in moves:
        key = lot_of.pk if lot_of else None
        by_lot[key] = (lot_of, by_lot.get(key, (lot_of, Decimal(0)))[1] + m)
    for lot_of, total in by_lot.values():
        _consume(actor, line, location, lot_of, total)

    customer = inventory.virtual_location(order.plant_id, Location.Type.CUSTOMER)
    for n, (m, lot_of, serial) in enumerate(moves, start=1):
        inventory.post_move(
            actor=actor,
            item=item,
            quantity=m,
            lot=lot_of,
            serial=serial,
            from_location=location,
            to_location=customer,
            kind=StockMove.Kind.ISSUE,
            reason_code="shipment",
            note=(note or f"Shipment of {line} to {order.customer.number}")[:500],
            source=_source(line),
            idempotency_key=f"{move_key}:{n}" if move_key else "",
        )

    before = line.shipped_quantity
    line.shipped_quantity = before + q
    line.status = LineStatus.SHIPPED if line.shipped_quantity >= line.stock_quantity else LineStatus.PARTIALLY_SHIPPED
    SalesOrderLine.objects.filter(pk=line.pk).update(shipped_quantity=line.shipped_quantity, status=line.status)
    audit.record(
        actor,
        line,
        action="update",
        changes={"shipped_quantity": [str(before), str(line.shipped_quantity)], "location": [None, location.code]},
        reason="shipment",
    )
    _release_excess(actor, line)
    _sync_reserved(actor, line, reason=f"Shipment of {line}")
    events.emit(
        "sales.line.shipped",
        {
            "id": line.pk,
            "order": order.pk,
            "number": order.number,
            "item": item.pk,
            "quantity": str(q),
            "location": location.pk,
            "serials": [s.pk for _, _, s in moves if s is not None],
        },
    )
    _advance(actor, order)
    return selectors.lines().get(pk=line.pk)


@inventory.busy_is_conflict
@transaction.atomic
def ship_order(*, actor: Any, order: SalesOrder, idempotency_key: str = "") -> SalesOrder:
    """Ship everything the order has reserved, from where it is reserved. Serial-numbered items
    ship the serials found at the reserved place (in serial order). What is not reserved stays
    open for shipping line by line."""
    order = SalesOrder.objects.select_for_update().get(pk=order.pk)
    access.require(actor, SHIP, plant=order.plant)
    if order.status not in selectors.SHIPPABLE_STATUSES:
        raise Conflict(f"{order.number} is {order.status}: only a confirmed order ships.")
    shipped_any = False
    for line in selectors.lines_of(order).filter(status__in=SalesOrderLine.OPEN_STATUSES):
        groups: OrderedDict[tuple[int, int | None], tuple[Reservation, Decimal]] = OrderedDict()
        for r in selectors.open_reservations(line):
            key = (r.location_id, r.lot_id)
            groups[key] = (r, groups.get(key, (r, Decimal(0)))[1] + r.quantity)
        for index, (first, total) in enumerate(groups.values(), start=1):
            total = min(total, line.open_quantity)
            if total <= 0:
                continue
            serials = None
            if line.item.tracking == Item.Tracking.SERIAL:
                serials = selectors.serials_to_pick(
                    item=line.item, location=first.location, lot=first.lot, count=int(total)
                )
                if len(serials) < int(total):
                    raise Conflict(
                        f"Only {len(serials)} serial(s) of {line.item.number} found at {first.location.code} "
                        f"for {_fmt(total)} reserved."
                    )
            line = ship_line(
                actor=actor,
                line=line,
                quantity=total,
                location=first.location,
                lot=first.lot,
                serials=serials,
                idempotency_key=f"{idempotency_key}:{index}" if idempotency_key else "",
            )
            shipped_any = True
    if not shipped_any:
        raise Conflict(f"Nothing of {order.number} is reserved to ship: ship its lines from a location one by one.")
    return selectors.orders().get(pk=order.pk)
