"""The resources app's default workflows, action permissions, guards and edit guard."""

from __future__ import annotations

from typing import Any

from shopfloor.core import access
from shopfloor.workflows.registry import StateSpec, TransitionSpec, guard, register_default

access.register_permission("resources.release_routing", "Release routings (the previous one becomes obsolete)")

register_default(
    "resources.machine",
    "Machine",
    states=[
        StateSpec("available", "Available", initial=True, colour="#16a34a"),
        StateSpec("down", "Down", colour="#dc2626"),
        StateSpec("maintenance", "In maintenance", colour="#d97706"),
        StateSpec("retired", "Retired", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("available", "down", "Report down", permission="resources.change_machine", comment=True),
        TransitionSpec("down", "available", "Back in service", permission="resources.change_machine"),
        TransitionSpec("available", "maintenance", "Start maintenance", permission="resources.change_machine"),
        TransitionSpec("maintenance", "available", "End maintenance", permission="resources.change_machine"),
        TransitionSpec("available", "retired", "Retire", permission="resources.change_machine", comment=True),
        TransitionSpec("down", "retired", "Retire", permission="resources.change_machine", comment=True),
        TransitionSpec("maintenance", "retired", "Retire", permission="resources.change_machine", comment=True),
    ],
    description="Available <-> Down, Available <-> Maintenance, any -> Retired (final).",
)

register_default(
    "resources.routing",
    "Routing",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("released", "Released", colour="#16a34a"),
        StateSpec("obsolete", "Obsolete", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec(
            "draft",
            "released",
            "Release",
            permission="resources.release_routing",
            guards=("resources.no_other_released_routing",),
        ),
        TransitionSpec("released", "obsolete", "Make obsolete", permission="resources.release_routing"),
        TransitionSpec("draft", "obsolete", "Discard", permission="resources.release_routing"),
    ],
    description="Draft -> Released (used by production and planning) -> Obsolete.",
)


@guard("resources.no_other_released_routing", "The item has no other released routing.")
def no_other_released_routing(obj: Any, actor: Any) -> str | None:
    """A bare transition must not leave two released routings; `services.release_routing` obsoletes first."""
    others = type(obj)._default_manager.filter(item_id=obj.item_id, status="released").exclude(pk=obj.pk)
    if others.exists():
        return "The item already has a released routing; release through 'Release', which makes it obsolete."
    return None


def routing_edit_refusal(obj: Any) -> str | None:
    """Released and obsolete routings, and their operations, are frozen: copy to a new draft instead."""
    from .models import Operation, Routing

    routing = obj if isinstance(obj, Routing) else obj.routing if isinstance(obj, Operation) else None
    if routing is None:
        return None
    status = type(routing)._default_manager.filter(pk=routing.pk).values_list("status", flat=True).first()
    if status is not None and status != "draft":
        return f"Routing v{routing.version} is {status}: it cannot be changed. Copy it to a new draft."
    return None
