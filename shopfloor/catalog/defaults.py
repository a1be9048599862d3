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

access.register_permission("catalog.release_bomversion", "Release BOM versions and make them obsolete")

register_default(
    "catalog.bomversion",
    "BOM version",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("released", "Released", colour="#16a34a"),
        StateSpec("obsolete", "Obsolete", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec(
            "draft", "released", "Release", permission="catalog.release_bomversion", guards=("catalog.bom_releasable",)
        ),
        TransitionSpec("released", "obsolete", "Make obsolete", permission="catalog.release_bomversion"),
        TransitionSpec("draft", "obsolete", "Discard", permission="catalog.release_bomversion", comment=True),
    ],
    description="Draft (edited) -> Released (used by production and planning; one per item) -> Obsolete.",
)

access.register_permission("catalog.release_documentrevision", "Release document revisions (drawings, specifications)")

register_default(
    "catalog.documentrevision",
    "Document revision",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("released", "Released", colour="#16a34a"),
        StateSpec("superseded", "Superseded", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("draft", "released", "Release", permission="catalog.release_documentrevision"),
        TransitionSpec("released", "superseded", "Supersede", permission="catalog.release_documentrevision"),
    ],
    description="Draft -> Released (frozen; releasing the next revision supersedes it) -> Superseded.",
)
