"""Every write of the inventory. `post_move` is the only writer of `StockMove` and `StockBalance`.

How the ledger stays right under concurrency:
- a move is inserted and applied to the balances in one transaction;
- balances change by conditional atomic UPDATEs computed by the database
  (`on_hand = on_hand - q WHERE on_hand - reserved >= q`), never read-modify-write in
  Python; no row updated means not enough stock, and the move is refused (409) whole;
- a missing destination row is inserted in a savepoint; losing that race to a concurrent
  insert turns into an update of the row the winner created;
- the rows a move locks are taken in one order (the serial, balances by location id, the
  low-stock latch, the audit chain head), so two moves never wait on each other in a
  circle;
- on SQLite, IMMEDIATE transactions serialize writers, which is correct if slower.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from shopfloor.catalog.models import Item, Unit
from shopfloor.catalog.services import to_stock_units
from shopfloor.core import access, audit, events, notifications, numbering, tenancy
from shopfloor.core import services as core_services
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Membership, Plant
from shopfloor.core.quantities import plain as _fmt
from shopfloor.workflows import services as workflow_services

from . import selectors
from .models import (
    CycleCount,
    CycleCountLine,
    Location,
    Lot,
    LowStockLatch,
    Reservation,
    SerialNumber,
    StockBalance,
    StockMove,
)

LOW_STOCK = notifications.register_event_type("inventory.stock.low", "An item's stock fell below its reorder point")
# Who hears about low stock: whoever may look at stock. Viewers included on purpose: buyers and
# planners usually hold only view rights on inventory and are the ones who must act.
LOW_STOCK_PERMISSION = "inventory.view_stockbalance"

Kind = StockMove.Kind
LType = Location.Type


@dataclass(frozen=True)
class SourceDocument:
    """The document a move or reservation belongs to (a work order, a receipt, a count)."""

    object_type: str = ""
    object_id: str = ""
    number: str = ""


NO_SOURCE = SourceDocument()


F_ = TypeVar("F_", bound=Callable[..., Any])


def busy_is_conflict(func: F_) -> F_:
    """A writer that waited its whole lock timeout for the ledger gets a 409 to retry, not a 500.

    SQLite lets one writer in at a time and its busy handler is not fair: under many writers
    one can wait past the timeout at BEGIN. Nothing was written then, so it is a clean refusal.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            text = str(exc).lower()
            if "database is locked" not in text and "lock timeout" not in text:
                raise
            raise Conflict(
                "The ledger is busy with other postings; nothing was written, try again.", code="busy"
            ) from exc

    return wrapper  # type: ignore[return-value]


# --- Locations ----------------------------------------------------------------------------------

VIRTUAL_CODES = {
    LType.SUPPLIER: ("V-SUPPLIER", "Suppliers"),
    LType.CUSTOMER: ("V-CUSTOMER", "Customers"),
    LType.PRODUCTION: ("V-PRODUCTION", "Production"),
    LType.ADJUSTMENT: ("V-ADJUSTMENT", "Inventory adjustments"),
}


def ensure_virtual_locations(plant: Plant) -> dict[str, Location]:
    """The plant's virtual locations, created when missing (idempotent and race-safe)."""
    with tenancy.use(tenancy.current_organization() or plant.organization, tenancy.current_user()):
        existing = {
            loc.location_type: loc
            for loc in Location.objects.filter(plant=plant, location_type__in=list(VIRTUAL_CODES)).order_by("-id")
        }
        missing = [t for t in VIRTUAL_CODES if t not in existing]
        if missing:
            Location.objects.bulk_create(
                [
                    Location(
                        organization_id=plant.organization_id,
                        plant=plant,
                        code=VIRTUAL_CODES[t][0],
                        name=VIRTUAL_CODES[t][1],
                        location_type=t,
                        allow_negative=True,
                    )
                    for t in missing
                ],
                ignore_conflicts=True,
            )
            existing = {
                loc.location_type: loc
                for loc in Location.objects.filter(plant=plant, location_type__in=list(VIRTUAL_CODES)).order_by("-id")
            }
        if any(t not in existing for t in VIRTUAL_CODES):
            raise Conflict(f"Plant {plant.code} has a location code reserved for its virtual locations (V-...).")
        return existing


# The real places every plant starts with, so that receiving (purchasing looks for a receiving or,
# for inspected items, a quarantine location), stocking, shipping and scrapping work on day one.
DEFAULT_LOCATIONS = (
    (LType.RECEIVING, "RECEIVING", "Receiving"),
    (LType.STORAGE, "STOCK", "Stock"),
    (LType.QUARANTINE, "QUARANTINE", "Quarantine"),
    (LType.SHIPPING, "SHIPPING", "Shipping"),
    (LType.SCRAP, "SCRAP", "Scrap"),
)


