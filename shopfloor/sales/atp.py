"""Available-to-promise: the earliest date a sales order line can be shipped in full.

Supply comes from three places, in this order:
1. stock the line has already reserved (it ships today);
2. free stock of the plant (on hand minus reserved, outside quarantine and scrap), then the
   expected receipts of the registered supply sources, in date order. Other promised orders
   due earlier take their share first;
3. when nothing covers it, today plus the item's lead time (manufacturing for made items,
   purchase for bought ones): a new work order or purchase order would bring it then.

Sales sits below production and purchasing, so it cannot ask them about open work orders or
purchase orders. They register a supply source instead:

    from shopfloor.sales.atp import register_supply_source

    @register_supply_source
    def open_work_orders(item, plant) -> list[tuple[date, Decimal]]:
        ...  # (expected date, quantity in the item's stock unit) of each open work order

A source's quantities are in the item's stock unit; dates in the past count as today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from shopfloor.catalog.models import Item
from shopfloor.core.quantities import plain as _fmt

from . import selectors
from .models import SalesOrder, SalesOrderLine

SupplySource = Callable[[Item, Any], list[tuple[date, Decimal]]]

_SOURCES: list[SupplySource] = []


def register_supply_source(func: SupplySource) -> SupplySource:
    """Add `func(item, plant) -> [(date, quantity)]` to the expected receipts ATP counts on (idempotent)."""
    if func not in _SOURCES:
        _SOURCES.append(func)
    return func


def unregister_supply_source(func: SupplySource) -> None:
    if func in _SOURCES:
        _SOURCES.remove(func)


def supply_sources() -> list[SupplySource]:
    return list(_SOURCES)


def expected_receipts(*, item: Item, plant: Any, today: date | None = None) -> list[tuple[date, Decimal]]:
    """Every registered source's expected receipts of the item at the plant, merged by date."""
    today = today or timezone.localdate()
    merged: dict[date, Decimal] = {}
    for source in _SOURCES:
        for when, quantity in source(item, plant) or []:
            quantity = Decimal(str(quantity))
            if quantity <= 0:
                continue
            day = max(when, today)
            merged[day] = merged.get(day, Decimal(0)) + quantity
    return sorted(merged.items())


@dataclass(frozen=True)
class Promise:
    """When a line (or a quantity of an item) can be shipped in full, and what covers it."""

    date: date | None
    basis: str  # "reserved", "stock", "supply", "lead_time", "done"
    needed: Decimal
    reserved: Decimal = Decimal(0)
    explanation: str = ""
    receipts: list[tuple[date, Decimal]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return {
            "reserved": "Reserved stock",
            "stock": "Free stock",
            "supply": "Expected receipt",
            "lead_time": "Lead time",
            "done": "Nothing left to ship",
        }.get(self.basis, self.basis)

    def late_for(self, due: date) -> bool:
        return self.date is not None and self.date > due


def lead_time_days(item: Item) -> int:
    if item.make_or_buy == Item.MakeOrBuy.BUY:
        return item.purchase_lead_time_days
    return item.manufacturing_lead_time_days


def promise(
    *,
    item: Item,
    plant: Any,
    quantity: Decimal,
    reserved: Decimal = Decimal(0),
    demand_before: Decimal = Decimal(0),
    today: date | None = None,
) -> Promise:
    """The ATP date of `quantity` (stock units) of an item at a plant, `reserved` of it already held,
    after `demand_before` of earlier promises is served."""
    today = today or timezone.localdate()
    need = quantity - reserved
    if quantity <= 0:
        return Promise(date=None, basis="done", needed=Decimal(0), explanation="Nothing left to ship.")
    if need <= 0:
        return Promise(
            date=today,
            basis="reserved",
            needed=quantity,
            reserved=reserved,
            explanation="Fully covered by reserved stock.",
        )
    free = selectors.free_stock(item=item, plant=plant)
    receipts = expected_receipts(item=item, plant=plant, today=today)
    target = demand_before + need
    if free >= target:
        return Promise(
            date=today,
            basis="stock",
            needed=quantity,
            reserved=reserved,
            explanation=f"{_fmt(free)} free in stock.",
            receipts=receipts,
        )
    cumulative = free
    for when, q in receipts:
        cumulative += q
        if cumulative >= target:
            return Promise(
                date=when,
                basis="supply",
                needed=quantity,
                reserved=reserved,
                explanation=f"Covered by expected receipts up to {when.isoformat()} "
                f"({_fmt(free)} free now, {_fmt(demand_before)} promised to earlier orders).",
                receipts=receipts,
            )
    days = lead_time_days(item)
    kind = "purchase" if item.make_or_buy == Item.MakeOrBuy.BUY else "manufacturing"
    return Promise(
        date=today + timedelta(days=days),
        basis="lead_time",
        needed=quantity,
        reserved=reserved,
        explanation=f"Stock and expected receipts fall short by {_fmt(target - cumulative)}; "
        f"{kind} lead time {days} day(s).",
        receipts=receipts,
    )


def for_line(line: SalesOrderLine, *, today: date | None = None) -> Promise:
    """The line's ATP: its reservations first, then free stock and supply after earlier promises."""
    return promise(
        item=line.item,
        plant=line.order.plant,
        quantity=line.open_quantity,
        reserved=min(line.reserved_quantity, line.open_quantity),
        demand_before=selectors.committed_demand_before(line=line) if line.open_quantity > 0 else Decimal(0),
        today=today,
    )


def for_order(order: SalesOrder, *, today: date | None = None) -> dict[int, Promise]:
    """Each line's ATP, by line id."""
    return {line.pk: for_line(line, today=today) for line in selectors.lines_of(order).select_related("order__plant")}
