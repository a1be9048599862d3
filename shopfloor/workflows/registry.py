"""What code declares: default workflow definitions per model, and named guards.

Apps register their defaults at import (`register_default(...)` in their `workflows.py` or
`defaults.py`); `services.install_defaults(org)` copies them into an organization, where
administrators may then edit them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StateSpec:
    key: str
    label: str
    initial: bool = False
    final: bool = False
    colour: str = "#6b7280"


@dataclass(frozen=True)
class TransitionSpec:
    source: str
    target: str
    label: str
    permission: str = ""
    guards: tuple[str, ...] = ()
    approvals: int = 0
    approver_role: str = ""
    exclude_creator: bool = True
    signature: bool = False
    meaning: str = ""
    comment: bool = False


@dataclass(frozen=True)
class DefinitionSpec:
    model: str
    name: str
    states: tuple[StateSpec, ...]
    transitions: tuple[TransitionSpec, ...]
    description: str = ""
    field: str = "status"


DEFAULTS: dict[str, DefinitionSpec] = {}


def register_default(
    model: str, name: str, states: list[StateSpec], transitions: list[TransitionSpec], description: str = ""
) -> DefinitionSpec:
    spec = DefinitionSpec(
        model=model, name=name, states=tuple(states), transitions=tuple(transitions), description=description
    )
    DEFAULTS[model] = spec
    return spec


# A guard answers None when the transition may run, or the reason it may not.
Guard = Callable[[Any, Any], str | None]


@dataclass(frozen=True)
class GuardSpec:
    name: str
    description: str
    func: Guard = field(compare=False)


GUARDS: dict[str, GuardSpec] = {}


def guard(name: str, description: str) -> Callable[[Guard], Guard]:
    """Register a named predicate that transitions may require (`"all_operations_complete"`)."""

    def decorator(func: Guard) -> Guard:
        GUARDS[name] = GuardSpec(name, description, func)
        return func

    return decorator


# In-transaction effects of entering a state, for rules that span records: releasing a document
# revision supersedes the one released before it. They run inside the transition's transaction,
# before the record's new state is saved, so both changes happen or neither does.
Effect = Callable[[Any, Any], None]  # (record, actor)

EFFECTS: dict[tuple[str, str], list[Effect]] = {}


def on_enter(model: str, state: str) -> Callable[[Effect], Effect]:
    """Register `func(record, actor)` to run whenever a `model` record enters `state`."""

    def decorator(func: Effect) -> Effect:
        effects = EFFECTS.setdefault((model, state), [])
        if func not in effects:
            effects.append(func)
        return func

    return decorator


def effects_for(model: str, state: str) -> list[Effect]:
    return list(EFFECTS.get((model, state), ()))
