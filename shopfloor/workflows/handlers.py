"""Event handlers of workflows: a new organization gets the default definitions; approvers,
requesters and owners are notified of approval requests and decisions."""

from __future__ import annotations

from typing import Any

from shopfloor.core import events, notifications
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Organization, OutboxEvent

from . import services
from .models import Approval, ApprovalRequest


@events.subscribe("core.organization.created", name="workflows.install_defaults")
def install_defaults_for_new_organization(event: OutboxEvent) -> None:
    organization = Organization.objects.filter(pk=event.payload.get("id")).first()
    if organization is not None:
        services.install_defaults(organization)


# --- Notifications: approvers are asked, requesters hear the decision ---------------------------

APPROVAL_REQUESTED = notifications.register_event_type("workflows.approval.requested", "Your approval is requested")
APPROVAL_DECIDED = notifications.register_event_type(
    "workflows.approval.decided", "A decision on an approval you requested"
)
notifications.register_event_type("workflows.changerequest.assigned", "A change request was assigned to you")


def _request_and_target(event: OutboxEvent) -> tuple[ApprovalRequest, Any] | None:
    request = (
        ApprovalRequest.objects.select_related("transition__source", "requested_by")
        .filter(pk=event.payload.get("id"))
        .first()
    )
    if request is None:
        return None
    try:
        return request, services._target_of(request)
    except Conflict:
        return None  # the record is gone: nothing to link to, nothing to decide


@events.subscribe(APPROVAL_REQUESTED, name="workflows.notify_approvers")
def notify_approvers(event: OutboxEvent) -> None:
    """Ask everyone who may approve the step (but the requester) to decide."""
    found = _request_and_target(event)
    if found is None or found[0].status != ApprovalRequest.Status.PENDING:
        return
    request, obj = found
    approvers = [u for u in services.eligible_approvers(obj, request.transition) if u.pk != request.requested_by_id]
    kind = str(obj._meta.verbose_name)
    body = f"{request.requested_by.display_name} asks for your approval to '{request.transition.label}' {kind} {obj}."
    if request.comment:
        body += f"\n\n{request.comment}"
    notifications.notify(
        recipients=approvers,
        event_type=APPROVAL_REQUESTED,
        title=f"Approval requested: {request.transition.label} {kind} {obj}",
        body=body,
        obj=obj,
    )


@events.subscribe(APPROVAL_DECIDED, name="workflows.notify_approval_decision")
def notify_approval_decision(event: OutboxEvent) -> None:
    """Tell the requester (and the record's owner) who approved or rejected, and why."""
    found = _request_and_target(event)
    if found is None:
        return
    request, obj = found
    approver_id = event.payload.get("approver")
    decision = Approval.objects.select_related("approver").filter(request=request, approver_id=approver_id).first()
    if decision is None:
        return
    verb = "approved" if decision.decision == Approval.Decision.APPROVE else "rejected"
    kind = str(obj._meta.verbose_name)
    recipients = [request.requested_by_id, getattr(obj, "owner_id", None)]
    body = f"{decision.approver.display_name} {verb} '{request.transition.label}' of {kind} {obj}."
    if decision.comment:
        body += f"\n\n{decision.comment}"
    notifications.notify(
        recipients=[pk for pk in recipients if pk is not None and pk != approver_id],
        event_type=APPROVAL_DECIDED,
        title=f"{decision.approver.display_name} {verb} {request.transition.label}: {kind} {obj}",
        body=body,
        obj=obj,
    )
