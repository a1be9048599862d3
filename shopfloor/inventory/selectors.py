"""Read queries of the inventory: balances, availability, the ledger, stock as of a date, FEFO."""

from __future__ import annotations

import base64
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime

from shopfloor.catalog.models import QUANTITY, Item

from .models import CycleCount, Location, Lot, Reservation, SerialNumber, StockBalance, StockMove

ZERO = Value(Decimal(0), output_field=DecimalField(**QUANTITY))
# Stock in these places is on hand but not for use.
UNAVAILABLE_TYPES = (Location.Type.SCRAP, Location.Type.QUARANTINE)


def locations() -> QuerySet[Location]:
    return Location.objects.select_related("plant", "parent")


def lots() -> QuerySet[Lot]:
    return Lot.objects.select_related("item")


def serial_numbers() -> QuerySet[SerialNumber]:
    return SerialNumber.objects.select_related("item", "lot", "location")


def moves() -> QuerySet[StockMove]:
    return StockMove.objects.select_related(
        "item__stock_unit", "entered_unit", "lot", "serial", "from_location", "to_location", "actor"
    )


def balances() -> QuerySet[StockBalance]:
    return StockBalance.objects.select_related("item__stock_unit", "location", "lot")


def reservations() -> QuerySet[Reservation]:
    return Reservation.objects.select_related("item", "location", "lot")


def cycle_counts() -> QuerySet[CycleCount]:
    return CycleCount.objects.select_related("location", "plant")


