"""What the resources app adds to other apps' pages: the "Routings" panel of the item page."""

from __future__ import annotations

from typing import Any

from shopfloor.catalog.panels import register_item_panel
from shopfloor.core import access

from . import selectors
from .models import Routing


def _routings(request: Any, item: Any) -> dict[str, Any]:
    """The released routing's operations (what production uses) and the latest versions."""
    return {
        "released": selectors.released_routing(item),
        "versions": Routing.objects.filter(item=item).order_by("-version")[:10],
        "can_add": access.has_perm(request.user, "resources.add_routing"),
    }


register_item_panel(
    "routings",
    "Routings",
    "resources/_item_routings.html",
    _routings,
    order=40,
    permission="resources.view_routing",
)
