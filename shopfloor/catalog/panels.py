"""Item-page panels that higher apps contribute without the catalog importing them.

The item page shows the BOM tree and where-used (catalog), stock by location and the ledger
(inventory), routings (resources) and documents. Catalog may not import inventory or
resources, so each app registers a panel here from its `AppConfig.ready()` (or a module
imported there), and the item page renders one lazy placeholder per panel the user may see:

    # shopfloor/inventory/panels.py, imported from InventoryConfig.ready()
    from shopfloor.catalog.panels import register_item_panel
    from . import selectors

    def _stock(request, item):
        return {"balances": selectors.balances_for_item(item=item)}

    register_item_panel(
        "stock",                          # URL key: /catalog/items/<pk>/panels/stock/
        "Stock by location",              # card heading
        "inventory/_item_stock.html",     # template rendered with the context below + item, panel
        _stock,                           # (request, item) -> dict; runs only when the panel loads
        order=30,                         # lower comes first
        permission="inventory.view_stockbalance",  # None: whoever may view the item
    )

Each placeholder fetches its content with htmx (`hx-get`, `hx-trigger="load"`), so a slow
panel never delays the page. The panel view checks the item's tenancy (another
organization's item is a 404) and the panel's permission (403), so a panel template needs no
checks of its own. Registering a key again replaces the earlier panel (module reloads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shopfloor.core import access

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Item

PanelContext = Callable[["HttpRequest", "Item"], dict[str, Any]]


@dataclass(frozen=True)
class ItemPanel:
    key: str
    title: str
    template: str
    context: PanelContext
    order: int = 100
    permission: str | None = None

    def visible_to(self, user: Any) -> bool:
        """Whether `user` may see this panel (the item's own view permission is checked by the page)."""
        return self.permission is None or access.has_perm(user, self.permission)


_panels: dict[str, ItemPanel] = {}


def register_item_panel(
    key: str,
    title: str,
    template: str,
    context: PanelContext,
    order: int = 100,
    permission: str | None = None,
) -> ItemPanel:
    """Add (or replace) a panel on the item page; see the module docstring for an example."""
    if not key or not key.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"Item panel key {key!r}: use letters, digits, '-' and '_' (it is part of a URL).")
    panel = ItemPanel(key=key, title=title, template=template, context=context, order=order, permission=permission)
    _panels[key] = panel
    return panel


def unregister_item_panel(key: str) -> None:
    """Remove a panel (tests register throw-away panels and clean up after themselves)."""
    _panels.pop(key, None)


def get_item_panel(key: str) -> ItemPanel | None:
    return _panels.get(key)


def item_panels() -> list[ItemPanel]:
    """Every registered panel, in page order."""
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def visible_item_panels(user: Any) -> list[ItemPanel]:
    """The panels `user` may see, in page order."""
    return [p for p in item_panels() if p.visible_to(user)]
