"""Default workflow definitions shipped with the workflows app."""

from __future__ import annotations

from shopfloor.core import access, numbering

from .registry import StateSpec, TransitionSpec, register_default

numbering.register("change_request", "CR-")
access.register_permission("workflows.approve_changerequest", "Approve change requests")

register_default(
    "workflows.changerequest",
    "Change request",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("submitted", "Submitted", colour="#2563eb"),
        StateSpec("approved", "Approved", colour="#16a34a"),
        StateSpec("rejected", "Rejected", colour="#dc2626"),
        StateSpec("closed", "Closed", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("draft", "submitted", "Submit", guards=("has_description",)),
        TransitionSpec(
            "submitted",
            "approved",
            "Approve",
            permission="workflows.approve_changerequest",
            approvals=2,
            signature=True,
            meaning="Approved",
        ),
        TransitionSpec("submitted", "rejected", "Reject", permission="workflows.approve_changerequest", comment=True),
        TransitionSpec("rejected", "draft", "Rework"),
        TransitionSpec("approved", "closed", "Close"),
        TransitionSpec("rejected", "closed", "Close", comment=True),
    ],
    description="Draft -> Submitted -> Approved (two approvals and a signature) or Rejected -> Closed.",
)
