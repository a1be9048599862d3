"""What production tells other apps through their registries: open work orders are supply for
sales' available-to-promise (sales may not import production, so production registers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shopfloor.catalog.models import Item
from shopfloor.sales.atp import register_supply_source

from .models import WorkOrder

SUPPLYING = ("planned", "released", "in_progress", "qc", "on_hold")


@register_supply_source
def open_work_orders(item: Item, plant: Any) -> list[tuple[date, Decimal]]:
    """Each open order's still-to-receive quantity on its due date (drafts are not a commitment)."""
    rows = WorkOrder.objects.filter(item=item, status__in=SUPPLYING)
    if plant is not None:
        rows = rows.filter(plant=plant)
    return [
        (due, quantity - received)
        for due, quantity, received in rows.values_list("due_date", "quantity", "received_quantity")
        if quantity > received
    ]
