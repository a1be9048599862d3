"""Read queries of purchasing, already joined and annotated for lists and guards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from shopfloor.catalog.models import MONEY
from shopfloor.core import tenancy

from .models import PurchaseOrder, PurchaseOrderLine, PurchasingSettings, Receipt, ReceiptLine

# Orders whose lines may still bring stock in (what ATP and planners count on).
OPEN_STATUSES = ("approved", "sent", "partially_received")

_AMOUNT = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=DecimalField(**MONEY))


def settings_for_organization() -> PurchasingSettings:
    """The organization's purchasing rules; defaults (from Django settings) until someone saves them."""
    found = PurchasingSettings.objects.first()
    if found is not None:
        return found
    return PurchasingSettings(
        organization=tenancy.current_organization(),
        approval_threshold=Decimal(str(getattr(settings, "PURCHASING_APPROVAL_THRESHOLD", "5000"))),
        receipt_tolerance_percent=Decimal(str(getattr(settings, "PURCHASING_RECEIPT_TOLERANCE_PERCENT", "0"))),
    )


def approval_threshold() -> Decimal:
    return settings_for_organization().approval_threshold


def tolerance_percent(line: PurchaseOrderLine, rules: PurchasingSettings | None = None) -> Decimal:
    if line.over_receipt_tolerance_percent is not None:
        return line.over_receipt_tolerance_percent
    return (rules or settings_for_organization()).receipt_tolerance_percent


def order_total(*, order: PurchaseOrder) -> Decimal:
    """The order's value: the sum of quantity x unit price of its lines, in its currency."""
    total = PurchaseOrderLine.objects.filter(order=order).aggregate(total=Sum(_AMOUNT))["total"]
    return total or Decimal("0")


def receipt_progress(*, order: PurchaseOrder) -> tuple[bool, bool]:
    """(anything received, every line received in full) for the order."""
    lines = PurchaseOrderLine.objects.filter(order=order)
    received_any = lines.filter(received_quantity__gt=0).exists()
    open_lines = lines.filter(received_quantity__lt=F("quantity")).exists()
    return received_any, lines.exists() and not open_lines


def purchase_orders() -> QuerySet[PurchaseOrder]:
    return (
        PurchaseOrder.objects.select_related("supplier", "plant")
        .annotate(
            total=Coalesce(
                Sum(F("lines__quantity") * F("lines__unit_price"), output_field=DecimalField(**MONEY)),
                Value(Decimal("0")),
                output_field=DecimalField(**MONEY),
            )
        )
        .order_by("-id")
    )


def order_lines() -> QuerySet[PurchaseOrderLine]:
    return PurchaseOrderLine.objects.select_related("order", "item", "unit")


def receipts() -> QuerySet[Receipt]:
    return Receipt.objects.select_related("purchase_order", "supplier", "plant")


def receipt_lines() -> QuerySet[ReceiptLine]:
    return ReceiptLine.objects.select_related(
        "receipt", "order_line", "item", "unit", "lot", "serial", "location", "stock_move"
    )


def receipts_for_supplier(*, supplier: Any) -> QuerySet[Receipt]:
    """A supplier's receipts, newest first (supplier quality counts and rates them)."""
    return receipts().filter(supplier=supplier).order_by("-received_at", "-id")


def receipt_counts_by_supplier() -> dict[int, int]:
    """supplier id -> number of receipts, for supplier rating."""
    rows = Receipt.objects.values("supplier").annotate(n=Count("id")).order_by()
    return {row["supplier"]: row["n"] for row in rows}


def open_supply(*, item: Any, plant: Any) -> list[tuple[date, Decimal]]:
    """Expected receipts of an item at a plant from open orders: (due date, open quantity in the
    item's stock unit). Lines without a due date count on the order's expected date, else today."""
    from shopfloor.catalog.services import to_stock_units

    lines = (
        PurchaseOrderLine.objects.filter(
            item=item, order__plant=plant, order__status__in=OPEN_STATUSES, received_quantity__lt=F("quantity")
        )
        .select_related("order", "unit", "item")
        .order_by("id")
    )
    supply = []
    for line in lines:
        open_quantity = line.quantity - line.received_quantity
        if line.unit_id != item.stock_unit_id:
            open_quantity = to_stock_units(open_quantity, line.unit, item)
        when = line.due_date or line.order.expected_date or date.today()
        supply.append((when, open_quantity))
    return supply


def orders_awaiting_approval() -> QuerySet[PurchaseOrder]:
    return purchase_orders().filter(status="pending_approval")


def late_lines(*, today: date) -> QuerySet[PurchaseOrderLine]:
    return order_lines().filter(
        Q(due_date__lt=today), order__status__in=OPEN_STATUSES, received_quantity__lt=F("quantity")
    )
