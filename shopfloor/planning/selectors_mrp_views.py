"""Reads for the MRP and forecast pages and API: already joined, so no list queries per row."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .models import Forecast, MrpException, MrpItemResult, MrpRun, Pegging, PlannedOrder


def forecasts() -> QuerySet[Forecast]:
    return Forecast.objects.select_related("plant", "item", "item__stock_unit")


def mrp_runs() -> QuerySet[MrpRun]:
    return MrpRun.objects.select_related("plant", "requested_by").order_by("-id")


def planned_orders() -> QuerySet[PlannedOrder]:
    return PlannedOrder.objects.select_related(
        "run", "plant", "item", "item__stock_unit", "supplier", "work_order", "purchase_order"
    )


def peggings() -> QuerySet[Pegging]:
    return Pegging.objects.select_related(
        "planned_order__item",
        "sales_order_line__order__customer",
        "forecast",
        "parent_planned_order__item",
        "work_order",
    )


def mrp_exceptions() -> QuerySet[MrpException]:
    return MrpException.objects.select_related("item", "planned_order", "work_order", "purchase_order_line__order")


def item_results() -> QuerySet[MrpItemResult]:
    return MrpItemResult.objects.select_related("item", "item__stock_unit")


def item_results_of_run(
    run: MrpRun, *, exceptions_only: bool = False, make_or_buy: str = "", search: str = ""
) -> QuerySet[MrpItemResult]:
    """The run's items with their planned order and exception counts, for the browse-by-item page."""
    qs = item_results().filter(run=run)
    has_exceptions = MrpException.objects.filter(run=run, item_id=OuterRef("item_id"))
    qs = qs.annotate(has_exceptions=Exists(has_exceptions))
    if exceptions_only:
        qs = qs.filter(has_exceptions=True)
    if make_or_buy in ("make", "buy"):
        qs = qs.filter(item__make_or_buy=make_or_buy)
    if search:
        qs = qs.filter(Q(item__number__icontains=search) | Q(item__name__icontains=search))
    return qs.order_by("low_level_code", "item__number")


def orders_of_item(run: MrpRun, item: Any) -> QuerySet[PlannedOrder]:
    """An item's planned orders in a run, each with its demands (down) and the orders it caused (up)."""
    return (
        planned_orders()
        .filter(run=run, item=item)
        .prefetch_related(
            Prefetch("peggings", queryset=peggings().order_by("demand_date", "id")),
            Prefetch(
                "child_peggings",
                queryset=Pegging.objects.select_related("planned_order__item").order_by("demand_date", "id"),
            ),
        )
        .order_by("due_date", "id")
    )