def descendant_ids(location: Location) -> list[int]:
    """The location and everything below it (one query per tree level)."""
    found = [location.pk]
    frontier = [location.pk]
    while frontier:
        frontier = list(Location.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        found.extend(frontier)
    return found


def location_tree(plant: Any) -> list[tuple[Location, int]]:
    """(location, depth) in tree order for a plant, from one query."""
    rows = list(Location.objects.filter(plant=plant).order_by("code"))
    children: dict[int | None, list[Location]] = {}
    for loc in rows:
        children.setdefault(loc.parent_id, []).append(loc)
    out: list[tuple[Location, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for loc in children.get(parent, []):
            out.append((loc, depth))
            walk(loc.pk, depth + 1)

    walk(None, 0)
    return out


def stock_balances(
    *, item: Item | None = None, location: Location | None = None, lot: Lot | None = None, include_children: bool = True
) -> QuerySet[StockBalance]:
    """Balance rows filtered by item, location (with its child locations) and lot."""
    qs = balances()
    if item is not None:
        qs = qs.filter(item=item)
    if location is not None:
        qs = qs.filter(location_id__in=descendant_ids(location)) if include_children else qs.filter(location=location)
    if lot is not None:
        qs = qs.filter(lot=lot)
    return qs


@dataclass(frozen=True)
class Stock:
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


def stock_totals(
    *, item: Item | None = None, location: Location | None = None, lot: Lot | None = None, include_children: bool = True
) -> Stock:
    """On hand, reserved and available summed over the matching balances."""
    sums = stock_balances(item=item, location=location, lot=lot, include_children=include_children).aggregate(
        on_hand=Coalesce(Sum("on_hand"), ZERO), reserved=Coalesce(Sum("reserved"), ZERO)
    )
    return Stock(on_hand=sums["on_hand"], reserved=sums["reserved"])


def available_at(*, item: Item, location: Location, lot: Lot | None = None) -> Decimal:
    row = StockBalance.objects.filter(item=item, location=location, lot=lot).values("on_hand", "reserved").first()
    return (row["on_hand"] - row["reserved"]) if row else Decimal(0)


def total_available(*, item: Item) -> Decimal:
    """What of the item can be used anywhere in the organization (not scrap or quarantine)."""
    sums = (
        StockBalance.objects.filter(item=item)
        .exclude(location__location_type__in=UNAVAILABLE_TYPES)
        .aggregate(avail=Coalesce(Sum(F("on_hand") - F("reserved")), ZERO))
    )
    return sums["avail"]


def balances_by_item(*, plant: Any = None) -> QuerySet[Any]:
    """One row per item: on hand, reserved, available (for the balances page)."""
    qs = StockBalance.objects.exclude(on_hand=0, reserved=0)
    if plant is not None:
        qs = qs.filter(location__plant=plant)
    return (
        qs.values("item_id", "item__number", "item__name", "item__stock_unit__code")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        .order_by("item__number")
    )


# --- The ledger ---------------------------------------------------------------------------------------


def encode_cursor(move: StockMove) -> str:
    raw = f"{move.posted_at.isoformat()}|{move.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.rsplit("|", 1)
        when = parse_datetime(stamp)
        return (when, int(pk)) if when is not None else None
    except (ValueError, UnicodeDecodeError):
        return None


def ledger(
    queryset: QuerySet[StockMove] | None = None, *, after: tuple[datetime, int] | None = None, size: int = 50
) -> list[StockMove]:
    """One page of the history, newest first, continuing after the (posted_at, id) of the last row seen.

    Keyset paging: the index on (organization, posted_at, id) is entered at the cursor and
    read for `size` rows, so page 10,000 costs what page 1 costs. The `posted_at <= t` term
    is what lets the database range-scan the index; the OR only settles ties on the instant.
    """
    qs = moves() if queryset is None else queryset
    if after is not None:
        when, pk = after
        qs = qs.filter(Q(posted_at__lte=when) & (Q(posted_at__lt=when) | Q(pk__lt=pk)))
    return list(qs.order_by("-posted_at", "-id")[:size])


def item_ledger(*, item: Item) -> QuerySet[StockMove]:
    return moves().filter(item=item)


def stock_as_of(
    *,
    when: datetime,
    item: Item | None = None,
    location: Location | None = None,
    include_children: bool = True,
    plant_ids: Collection[int] | None = None,
) -> list[dict[str, Any]]:
    """What was on hand at `when`, per item, location and lot: the sum of the moves up to it.

    Only real locations; virtual ones keep no stock. `plant_ids` keeps to the locations of those
    plants (a plant-limited user's view); None: every plant.
    """
    qs = StockMove.objects.filter(posted_at__lte=when)
    if item is not None:
        qs = qs.filter(item=item)
    ids = descendant_ids(location) if location is not None else None
    totals: dict[tuple[int, int, int | None], Decimal] = {}
    inbound = qs.exclude(to_location__location_type__in=Location.VIRTUAL_TYPES)
    outbound = qs.exclude(from_location__location_type__in=Location.VIRTUAL_TYPES)
    if plant_ids is not None:
        inbound = inbound.filter(to_location__plant_id__in=plant_ids)
        outbound = outbound.filter(from_location__plant_id__in=plant_ids)
    if ids is not None:
        inbound = inbound.filter(to_location_id__in=ids)
        outbound = outbound.filter(from_location_id__in=ids)
    for row in inbound.values("item_id", "to_location_id", "lot_id").annotate(q=Sum("quantity")):
        key = (row["item_id"], row["to_location_id"], row["lot_id"])
        totals[key] = totals.get(key, Decimal(0)) + row["q"]
    for row in outbound.values("item_id", "from_location_id", "lot_id").annotate(q=Sum("quantity")):
        key = (row["item_id"], row["from_location_id"], row["lot_id"])
        totals[key] = totals.get(key, Decimal(0)) - row["q"]
    return [
        {"item": i, "location": loc, "lot": lot, "on_hand": q}
        for (i, loc, lot), q in sorted(totals.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0))
        if q != 0
    ]


def ledger_sums() -> dict[tuple[int, int, int | None], Decimal]:
    """Every real location's balance recomputed from the whole ledger (checks and tests)."""
    from django.utils import timezone

    return {(r["item"], r["location"], r["lot"]): r["on_hand"] for r in stock_as_of(when=timezone.now())}


# --- Picking and counting -------------------------------------------------------------------------------------


def fefo(*, item: Item, location: Location | None = None, quantity: Decimal | None = None) -> list[dict[str, Any]]:
    """Lots to pick from, first expiring first out (then first received), with what is available of each.

    With `quantity`, stops once enough is suggested and says how much to take of each.
    """
    qs = (
        StockBalance.objects.filter(item=item, on_hand__gt=F("reserved"))
        .exclude(location__location_type__in=UNAVAILABLE_TYPES)
        .select_related("lot", "location")
    )
    if location is not None:
        qs = qs.filter(location_id__in=descendant_ids(location))
    qs = qs.annotate(
        no_expiry=Case(When(lot__expires_on__isnull=True, then=Value(1)), default=Value(0)),
    ).order_by("no_expiry", "lot__expires_on", "lot__created_at", "location__code", "id")
    out = []
    remaining = quantity
    for b in qs:
        available = b.on_hand - b.reserved
        row = {
            "lot": b.lot,
            "location": b.location,
            "available": available,
            "expires_on": b.lot.expires_on if b.lot else None,
        }
        if remaining is not None:
            take = min(available, remaining)
            row["take"] = take
            remaining -= take
        out.append(row)
        if remaining is not None and remaining <= 0:
            break
    return out


def count_variance_value(*, count: CycleCount) -> Decimal:
    """The absolute variance of a count, valued at standard cost."""
    total = Decimal(0)
    for line in count.lines.select_related("item").filter(counted_quantity__isnull=False):
        total += abs(line.counted_quantity - line.expected_quantity) * line.item.standard_cost
    return total
