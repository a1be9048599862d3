"""Workflow widgets for any record with a workflow: badge, action panel, timeline.

    {% load workflow_tags %}
    {% workflow_badge obj %}     the state's label in the state's colour
    {% workflow_panel obj %}     allowed transitions as buttons, refused ones with the reason,
                                 signature dialogs, pending approvals, signatures on the record
    {% workflow_timeline obj %}  who moved the record from where to where, when and why

The panel posts to the generic views in `workflows.views`, which call the engine's services.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from shopfloor.workflows import selectors, services
from shopfloor.workflows.forms import signature_extra_fields
from shopfloor.workflows.models import Approval, WorkflowState

register = template.Library()


def _states(context: template.Context, obj: models.Model) -> dict[str, WorkflowState]:
    """The states of obj's workflow, cached on the request so that a list asks only once."""
    label = obj._meta.label_lower
    request = context.get("request")
    cache = getattr(request, "_workflow_states", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._workflow_states = cache
    if label not in cache:
        cache[label] = selectors.states_by_key(label)
    return cache[label]


@register.inclusion_tag("workflows/_badge.html", takes_context=True)
def workflow_badge(context: template.Context, obj: models.Model) -> dict[str, Any]:
    status = getattr(obj, "status", "")
    state = _states(context, obj).get(status)
    return {
        "label": state.label if state else status,
        "colour": state.colour if state else "#6b7280",
        "key": status,
        "final": bool(state and state.is_final),
    }


def _object_ref(obj: models.Model) -> dict[str, str]:
    return {"object_type": obj._meta.label_lower, "object_id": str(obj.pk)}


@register.inclusion_tag("workflows/_panel.html", takes_context=True)
def workflow_panel(context: template.Context, obj: models.Model) -> dict[str, Any]:
    request = context.get("request")
    user = request.user
    printed_name = user.get_full_name() or user.get_username()
    extra_fields = signature_extra_fields(user)
    options = []
    for option in services.available_transitions(obj, user):
        t = option.transition
        options.append(
            {
                "option": option,
                "transition": t,
                "uid": f"wf-{obj.pk}-t{t.pk}",
                # An approval transition only opens a request; the approvers sign later.
                "needs_signature": t.signature_required and not t.approvals_required,
            }
        )
    current_hash = services.record_hash(obj)
    approvals = []
    for req in selectors.pending_approval_requests(obj):
        t = req.transition
        decisions = list(req.decisions.all())
        decided = {d.approver_id for d in decisions}
        eligible = services.eligible_approvers(obj, t)
        waiting = [u for u in eligible if u.pk not in decided]
        approvals.append(
            {
                "request": req,
                "transition": t,
                "uid": f"wf-{obj.pk}-a{req.pk}",
                "decisions": decisions,
                "approved": sum(1 for d in decisions if d.decision == Approval.Decision.APPROVE),
                "waiting": waiting,
                "can_decide": user.pk in {u.pk for u in waiting},
            }
        )
    signatures = [
        {"signature": sig, "valid": sig.record_hash == current_hash} for sig, _valid in services.signatures_of(obj)
    ]
    return {
        "obj": obj,
        "ref": _object_ref(obj),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "options": options,
        "approvals": approvals,
        "signatures": signatures,
        "printed_name": printed_name,
        "extra_fields": extra_fields,
    }


@register.inclusion_tag("workflows/_timeline.html", takes_context=True)
def workflow_timeline(context: template.Context, obj: models.Model) -> dict[str, Any]:
    states = _states(context, obj)
    current_hash = services.record_hash(obj)
    entries = []
    for record in selectors.transition_records(obj):
        entries.append(
            {
                "record": record,
                "from": states.get(record.from_state),
                "to": states.get(record.to_state),
                "signature_valid": record.signature is not None and record.signature.record_hash == current_hash,
            }
        )
    return {"entries": entries, "obj": obj}