def ensure_default_locations(plant: Plant) -> list[Location]:
    """Give the plant a location of each default kind it has no active one of; returns those created.

    Idempotent and race-safe (a code already taken is left alone, whatever its kind): a plant
    set up by hand keeps its own locations.
    """
    with tenancy.use(tenancy.current_organization() or plant.organization, tenancy.current_user()):
        have = set(
            Location.objects.filter(plant=plant, is_active=True).values_list("location_type", flat=True).distinct()
        )
        taken = set(
            Location.objects.filter(plant=plant, code__in=[c for _, c, _ in DEFAULT_LOCATIONS]).values_list(
                "code", flat=True
            )
        )
        wanted = [(t, code, name) for t, code, name in DEFAULT_LOCATIONS if t not in have and code not in taken]
        if not wanted:
            return []
        Location.objects.bulk_create(
            [
                Location(organization_id=plant.organization_id, plant=plant, code=code, name=name, location_type=t)
                for t, code, name in wanted
            ],
            ignore_conflicts=True,
        )
        created = list(
            Location.objects.filter(
                plant=plant, code__in=[code for _, code, _ in wanted], location_type__in=[t for t, _, _ in wanted]
            )
        )
        for location in created:
            audit.record(None, location, action="create", reason="default location of a new plant")
        return created


def virtual_location(plant: Plant | int, location_type: str) -> Location:
    plant_id = plant if isinstance(plant, int) else plant.pk
    found = Location.objects.filter(plant_id=plant_id, location_type=location_type).order_by("id").first()
    if found is not None:
        return found
    plant_obj = plant if isinstance(plant, Plant) else Plant.objects.get(pk=plant_id)
    return ensure_virtual_locations(plant_obj)[location_type]


def scrap_location(plant: Plant | int) -> Location:
    """The plant's scrap location: its first active one, or a new 'SCRAP' bin."""
    plant_id = plant if isinstance(plant, int) else plant.pk
    found = Location.objects.filter(plant_id=plant_id, location_type=LType.SCRAP, is_active=True).order_by("id").first()
    if found is not None:
        return found
    plant_obj = plant if isinstance(plant, Plant) else Plant.objects.get(pk=plant_id)
    Location.objects.bulk_create(
        [
            Location(
                organization_id=plant_obj.organization_id,
                plant=plant_obj,
                code="SCRAP",
                name="Scrap",
                location_type=LType.SCRAP,
            )
        ],
        ignore_conflicts=True,
    )
    found = Location.objects.filter(plant_id=plant_id, location_type=LType.SCRAP).order_by("id").first()
    if found is None:
        raise Conflict("A location named SCRAP exists but is not a scrap location; name a scrap location.")
    return found


def create_location(*, actor: Any, data: dict[str, Any]) -> Location:
    """A location in the plant's tree; its parent must be in the same plant, and virtual ones have no children."""
    _check_location(data)
    return core_services.create_object(actor=actor, model=Location, data=data, plant=data.get("plant"))


def update_location(*, actor: Any, location: Location, data: dict[str, Any]) -> Location:
    merged = {"plant": location.plant, "parent": location.parent, **data}
    if "location_type" in data and data["location_type"] != location.location_type:
        if (
            StockMove.objects.filter(from_location=location).exists()
            or StockMove.objects.filter(to_location=location).exists()
        ):
            raise ValidationError({"location_type": ["A location with moves keeps its type."]})
    if "plant" in data and data["plant"] != location.plant:
        raise ValidationError({"plant": ["A location stays in its plant."]})
    _check_location(merged, location)
    return core_services.update_object(actor=actor, obj=location, data=data, plant=location.plant)


def _check_location(data: dict[str, Any], location: Location | None = None) -> None:
    parent: Location | None = data.get("parent")
    if parent is None:
        return
    if parent.plant_id != data["plant"].pk:
        raise ValidationError({"parent": ["The parent is in another plant."]})
    if parent.is_virtual:
        raise ValidationError({"parent": ["Virtual locations have no children."]})
    node: Location | None = parent
    while node is not None and location is not None:
        if node.pk == location.pk:
            raise ValidationError({"parent": ["A location cannot sit inside itself."]})
        node = node.parent


# --- Lots and serial numbers ------------------------------------------------------------------------


def create_lot(*, actor: Any, data: dict[str, Any]) -> Lot:
    item: Item = data["item"]
    if item.tracking != Item.Tracking.LOT and item.tracking != Item.Tracking.SERIAL:
        raise ValidationError({"item": [f"{item.number} is not tracked by lot."]})
    _check_lot_dates(data)
    return core_services.create_object(actor=actor, model=Lot, data=data)


def _check_lot_dates(data: dict[str, Any]) -> None:
    made, expires = data.get("manufactured_on"), data.get("expires_on")
    if made and expires and expires < made:
        raise ValidationError({"expires_on": ["A lot cannot expire before it was made."]})


