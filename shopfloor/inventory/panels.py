"""The inventory's panels on the item page (catalog's registry): stock by location and lot, and the ledger."""

from __future__ import annotations

from typing import Any

from shopfloor.catalog.panels import register_item_panel

from . import selectors


def _stock(request: Any, item: Any) -> dict[str, Any]:
    balances = [
        b
        for b in selectors.stock_balances(item=item).order_by("location__code", "lot__number")
        if b.on_hand or b.reserved
    ]
    return {"balances": balances, "totals": selectors.stock_totals(item=item)}


def _ledger(request: Any, item: Any) -> dict[str, Any]:
    return {"moves": selectors.ledger(selectors.item_ledger(item=item), size=20)}


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
