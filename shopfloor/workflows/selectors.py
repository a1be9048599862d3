"""Read queries of the workflow engine, shaped for the web widgets (badge, panel, timeline)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Prefetch, QuerySet

from .models import Approval, ApprovalRequest, TransitionRecord, WorkflowDefinition, WorkflowState
from .registry import DEFAULTS


def has_workflow(model: type[models.Model]) -> bool:
    """Whether records of `model` follow a workflow in this organization (or by default)."""
    label = model._meta.label_lower
    return label in DEFAULTS or WorkflowDefinition.objects.filter(model=label).exists()


def states_by_key(label: str) -> dict[str, WorkflowState]:
    """The states of the workflow of `label` (app_label.model), by key."""
    return {s.key: s for s in WorkflowState.objects.filter(definition__model=label)}


def transition_records(obj: models.Model) -> QuerySet[TransitionRecord]:
    """The record's moves, newest first, with who moved it and the signature given."""
    return TransitionRecord.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor", "signature", "transition"
    )


def pending_approval_requests(obj: models.Model) -> QuerySet[ApprovalRequest]:
    """Open approval requests of a record, with their decisions so far."""
    decisions = Prefetch("decisions", queryset=Approval.objects.select_related("approver", "signature"))
    return (
        ApprovalRequest.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), status=ApprovalRequest.Status.PENDING
        )
        .select_related("transition__source", "transition__target", "transition__approver_role", "requested_by")
        .prefetch_related(decisions)
    )


def definitions() -> QuerySet[WorkflowDefinition]:
    return WorkflowDefinition.objects.all()


def definition_with_parts(definition: WorkflowDefinition) -> dict[str, Any]:
    """States and transitions of a definition, in their display order, for the editor page."""
    states = list(definition.states.all())
    transitions = list(definition.transitions.select_related("source", "target", "approver_role"))
    return {"states": states, "transitions": transitions}
