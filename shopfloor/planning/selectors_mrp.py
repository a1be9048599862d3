"""What an MRP run reads, in bulk: a handful of `values_list` queries per plant, never one per item.

`load_input` returns the engine's `MrpInput`: items and their planning parameters, released
BOMs (through the catalog's in-memory graph, unit conversions and scrap already applied),
available stock, open sales order lines, forecasts, open purchase order lines and work
orders with their unissued components, and the plant's working calendar. Every query goes
through the tenant-scoped managers, so another organization's rows are never read.

What counts:
- stock: on hand less reserved, over the plant's active locations that are neither
  quarantine, scrap nor virtual; an item's negative total counts as none;
- sales order lines: open lines (open or partially shipped) of orders that are past draft
  and not closed, cancelled or shipped; the line asks for its open quantity (ordered less
  shipped) less what is reserved for it;
- purchase order lines: lines of orders not received, closed or cancelled, for ordered less
  received (converted to the stock unit), due on the line's date, else the order's expected
  date, else the plan date;
- work orders: open production orders (draft to on hold) bring quantity less received on
  their due date; every open order (repairs too) asks for its components' required less
  issued less reserved (the reserved part is covered by its stock) quantity at its planned start (else its release date, else its due date). A work
  order not released yet has no component rows: its item's released BOM stands for them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.expressions import RawSQL

from shopfloor.catalog import selectors as catalog_selectors
from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.models import BomVersion, Item, Unit
from shopfloor.core.models import Plant
from shopfloor.inventory.models import Location, Reservation, StockBalance
from shopfloor.inventory.selectors import UNAVAILABLE_TYPES
from shopfloor.planning.models import Forecast
from shopfloor.production.models import WorkOrder, WorkOrderMaterial
from shopfloor.production.selectors import MATERIAL_SOURCE
from shopfloor.purchasing.models import PurchaseOrderLine
from shopfloor.resources.models import CalendarException, Routing, ShiftPattern, WorkingCalendar
from shopfloor.sales.models import SalesOrderLine

from . import mrp_engine as engine

ZERO = Decimal(0)
CLOSED_SALES_ORDER_STATES = ("draft", "shipped", "closed", "cancelled")
CLOSED_PURCHASE_ORDER_STATES = ("received", "closed", "cancelled")
CALENDAR_LOOKBACK_DAYS = 400  # holidays this far back still count when a lead time reaches before today


def _ids(ids: list[int]) -> RawSQL | list[int]:
    """`ids` as one bound parameter (an array on PostgreSQL, a JSON list on SQLite): 20,000 ids
    stay one short statement and meet no driver limit on parameters."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])
    return ids


