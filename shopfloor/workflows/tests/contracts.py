"""Workflows' API contracts for the shared contract suite."""

from __future__ import annotations

from typing import Any

from shopfloor.core import tenancy
from shopfloor.core.tests.contract import Contract, unique
from shopfloor.workflows.models import WorkflowDefinition

from .factories import (
    ApprovalRequestFactory,
    ChangeRequestFactory,
    SignatureFactory,
    TransitionRecordFactory,
    WorkflowDefinitionFactory,
    WorkflowStateFactory,
    WorkflowTransitionFactory,
)


def _state_payload() -> dict[str, Any]:
    definition = WorkflowDefinitionFactory()
    return {"definition": definition.pk, "key": unique("hold_"), "label": "On hold", "position": 5}


def _state_with_exit() -> Any:
    """A state reachable from the initial one and leaving again, so the definition stays valid."""
    state = WorkflowStateFactory()
    definition = state.definition
    open_ = definition.states.get(key="open")
    done = definition.states.get(key="done")
    WorkflowTransitionFactory(definition=definition, source=open_, target=state, label="Hold")
    WorkflowTransitionFactory(definition=definition, source=state, target=done, label="Release")
    return state


def _extra_transition() -> Any:
    state = _state_with_exit()
    return state.definition.transitions.get(label="Release")


def _transition_payload() -> dict[str, Any]:
    hold = WorkflowStateFactory()
    open_ = hold.definition.states.get(key="open")
    return {"definition": hold.definition_id, "source": open_.pk, "target": hold.pk, "label": unique("Hold ")}


def _definition() -> WorkflowDefinition:
    return WorkflowDefinitionFactory()


def _change_request() -> Any:
    user = tenancy.current_user()
    return ChangeRequestFactory(owner=user) if user is not None else ChangeRequestFactory()


CONTRACTS: dict[str, Contract] = {
    "workflows/definitions": Contract(
        factory=_definition,
        operations=frozenset({"list", "retrieve", "update"}),
        update={"name": "Edited workflow", "description": "Changed by the administrator"},
        put=lambda d: {"name": "Edited workflow", "description": ""},
        note="Installed from code defaults per organization; edited, never created or deleted over the API.",
    ),
    "workflows/states": Contract(
        factory=_state_with_exit,
        payload=_state_payload,
        update={"label": "Waiting", "colour": "#aa5500"},
        put=lambda s: {"definition": s.definition_id, "key": s.key, "label": "Waiting"},
        note="A state added alone is unreachable until a transition leads to it: a warning on the definition.",
    ),
    "workflows/transitions": Contract(
        factory=_extra_transition,
        payload=_transition_payload,
        update={"label": "Release now", "comment_required": True},
        put=lambda t: {
            "definition": t.definition_id,
            "source": t.source_id,
            "target": t.target_id,
            "label": "Release now",
        },
    ),
    "workflows/change-requests": Contract(
        factory=_change_request,
        payload=lambda: {"title": unique("Change "), "description": "Switch to ring gauges."},
        update={"title": "Switch to ring gauges now"},
        put=lambda cr: {"title": "Switch to ring gauges", "description": "All threads."},
    ),
    "workflows/approval-requests": Contract(
        factory=ApprovalRequestFactory,
        operations=frozenset({"list", "retrieve"}),
        note="Opened by the engine when a transition needs approvals; decided with approve/reject.",
    ),
    "workflows/transition-records": Contract(
        factory=TransitionRecordFactory,
        operations=frozenset({"list", "retrieve"}),
        note="History written by the engine.",
    ),
    "workflows/signatures": Contract(
        factory=SignatureFactory,
        operations=frozenset({"list", "retrieve"}),
        note="Written by the engine on signing; immutable.",
    ),
}

NOT_EXPOSED: dict[str, str] = {
    "workflows.Approval": "Served inside its approval request (decisions); written by approve/reject.",
}
