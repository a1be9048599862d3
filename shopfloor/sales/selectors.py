"""Read queries of sales: orders and lines for the lists and pages, the stock an order may
reserve, and the facts the workflow guards look at."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from shopfloor.catalog.models import Item
from shopfloor.inventory.models import Reservation, SerialNumber, StockBalance
from shopfloor.inventory.selectors import UNAVAILABLE_TYPES, ZERO

from .models import SalesOrder, SalesOrderLine

LINE_SOURCE = "sales.salesorderline"
# Orders whose open lines are promised to the customer: their demand comes before new orders'.
COMMITTED_STATUSES = ("confirmed", "in_production", "partially_shipped")
SHIPPABLE_STATUSES = COMMITTED_STATUSES
AMOUNT = DecimalField(max_digits=40, decimal_places=12)


def orders() -> QuerySet[SalesOrder]:
    return SalesOrder.objects.select_related("customer", "rig", "well", "plant")


def orders_for_list() -> QuerySet[SalesOrder]:
    """Orders with their line count and open value, for the list page and the API list."""
    return orders().annotate(
        line_count=Count("lines", distinct=True),
        total_amount=Coalesce(Sum(F("lines__quantity") * F("lines__unit_price"), output_field=AMOUNT), ZERO),
    )


def lines() -> QuerySet[SalesOrderLine]:
    return SalesOrderLine.objects.select_related("order", "item__stock_unit", "unit")


def lines_of(order: SalesOrder) -> QuerySet[SalesOrderLine]:
    return lines().filter(order=order).order_by("position", "id")


def open_reservations(line: SalesOrderLine) -> QuerySet[Reservation]:
    """The line's reservations still holding stock, oldest first (consumed first when shipping)."""
    return (
        Reservation.objects.filter(source_object_type=LINE_SOURCE, source_object_id=str(line.pk), status="open")
        .select_related("item", "location", "lot")
        .order_by("id")
    )


def reservations_of_order(order: SalesOrder) -> QuerySet[Reservation]:
    ids = [str(pk) for pk in order.lines.values_list("pk", flat=True)]
    return (
        Reservation.objects.filter(source_object_type=LINE_SOURCE, source_object_id__in=ids, status="open")
        .select_related("location", "lot")
        .order_by("id")
    )


def reservable_balances(*, item: Item, plant: Any) -> QuerySet[StockBalance]:
    """Balances of the plant with free stock for a reservation: usable places only (no quarantine,
    no scrap), first expiring lot first, then the location code."""
    return (
        StockBalance.objects.filter(
            item=item, location__plant=plant, location__is_active=True, on_hand__gt=F("reserved")
        )
        .exclude(location__location_type__in=UNAVAILABLE_TYPES)
        .select_related("location", "lot")
        .annotate(no_expiry=Case(When(lot__expires_on__isnull=True, then=Value(1)), default=Value(0)))
        .order_by("no_expiry", "lot__expires_on", "location__code", "id")
    )


def free_stock(*, item: Item, plant: Any) -> Decimal:
    """On hand minus reserved, in stock units, over the plant's usable places."""
    sums = (
        StockBalance.objects.filter(item=item, location__plant=plant, location__is_active=True)
        .exclude(location__location_type__in=UNAVAILABLE_TYPES)
        .aggregate(free=Coalesce(Sum(F("on_hand") - F("reserved")), ZERO))
    )
    return max(sums["free"], Decimal(0))


def committed_demand_before(*, line: SalesOrderLine) -> Decimal:
    """What other promised orders still need of the line's item at its plant, unreserved, due
    before it (same due date: the older line first). ATP serves them first."""
    ahead = (
        SalesOrderLine.objects.filter(
            item_id=line.item_id,
            order__plant_id=line.order.plant_id,
            order__status__in=COMMITTED_STATUSES,
            status__in=SalesOrderLine.OPEN_STATUSES,
        )
        .exclude(pk=line.pk)
        .filter(Q(due_date__lt=line.due_date) | Q(due_date=line.due_date, pk__lt=line.pk or 0))
        .aggregate(need=Coalesce(Sum(F("stock_quantity") - F("shipped_quantity") - F("reserved_quantity")), ZERO))
    )
    return max(ahead["need"], Decimal(0))


def serials_to_pick(*, item: Item, location: Any, lot: Any, count: int) -> list[SerialNumber]:
    """Serial numbers in stock at a location (and lot) to ship, in serial order."""
    qs = SerialNumber.objects.filter(item=item, location=location, status=SerialNumber.Status.IN_STOCK)
    qs = qs.filter(lot=lot) if lot is not None else qs.filter(lot__isnull=True)
    return list(qs.order_by("serial")[:count])


def confirmation_problems(*, order: SalesOrder) -> list[str]:
    """Why the order cannot be confirmed yet (empty when it can)."""
    problems = []
    if not order.customer.is_active:
        problems.append(f"Customer {order.customer.number} is inactive.")
    rows = list(order.lines.select_related("item").order_by("position"))
    if not rows:
        problems.append("The order has no lines.")
    inactive = sorted({line.item.number for line in rows if line.item.status != "active"})
    if inactive:
        problems.append(f"Items not active (release them first): {', '.join(inactive)}.")
    return problems


def shipping_progress(*, order: SalesOrder) -> tuple[bool, bool]:
    """(something shipped, every still-open line shipped in full)."""
    rows = list(order.lines.values_list("status", "stock_quantity", "shipped_quantity"))
    shipped = any(s > 0 for _, _, s in rows)
    live = [(q, s) for status, q, s in rows if status not in ("cancelled", "closed")]
    complete = bool(live) and all(s >= q for q, s in live)
    return shipped, complete


def line_totals(*, order: SalesOrder) -> dict[str, Decimal]:
    sums = order.lines.aggregate(
        amount=Coalesce(Sum(F("quantity") * F("unit_price"), output_field=AMOUNT), ZERO),
    )
    return {"amount": sums["amount"]}