def lot_for_receipt(*, actor: Any, item: Item, number: str, **details: Any) -> Lot:
    """The item's lot of that number, created on first receipt (race-safe)."""
    number = number.strip()
    if not number:
        raise ValidationError({"lot_number": ["Give the lot number."]})
    found = Lot.objects.filter(item=item, number=number).first()
    if found is not None:
        return found
    _check_lot_dates(details)
    try:
        with transaction.atomic():
            return create_lot(actor=actor, data={"item": item, "number": number, **details})
    except Conflict:
        return Lot.objects.get(item=item, number=number)


def create_serial_number(*, actor: Any, data: dict[str, Any]) -> SerialNumber:
    """Register a serial number; it is outside the plant until a receipt brings it in."""
    item: Item = data["item"]
    if item.tracking != Item.Tracking.SERIAL:
        raise ValidationError({"item": [f"{item.number} is not tracked by serial number."]})
    lot = data.get("lot")
    if lot is not None and lot.item_id != item.pk:
        raise ValidationError({"lot": ["The lot belongs to another item."]})
    return core_services.create_object(actor=actor, model=SerialNumber, data=data)


def serial_for_receipt(*, actor: Any, item: Item, serial: str, lot: Lot | None = None) -> SerialNumber:
    serial = serial.strip()
    if not serial:
        raise ValidationError({"serial": ["Give the serial number."]})
    found = SerialNumber.objects.filter(item=item, serial=serial).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return create_serial_number(actor=actor, data={"item": item, "serial": serial, "lot": lot})
    except Conflict:
        return SerialNumber.objects.get(item=item, serial=serial)


# --- The one writer of the ledger ------------------------------------------------------------------


def _quantity(value: Any, field: str = "quantity") -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [f"'{value}' is not a number."]}) from None
    if not q.is_finite() or q <= 0:
        raise ValidationError({field: ["Give a quantity above zero."]})
    return q


def _check_tracking(item: Item, quantity: Decimal, lot: Lot | None, serial: SerialNumber | None) -> Lot | None:
    if item.tracking == Item.Tracking.SERIAL:
        if serial is None:
            raise ValidationError({"serial": [f"{item.number} is tracked by serial number: give the serial."]})
        if serial.item_id != item.pk:
            raise ValidationError({"serial": ["The serial number belongs to another item."]})
        if quantity != 1:
            raise ValidationError({"quantity": ["A serial number is one unit: move quantity 1 per serial."]})
        if lot is not None and serial.lot_id is not None and lot.pk != serial.lot_id:
            raise ValidationError({"lot": ["The serial number belongs to another lot."]})
        return lot if lot is not None else serial.lot
    if serial is not None:
        raise ValidationError({"serial": [f"{item.number} is not tracked by serial number."]})
    if item.tracking == Item.Tracking.LOT:
        if lot is None:
            raise ValidationError({"lot": [f"{item.number} is tracked by lot: give the lot."]})
    elif lot is not None:
        raise ValidationError({"lot": [f"{item.number} is not tracked by lot."]})
    if lot is not None and lot.item_id != item.pk:
        raise ValidationError({"lot": ["The lot belongs to another item."]})
    return lot


def _serial_status(target: Location) -> str:
    if target.location_type == LType.PRODUCTION:
        return SerialNumber.Status.ISSUED
    if target.location_type in (LType.CUSTOMER, LType.SUPPLIER):
        return SerialNumber.Status.SHIPPED
    if target.location_type in (LType.ADJUSTMENT, LType.SCRAP):
        return SerialNumber.Status.SCRAPPED
    return SerialNumber.Status.IN_STOCK


def _balance_rows(item: Item, location: Location, lot: Lot | None) -> Any:
    return StockBalance.objects.filter(item=item, location=location, lot=lot)


def _take(item: Item, location: Location, lot: Lot | None, quantity: Decimal, release: Decimal = Decimal(0)) -> None:
    """Take `quantity` out of a balance, refusing to go below what is reserved (unless allowed).

    `release`: the reserved quantity of reservations ended for this very move (see
    `consume_reservation(settled_by_move=True)`), taken off the balance's reserved in the same
    update, so the move may use it."""
    rows = _balance_rows(item, location, lot)
    now = timezone.now()
    changes: dict[str, Any] = {"on_hand": F("on_hand") - quantity, "updated_at": now}
    if release:
        changes["reserved"] = F("reserved") - release
        rows = rows.filter(reserved__gte=release)
    if location.allow_negative:
        if rows.update(**changes) == 0:
            if release:
                raise Conflict("The reserved quantity is no longer on the balance.")
            _put(item, location, lot, -quantity)
        return
    updated = rows.filter(on_hand__gte=F("reserved") - release + quantity).update(**changes)
    if updated == 0:
        balance = _balance_rows(item, location, lot).first()
        if release and (balance is None or balance.reserved < release):
            raise Conflict("The reserved quantity is no longer on the balance.")
        available = balance.on_hand - balance.reserved + release if balance is not None else Decimal(0)
        raise Conflict(
            f"Only {_fmt(max(available, Decimal(0)))} {item.stock_unit} of {item.number}"
            f"{f' lot {lot.number}' if lot else ''} available at {location.code}.",
            code="insufficient_stock",
        )


