"""The inventory's panels on the item page (catalog's registry): stock by location and lot, and the ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shopfloor.catalog.panels import register_item_panel
from shopfloor.core import access

from . import selectors


def _stock(request: Any, item: Any) -> dict[str, Any]:
    """The item's stock at the plants the user works at (another plant's is not theirs to see)."""
    rows = access.at_user_plants(selectors.stock_balances(item=item), request.user, "location__plant")
    rows = rows.order_by("location__code", "lot__number")
    balances = [b for b in rows if b.on_hand or b.reserved]
    totals = selectors.Stock(
        on_hand=sum((b.on_hand for b in balances), Decimal(0)),
        reserved=sum((b.reserved for b in balances), Decimal(0)),
    )
    return {"balances": balances, "totals": totals}


def _ledger(request: Any, item: Any) -> dict[str, Any]:
    moves = access.at_user_plants(selectors.item_ledger(item=item), request.user)
    return {"moves": selectors.ledger(moves, size=20)}


register_item_panel(
    "stock",
    "Stock by location",
    "inventory/_item_stock.html",
    _stock,
    order=30,
    permission="inventory.view_stockbalance",
)
register_item_panel(
    "ledger", "Ledger", "inventory/_item_ledger.html", _ledger, order=40, permission="inventory.view_stockmove"
)
