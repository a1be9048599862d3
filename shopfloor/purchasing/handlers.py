"""What purchasing tells lower apps without their importing it: open purchase order lines are
expected receipts for sales' available-to-promise."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shopfloor.sales.atp import register_supply_source


@register_supply_source
def open_purchase_orders(item: Any, plant: Any) -> list[tuple[date, Decimal]]:
    """Open quantities of approved, sent and partially received orders, by due date."""
    from . import selectors

    return selectors.open_supply(item=item, plant=plant)