def _put(item: Item, location: Location, lot: Lot | None, quantity: Decimal) -> None:
    """Add `quantity` to a balance, creating the row if this is the first stock there."""
    rows = _balance_rows(item, location, lot)
    now = timezone.now()
    if rows.update(on_hand=F("on_hand") + quantity, updated_at=now):
        return
    try:
        with transaction.atomic():
            StockBalance.objects.create(
                organization_id=item.organization_id, item=item, location=location, lot=lot, on_hand=quantity
            )
    except IntegrityError:
        # A concurrent first move created the row between our update and insert.
        if rows.update(on_hand=F("on_hand") + quantity, updated_at=now) != 1:
            raise


@busy_is_conflict
@transaction.atomic
def post_move(
    *,
    actor: Any,
    item: Item,
    quantity: Any,
    from_location: Location,
    to_location: Location,
    kind: str,
    unit: Unit | None = None,
    lot: Lot | None = None,
    serial: SerialNumber | None = None,
    reason_code: str = "",
    note: str = "",
    source: SourceDocument = NO_SOURCE,
    reverses: StockMove | None = None,
    idempotency_key: str = "",
    posted_at: Any = None,
    key_is_new: bool = False,
    release_reserved: Decimal = Decimal(0),
) -> StockMove:
    """Write one move to the ledger and apply it to the balances, all or nothing.

    Refuses (409) to take more than is available at a location that forbids negative stock,
    and to move a serial from where it is not. A repeated `idempotency_key` returns the move
    it first wrote instead of writing another. `key_is_new`: the caller has just looked the key
    up and found no move (a work order's issue does, under the order's lock), so it is not read
    again here; a concurrent first use is still caught by the key's unique constraint.
    `release_reserved`: the reserved quantity at `from_location` of reservations the caller has
    just ended for this move (`consume_reservation(settled_by_move=True)`); the move takes it off
    the balance's reserved as it takes the stock.
    """
    access.require(actor, "inventory.add_stockmove", plant=from_location.plant)
    if idempotency_key and not key_is_new:
        existing = StockMove.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    entered = _quantity(quantity)
    if from_location.plant_id != to_location.plant_id:
        raise ValidationError({"to_location": ["Stock moves stay within one plant; ship it to the other plant."]})
    if from_location.pk == to_location.pk:
        raise ValidationError({"to_location": ["The stock is already there."]})
    if from_location.is_virtual and to_location.is_virtual:
        raise ValidationError({"to_location": ["A move needs a real location on one side."]})
    if release_reserved and from_location.is_virtual:
        raise ValidationError({"from_location": ["Reserved stock is released where it is taken from."]})
    for field, loc in (("from_location", from_location), ("to_location", to_location)):
        if not loc.is_active:
            raise ValidationError({field: [f"{loc.code} is not active."]})
    unit = unit or item.stock_unit
    stock_quantity = entered if unit.pk == item.stock_unit_id else to_stock_units(entered, unit, item, exact=True)
    if stock_quantity <= 0:
        raise ValidationError({"quantity": ["The quantity is zero in the item's stock unit."]})
    lot = _check_tracking(item, stock_quantity, lot, serial)

    move = StockMove(
        organization_id=item.organization_id,
        plant_id=from_location.plant_id,
        item=item,
        quantity=stock_quantity,
        entered_quantity=entered,
        entered_unit=unit,
        lot=lot,
        serial=serial,
        from_location=from_location,
        to_location=to_location,
        kind=kind,
        reason_code=reason_code[:40],
        note=note[:500],
        source_object_type=source.object_type,
        source_object_id=str(source.object_id),
        source_number=source.number,
        reverses=reverses,
        idempotency_key=idempotency_key,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        posted_at=posted_at or timezone.now(),
    )
    try:
        with transaction.atomic():
            move.save(force_insert=True)
    except IntegrityError:
        if idempotency_key:
            existing = StockMove.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        if reverses is not None and StockMove.objects.filter(reverses=reverses).exists():
            raise Conflict(f"Move {reverses.pk} has already been reversed.", code="already_reversed") from None
        raise

    # The serial first (it says best why a serial move is refused), then the balances in
    # location order, so that two opposite transfers never wait on each other in a circle.
    if serial is not None:
        expected_at = None if from_location.is_virtual else from_location.pk
        moved = SerialNumber.objects.filter(pk=serial.pk, location_id=expected_at).update(
            location=None if to_location.is_virtual else to_location,
            status=_serial_status(to_location),
            updated_at=timezone.now(),
        )
        if moved != 1:
            where = "outside the plant" if expected_at is None else f"at {from_location.code}"
            raise Conflict(f"Serial {serial.serial} is not {where}.", code="serial_elsewhere")

    steps = []
    if not from_location.is_virtual:
        steps.append((from_location.pk, "take", from_location))
    if not to_location.is_virtual:
        steps.append((to_location.pk, "put", to_location))
    for _, step, loc in sorted(steps, key=lambda s: s[0]):
        if step == "take":
            _take(item, loc, lot, stock_quantity, release_reserved)
        else:
            _put(item, loc, lot, stock_quantity)

    _check_low_stock(item)
    events.emit(
        "inventory.move.posted",
        {
            "id": move.pk,
            "kind": kind,
            "item": item.pk,
            "quantity": str(stock_quantity),
            "from": from_location.pk,
            "to": to_location.pk,
            "lot": lot.pk if lot else None,
            "serial": serial.pk if serial else None,
        },
    )
    # Last, so the organization's audit chain head is locked only for the commit itself.
    audit.record(
        actor,
        move,
        action="create",
        changes={
            "kind": [None, kind],
            "quantity": [None, str(stock_quantity)],
            "from_location": [None, from_location.code],
            "to_location": [None, to_location.code],
        },
        reason=reason_code,
    )
    return move