def _available_stock(plant: Plant) -> dict[int, Decimal]:
    rows = (
        StockBalance.objects.filter(location__plant=plant, location__is_active=True)
        .exclude(location__location_type__in=(*UNAVAILABLE_TYPES, *Location.VIRTUAL_TYPES))
        .values("item_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
        .values_list("item_id", "on_hand", "reserved")
    )
    stock: dict[int, Decimal] = {}
    for item_id, on_hand, reserved in rows:
        free = Decimal(on_hand or 0) - Decimal(reserved or 0)
        stock[item_id] = free if free > 0 else ZERO
    return stock


def _sales_demands(plant: Plant) -> list[engine.Demand]:
    rows = (
        SalesOrderLine.objects.filter(order__plant=plant, status__in=SalesOrderLine.OPEN_STATUSES)
        .exclude(order__status__in=CLOSED_SALES_ORDER_STATES)
        .values_list("id", "item_id", "due_date", "stock_quantity", "shipped_quantity", "reserved_quantity")
        .order_by("id")
    )
    out = []
    for line_id, item_id, due, ordered, shipped, reserved in rows:
        open_quantity = ordered - shipped
        if open_quantity <= 0:
            continue
        unreserved = open_quantity - reserved
        out.append(
            engine.Demand(
                item_id,
                due,
                unreserved if unreserved > 0 else ZERO,
                engine.SALES_ORDER,
                ref=line_id,
                gross=open_quantity,
            )
        )
    return out


def _forecasts(plant: Plant, horizon_end: date) -> list[engine.Forecast]:
    rows = Forecast.objects.filter(plant=plant, period_start__lte=horizon_end, quantity__gt=0).values_list(
        "id", "item_id", "period_start", "quantity"
    )
    return [engine.Forecast(pk, item_id, start, quantity) for pk, item_id, start, quantity in rows.order_by("id")]


def _purchase_receipts(plant: Plant, plan_date: date) -> list[engine.Receipt]:
    rows = list(
        PurchaseOrderLine.objects.filter(order__plant=plant)
        .exclude(order__status__in=CLOSED_PURCHASE_ORDER_STATES)
        .values_list(
            "id",
            "item_id",
            "quantity",
            "received_quantity",
            "unit_id",
            "item__stock_unit_id",
            "due_date",
            "order__expected_date",
            "order__number",
            "position",
        )
        .order_by("id")
    )
    factors: dict[tuple[int, int], Decimal] = {}
    pairs = {(row[1], row[4]) for row in rows if row[4] != row[5]}
    if pairs:
        units = Unit.objects.in_bulk({unit for _, unit in pairs})
        items = Item.objects.select_related("stock_unit").in_bulk({item for item, _ in pairs})
        for item_id, unit_id in sorted(pairs):
            item = items[item_id]
            factor = catalog_services.conversion_factor(units[unit_id], item.stock_unit, item)
            factors[(item_id, unit_id)] = Decimal(factor.numerator) / Decimal(factor.denominator)
    out = []
    for line_id, item_id, quantity, received, unit_id, stock_unit_id, due, expected, number, position in rows:
        left = quantity - received
        if left <= 0:
            continue
        if unit_id != stock_unit_id:
            left = (left * factors[(item_id, unit_id)]).quantize(engine.QUANTUM)
        out.append(
            engine.Receipt(
                item_id, due or expected or plan_date, left, engine.PURCHASE, line_id, f"PO {number}/{position}"
            )
        )
    return out


def _work_orders(plant: Plant) -> list[tuple[Any, ...]]:
    return list(
        WorkOrder.objects.filter(plant=plant, status__in=WorkOrder.OPEN_STATES)
        .values_list(
            "id",
            "number",
            "kind",
            "item_id",
            "quantity",
            "received_quantity",
            "due_date",
            "planned_start",
            "released_at",
        )
        .order_by("id")
    )


def _work_order_supply_and_demand(
    orders: list[tuple[Any, ...]],
) -> tuple[list[engine.Receipt], list[engine.Demand], dict[int, tuple[Decimal, date, int]]]:
    """Receipts of production orders, their component demands, and (open quantity, date, item)
    of the orders with no component rows yet (exploded from the BOM once it is loaded)."""
    receipts: list[engine.Receipt] = []
    demands: list[engine.Demand] = []
    when: dict[int, date] = {}
    by_id: dict[int, tuple[Any, ...]] = {}
    for pk, number, kind, item_id, quantity, received, due, planned_start, released_at in orders:
        by_id[pk] = (item_id, quantity - received)
        when[pk] = planned_start or (released_at.date() if released_at else None) or due
        if kind == WorkOrder.Kind.PRODUCTION and quantity - received > 0:
            receipts.append(
                engine.Receipt(item_id, due, quantity - received, engine.PRODUCTION, pk, f"Work order {number}")
            )
    with_materials: set[int] = set()
    if by_id:
        materials = (
            WorkOrderMaterial.objects.filter(work_order_id__in=_ids(sorted(by_id)))
            .values_list("id", "work_order_id", "component_id", "required_quantity", "issued_quantity")
            .order_by("id")
        )
        reserved = _material_reservations()
        for pk, wo_id, component_id, required, issued in materials:
            with_materials.add(wo_id)
            # The part already reserved for the line is covered by that stock (not available
            # to anyone else), as for sales order lines.
            need = required - issued - reserved.get(str(pk), ZERO)
            if need > 0:
                demands.append(engine.Demand(component_id, when[wo_id], need, engine.WORK_ORDER, ref=wo_id))
    unexploded = {
        pk: (open_quantity, when[pk], item_id)
        for pk, (item_id, open_quantity) in by_id.items()
        if pk not in with_materials and open_quantity > 0
    }
    return receipts, demands, unexploded


def _material_reservations() -> dict[str, Decimal]:
    """Open reservations of work order material lines, per line id (as the ledger stores it)."""
    rows = (
        Reservation.objects.filter(source_object_type=MATERIAL_SOURCE, status="open")
        .values("source_object_id")
        .annotate(total=Sum("quantity"))
        .values_list("source_object_id", "total")
    )
    return {line_id: Decimal(total) for line_id, total in rows}


def _calendar(plant: Plant, plan_date: date, horizon_end: date) -> engine.Calendar:
    """The plant's calendar, else the organization's first; none at all: Monday to Friday."""
    calendar = (
        WorkingCalendar.objects.filter(plant=plant).order_by("name", "id").first()
        or WorkingCalendar.objects.order_by("name", "id").first()
    )
    if calendar is None:
        return engine.Calendar("Monday to Friday (no working calendar defined)", frozenset(range(5)))
    weekdays = frozenset(ShiftPattern.objects.filter(calendar=calendar).values_list("weekday", flat=True))
    closed, extra = set(), set()
    for day, kind in CalendarException.objects.filter(
        calendar=calendar,
        date__gte=plan_date - timedelta(days=CALENDAR_LOOKBACK_DAYS),
        date__lte=horizon_end,
    ).values_list("date", "kind"):
        (extra if kind == CalendarException.Kind.EXTRA_SHIFT else closed).add(day)
    return engine.Calendar(calendar.name, weekdays, frozenset(closed), frozenset(extra - closed))


def _released_versions(on: date) -> dict[int, int]:
    effective = (Q(effective_from__isnull=True) | Q(effective_from__lte=on)) & (
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    return dict(BomVersion.objects.filter(effective, status="released").values_list("item_id", "id"))


def load_input(*, plant: Plant, plan_date: date, horizon_days: int) -> engine.MrpInput:
    """Everything a run of `plant` needs, read in bulk (see the module's rules)."""
    horizon_end = plan_date + timedelta(days=horizon_days)
    stock = _available_stock(plant)
    sales = _sales_demands(plant)
    forecasts = _forecasts(plant, horizon_end)
    purchases = _purchase_receipts(plant, plan_date)
    orders = _work_orders(plant)
    wo_receipts, wo_demands, unexploded = _work_order_supply_and_demand(orders)

    roots = set(stock)
    roots.update(d.item_id for d in sales)
    roots.update(f.item_id for f in forecasts)
    roots.update(r.item_id for r in purchases)
    roots.update(r.item_id for r in wo_receipts)
    roots.update(d.item_id for d in wo_demands)
    roots.update(item_id for _, _, item_id in unexploded.values())
    graph = catalog_selectors.load_graph(sorted(roots), on=plan_date)
    bom: dict[int, list[engine.BomEdge]] = {}
    nodes = set(roots)
    # str(multiplier) -> its normal form (a BOM repeats a few). Keyed by the text: hashing a
    # Decimal costs several times its str(), and equal texts are equal values and exponents.
    shapes: dict[str, engine.BomEdge] = {}
    for parent, lines in graph.children.items():
        if lines:
            edges = []
            for line in lines:
                key = str(line.multiplier)
                shape = shapes.get(key)
                if shape is None:
                    shape = shapes[key] = engine.BomEdge.of(0, line.multiplier, False)
                edges.append(engine.BomEdge(line.component_id, shape.multiplier, line.is_phantom, shape.whole))
                nodes.add(line.component_id)
            bom[parent] = edges
            nodes.add(parent)

    for wo_id, (open_quantity, day, item_id) in sorted(unexploded.items()):
        for edge in bom.get(item_id, ()):
            need = (open_quantity * edge.multiplier).quantize(engine.QUANTUM)
            if need > 0:
                wo_demands.append(engine.Demand(edge.component_id, day, need, engine.WORK_ORDER, ref=wo_id))

    versions = _released_versions(plan_date)
    routed = set(Routing.objects.filter(status="released").values_list("item_id", flat=True))
    items: dict[int, engine.ItemPlan] = {}
    columns = (
        "id",
        "number",
        "make_or_buy",
        "manufacturing_lead_time_days",
        "purchase_lead_time_days",
        "lot_size_rule",
        "fixed_lot_size",
        "minimum_lot_size",
        "maximum_lot_size",
        "lot_multiple",
        "period_days",
        "safety_stock",
    )
    for pk, number, mob, mlt, plt, rule, fixed, minimum, maximum, multiple, period, safety in Item.objects.filter(
        pk__in=_ids(sorted(nodes))
    ).values_list(*columns):
        make = mob == Item.MakeOrBuy.MAKE
        items[pk] = engine.ItemPlan(
            id=pk,
            number=number,
            make=make,
            lead_days=mlt if make else plt,
            lot_rule=rule,
            fixed_lot=fixed,
            minimum_lot=minimum,
            maximum_lot=maximum,
            lot_multiple=multiple,
            period_days=period,
            safety_stock=safety or ZERO,
            bom_version_id=versions.get(pk),
            has_routing=pk in routed,
        )
    return engine.MrpInput(
        plan_date=plan_date,
        horizon_end=horizon_end,
        items=items,
        bom=bom,
        on_hand=stock,
        demands=sales + wo_demands,
        forecasts=forecasts,
        receipts=purchases + wo_receipts,
        calendar=_calendar(plant, plan_date, horizon_end),
    )
