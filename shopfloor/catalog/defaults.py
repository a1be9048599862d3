"""The catalog's default workflows and action permissions."""

from __future__ import annotations

from shopfloor.core import access
from shopfloor.workflows.registry import StateSpec, TransitionSpec, register_default

access.register_permission("catalog.release_item", "Release items for use (draft -> active)")

register_default(
    "catalog.item",
    "Item",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("active", "Active", colour="#16a34a"),
        StateSpec("obsolete", "Obsolete", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("draft", "active", "Release", permission="catalog.release_item"),
        TransitionSpec("active", "obsolete", "Make obsolete", permission="catalog.release_item", comment=True),
        TransitionSpec("draft", "obsolete", "Discard", permission="catalog.release_item", comment=True),
    ],
    description="Draft -> Active (usable by BOMs, orders and stock) -> Obsolete.",
)