def _check_low_stock(item: Item) -> None:
    """Notify once when the item's available stock falls below its reorder point (or minimum).

    The latch row is locked before the total is read, so concurrent moves of the item take
    turns here and each sees the others' committed effect: no crossing is missed or doubled.
    """
    point = item.reorder_point if item.reorder_point is not None else item.minimum_stock
    if point is None:
        return
    LowStockLatch.objects.bulk_create(
        [LowStockLatch(organization_id=item.organization_id, item=item)], ignore_conflicts=True
    )
    latch = LowStockLatch.objects.select_for_update().get(item=item)
    available = selectors.total_available(item=item)
    low = available < point
    if low == latch.is_low:
        return
    LowStockLatch.objects.filter(pk=latch.pk).update(is_low=low, updated_at=timezone.now())
    if low:
        recipients = [
            m.user
            for m in Membership.objects.filter(is_active=True, user__is_active=True)
            .select_related("user")
            .prefetch_related("roles")
            if access.has_perm(m.user, LOW_STOCK_PERMISSION)
        ]
        notifications.notify(
            recipients=recipients,
            event_type=LOW_STOCK,
            title=f"Low stock: {item.number} ({_fmt(available)} {item.stock_unit} available, reorder at {_fmt(point)})",
            body=f"{item.number} {item.name} fell below its reorder point.",
            obj=item,
        )


# --- Operations on top of post_move -------------------------------------------------------------------


def receive(
    *,
    actor: Any,
    item: Item,
    quantity: Any,
    location: Location,
    unit: Unit | None = None,
    lot: Lot | None = None,
    serial: SerialNumber | None = None,
    source: SourceDocument = NO_SOURCE,
    reason_code: str = "",
    note: str = "",
    idempotency_key: str = "",
) -> StockMove:
    """Stock arrives from outside (a supplier) into a location of the plant."""
    if location.is_virtual:
        raise ValidationError({"location": ["Receive into a real location."]})
    return post_move(
        actor=actor,
        item=item,
        quantity=quantity,
        unit=unit,
        lot=lot,
        serial=serial,
        from_location=virtual_location(location.plant_id, LType.SUPPLIER),
        to_location=location,
        kind=Kind.RECEIVE,
        source=source,
        reason_code=reason_code,
        note=note,
        idempotency_key=idempotency_key,
    )


@busy_is_conflict
@transaction.atomic
def issue(
    *,
    actor: Any,
    item: Item,
    quantity: Any,
    location: Location,
    unit: Unit | None = None,
    lot: Lot | None = None,
    serial: SerialNumber | None = None,
    source: SourceDocument = NO_SOURCE,
    reservation: Reservation | None = None,
    reason_code: str = "",
    note: str = "",
    idempotency_key: str = "",
    key_is_new: bool = False,
    release_reserved: Decimal = Decimal(0),
) -> StockMove:
    """Stock leaves a location for production (a work order consumes it).

    With `reservation`, the reservation is consumed, so the issue may use its stock.
    `key_is_new`, `release_reserved`: see `post_move`.
    """
    if location.is_virtual:
        raise ValidationError({"location": ["Issue from a real location."]})
    if reservation is not None:
        if (reservation.item_id, reservation.location_id, reservation.lot_id) != (
            item.pk,
            location.pk,
            lot.pk if lot else None,
        ):
            raise ValidationError({"reservation": ["The reservation is for another item, location or lot."]})
        consume_reservation(actor=actor, reservation=reservation, settled_by_move=True)
        release_reserved += reservation.quantity
    return post_move(
        actor=actor,
        item=item,
        quantity=quantity,
        unit=unit,
        lot=lot,
        serial=serial,
        from_location=location,
        to_location=virtual_location(location.plant_id, LType.PRODUCTION),
        kind=Kind.ISSUE,
        source=source,
        reason_code=reason_code,
        note=note,
        idempotency_key=idempotency_key,
        key_is_new=key_is_new,
        release_reserved=release_reserved,
    )


def transfer(
    *,
    actor: Any,
    item: Item,
    quantity: Any,
    source: Location,
    target: Location,
    unit: Unit | None = None,
    lot: Lot | None = None,
    serial: SerialNumber | None = None,
    document: SourceDocument = NO_SOURCE,
    reason_code: str = "",
    note: str = "",
    idempotency_key: str = "",
) -> StockMove:
    """Move stock between two real locations of one plant; refuses to go negative."""
    if source.is_virtual or target.is_virtual:
        raise ValidationError({"to_location": ["Transfers are between real locations."]})
    return post_move(
        actor=actor,
        item=item,
        quantity=quantity,
        unit=unit,
        lot=lot,
        serial=serial,
        from_location=source,
        to_location=target,
        kind=Kind.TRANSFER,
        source=document,
        reason_code=reason_code,
        note=note,
        idempotency_key=idempotency_key,
    )


def adjust(
    *,
    actor: Any,
    item: Item,
    quantity: Any,
    location: Location,
    reason_code: str,
    unit: Unit | None = None,
    lot: Lot | None = None,
    serial: SerialNumber | None = None,
    note: str = "",
    idempotency_key: str = "",
    kind: str = Kind.ADJUST,
    source: SourceDocument = NO_SOURCE,
) -> StockMove:
    """Correct the books at a location by a signed quantity (found: +, lost: -), with a reason."""
    if not reason_code.strip():
        raise ValidationError({"reason_code": ["An adjustment needs a reason code."]})
    if location.is_virtual:
        raise ValidationError({"location": ["Adjust a real location."]})
    try:
        signed = Decimal(str(quantity))
    except (InvalidOperation, ValueError):
        raise ValidationError({"quantity": [f"'{quantity}' is not a number."]}) from None
    if not signed.is_finite() or signed == 0:
        raise ValidationError({"quantity": ["Give a quantity other than zero (+ found, - lost)."]})
    virtual = virtual_location(location.plant_id, LType.ADJUSTMENT)
    return post_move(
        actor=actor,
        item=item,
        quantity=abs(signed),
        unit=unit,
        lot=lot,
        serial=serial,
        from_location=virtual if signed > 0 else location,
        to_location=location if signed > 0 else virtual,
        kind=kind,
        reason_code=reason_code.strip(),
        note=note,
        source=source,
        idempotency_key=idempotency_key,
    )


def scrap(
    *,
    actor: Any,
    item: Item,
    quantity: Any,
    location: Location,
    reason_code: str,
    target: Location | None = None,
    unit: Unit | None = None,
    lot: Lot | None = None,
    serial: SerialNumber | None = None,
    note: str = "",
    idempotency_key: str = "",
) -> StockMove:
    """Move unusable stock to a scrap location (the plant's own unless one is named)."""
    if not reason_code.strip():
        raise ValidationError({"reason_code": ["Scrapping needs a reason code."]})
    target = target or scrap_location(location.plant_id)
    if target.location_type != LType.SCRAP:
        raise ValidationError({"target": [f"{target.code} is not a scrap location."]})
    return post_move(
        actor=actor,
        item=item,
        quantity=quantity,
        unit=unit,
        lot=lot,
        serial=serial,
        from_location=location,
        to_location=target,
        kind=Kind.SCRAP,
        reason_code=reason_code.strip(),
        note=note,
        idempotency_key=idempotency_key,
    )


@busy_is_conflict
@transaction.atomic
def reverse(*, actor: Any, move: StockMove, note: str = "", idempotency_key: str = "") -> StockMove:
    """Undo a move by the opposite move, linked to it. A move is reversed at most once."""
    access.require(actor, "inventory.reverse_stockmove", plant=move.plant)
    if StockMove.objects.filter(reverses=move).exists():
        raise Conflict(f"Move {move.pk} has already been reversed.", code="already_reversed")
    return post_move(
        actor=actor,
        item=move.item,
        quantity=move.quantity,
        lot=move.lot,
        serial=move.serial,
        from_location=move.to_location,
        to_location=move.from_location,
        kind=move.kind,
        reason_code="reversal",
        note=note or f"Reverses move {move.pk}",
        source=SourceDocument(move.source_object_type, move.source_object_id, move.source_number),
        reverses=move,
        idempotency_key=idempotency_key,
    )


# --- Reservations ---------------------------------------------------------------------------------------


@busy_is_conflict
@transaction.atomic
def reserve(
    *,
    actor: Any,
    item: Item,
    location: Location,
    quantity: Any,
    lot: Lot | None = None,
    unit: Unit | None = None,
    source: SourceDocument = NO_SOURCE,
) -> Reservation:
    """Promise stock at a location to a document. Reserved never exceeds on hand (409 if it would)."""
    access.require(actor, "inventory.add_reservation", plant=location.plant)
    if location.is_virtual:
        raise ValidationError({"location": ["Reserve at a real location."]})
    entered = _quantity(quantity)
    unit = unit or item.stock_unit
    q = entered if unit.pk == item.stock_unit_id else to_stock_units(entered, unit, item, exact=True)
    if item.tracking == Item.Tracking.LOT and lot is None:
        raise ValidationError({"lot": [f"{item.number} is tracked by lot: reserve a lot."]})
    if lot is not None and lot.item_id != item.pk:
        raise ValidationError({"lot": ["The lot belongs to another item."]})
    return _hold(actor=actor, item=item, location=location, lot=lot, quantity=q, source=source)


def _hold(
    *, actor: Any, item: Item, location: Location, lot: Lot | None, quantity: Decimal, source: SourceDocument
) -> Reservation:
    """Raise the balance's reserved quantity by a conditional UPDATE and record the reservation."""
    q = quantity
    updated = (
        _balance_rows(item, location, lot)
        .filter(on_hand__gte=F("reserved") + q)
        .update(reserved=F("reserved") + q, updated_at=timezone.now())
    )
    if updated == 0:
        available = selectors.available_at(item=item, location=location, lot=lot)
        raise Conflict(
            f"Only {_fmt(max(available, Decimal(0)))} {item.stock_unit} of {item.number} available at {location.code}.",
            code="insufficient_stock",
        )
    reservation = Reservation.objects.create(
        organization_id=item.organization_id,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        item=item,
        location=location,
        lot=lot,
        quantity=q,
        source_object_type=source.object_type,
        source_object_id=str(source.object_id),
        source_number=source.number,
        status=workflow_services.initial_state(Reservation),
    )
    audit.record(actor, reservation, action="create", changes=audit.diff({}, audit.snapshot(reservation)))
    events.emit("inventory.reservation.created", {"id": reservation.pk, "item": item.pk, "quantity": str(q)})
    return reservation


def _end_reservation(*, actor: Any, reservation: Reservation, to_state: str, balance: bool = True) -> Reservation:
    # The transition locks the reservation row and refuses a second release (409).
    result = workflow_services.transition(reservation, to_state, actor)
    if not balance:  # the move that follows takes it off the balance (settled_by_move)
        return result.obj  # type: ignore[return-value]
    updated = (
        _balance_rows(reservation.item, reservation.location, reservation.lot)
        .filter(reserved__gte=reservation.quantity)
        .update(reserved=F("reserved") - reservation.quantity, updated_at=timezone.now())
    )
    if updated != 1:
        raise Conflict("The reserved quantity is no longer on the balance.")
    return result.obj  # type: ignore[return-value]


@busy_is_conflict
@transaction.atomic
def consume_reservation(
    *, actor: Any, reservation: Reservation, quantity: Any = None, settled_by_move: bool = False
) -> Reservation | None:
    """The reservation's document takes its stock now (an issue or a shipment posted next, in the
    same transaction): the reservation ends as consumed, so that move may use the stock.

    Consuming part of it still ends it whole (its history reads as one promise kept) and the rest
    is reserved again at once for the same document: that new reservation is returned, None when
    nothing is left. Needs the right to post stock moves, as the move that follows does.

    `settled_by_move` (a whole reservation only): the balance's reserved quantity is left for the
    move the caller posts next to take off, with `post_move(release_reserved=...)`, in the same
    update as the stock: a busy balance row (one bin feeding a whole floor) is then written once
    per issue, and locked only from the move to the commit.
    """
    access.require(actor, "inventory.add_stockmove", plant=reservation.location.plant)
    take = reservation.quantity if quantity is None else _quantity(quantity)
    if take > reservation.quantity:
        raise ValidationError(
            {"quantity": [f"The reservation holds {_fmt(reservation.quantity)}; it cannot give {_fmt(take)}."]}
        )
    if settled_by_move and take != reservation.quantity:
        raise ValidationError({"quantity": ["Only a whole reservation is settled by the move."]})
    _end_reservation(actor=actor, reservation=reservation, to_state="consumed", balance=not settled_by_move)
    rest = reservation.quantity - take
    if rest <= 0:
        return None
    return _hold(
        actor=actor,
        item=reservation.item,
        location=reservation.location,
        lot=reservation.lot,
        quantity=rest,
        source=SourceDocument(reservation.source_object_type, reservation.source_object_id, reservation.source_number),
    )


@busy_is_conflict
@transaction.atomic
def release(*, actor: Any, reservation: Reservation) -> Reservation:
    """Let reserved stock go: it is available again."""
    return _end_reservation(actor=actor, reservation=reservation, to_state="released")


# --- Cycle counts -------------------------------------------------------------------------------------------


@busy_is_conflict
@transaction.atomic
def start_count(*, actor: Any, location: Location, items: list[Item] | None = None, note: str = "") -> CycleCount:
    """Open a count of a location with the books' quantities frozen as the expected ones.

    Serial-tracked items are counted by scanning serials, not here.
    """
    access.require(actor, "inventory.add_cyclecount", plant=location.plant)
    if location.is_virtual:
        raise ValidationError({"location": ["Count a real location."]})
    count = CycleCount.objects.create(
        organization_id=location.organization_id,
        plant_id=location.plant_id,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        number=numbering.next_number("cycle_count"),
        location=location,
        note=note,
        status=workflow_services.initial_state(CycleCount),
    )
    balances = StockBalance.objects.filter(location=location).exclude(item__tracking=Item.Tracking.SERIAL)
    if items is not None:
        balances = balances.filter(item__in=items)
    lines = [
        CycleCountLine(
            organization_id=count.organization_id,
            count=count,
            item_id=b.item_id,
            lot_id=b.lot_id,
            expected_quantity=b.on_hand,
        )
        for b in balances
    ]
    seen = {line.item_id for line in lines}
    for item in items or []:
        if item.pk not in seen and item.tracking == Item.Tracking.NONE:
            lines.append(CycleCountLine(organization_id=count.organization_id, count=count, item=item))
    CycleCountLine.objects.bulk_create(lines)
    audit.record(
        actor, count, action="create", changes={"location": [None, location.code], "lines": [None, len(lines)]}
    )
    return count


def _counting(count: CycleCount) -> CycleCount:
    locked = CycleCount.objects.select_for_update().get(pk=count.pk)
    if locked.status != "counting":
        raise Conflict(f"Count {locked.number} is {locked.status}; it can be changed only while counting.")
    return locked


@transaction.atomic
def add_count_line(*, actor: Any, count: CycleCount, item: Item, lot: Lot | None = None) -> CycleCountLine:
    """Something found at the location that the books did not expect there (expected 0)."""
    access.require(actor, "inventory.change_cyclecount", plant=count.plant)
    count = _counting(count)
    if item.tracking == Item.Tracking.SERIAL:
        raise ValidationError({"item": ["Serial-tracked items are counted by scanning serials."]})
    _check_tracking(item, Decimal(1), lot, None)
    expected = _balance_rows(item, count.location, lot).values_list("on_hand", flat=True).first()
    try:
        with transaction.atomic():
            line = CycleCountLine.objects.create(
                organization_id=count.organization_id,
                count=count,
                item=item,
                lot=lot,
                expected_quantity=expected or Decimal(0),
            )
    except IntegrityError:
        raise Conflict("The count already has a line for this item and lot.") from None
    audit.record(actor, line, action="create", changes={"item": [None, item.number]})
    return line


@transaction.atomic
def record_count(*, actor: Any, line: CycleCountLine, counted_quantity: Any) -> CycleCountLine:
    """Enter what was found on the shelf for one line."""
    count = line.count
    access.require(actor, "inventory.change_cyclecount", plant=count.plant)
    _counting(count)
    try:
        counted = Decimal(str(counted_quantity))
    except (InvalidOperation, ValueError):
        raise ValidationError({"counted_quantity": [f"'{counted_quantity}' is not a number."]}) from None
    if not counted.is_finite() or counted < 0:
        raise ValidationError({"counted_quantity": ["Give the quantity found (zero or more)."]})
    before = line.counted_quantity
    CycleCountLine.objects.filter(pk=line.pk).update(counted_quantity=counted, updated_at=timezone.now())
    line.refresh_from_db()
    audit.record(actor, line, action="update", changes={"counted_quantity": [str(before), str(counted)]})
    return line


@transaction.atomic
def submit_count(*, actor: Any, count: CycleCount) -> CycleCount:
    """Counting is done: every line needs a counted quantity."""
    missing = count.lines.filter(counted_quantity__isnull=True).count()
    if missing:
        raise ValidationError({"lines": [f"{missing} line(s) have not been counted yet."]})
    workflow_services.transition(count, "submitted", actor)
    return CycleCount.objects.get(pk=count.pk)


@busy_is_conflict
@transaction.atomic
def post_count(*, actor: Any, count: CycleCount) -> CycleCount:
    """Post each line's variance as an adjustment; a variance above the threshold needs approval first.

    All of it or nothing: the move of one line refused (the stock moved meanwhile) refuses the post.
    """
    # The transition locks the count, checks the permission and the threshold guard.
    workflow_services.transition(count, "posted", actor)
    count = CycleCount.objects.select_related("location", "plant").get(pk=count.pk)
    for line in count.lines.select_related("item__stock_unit", "lot").filter(counted_quantity__isnull=False):
        variance = line.counted_quantity - line.expected_quantity
        if variance == 0:
            continue
        move = adjust(
            actor=actor,
            item=line.item,
            quantity=variance,
            location=count.location,
            lot=line.lot,
            reason_code="cycle-count",
            kind=Kind.COUNT,
            source=SourceDocument("inventory.cyclecount", str(count.pk), count.number),
            note=f"Count {count.number}",
        )
        CycleCountLine.objects.filter(pk=line.pk).update(move=move, updated_at=timezone.now())
    CycleCount.objects.filter(pk=count.pk).update(posted_at=timezone.now())
    count.refresh_from_db()
    events.emit("inventory.cyclecount.posted", {"id": count.pk, "number": count.number})
    return count
