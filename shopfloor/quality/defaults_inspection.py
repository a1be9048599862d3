"""Inspection defaults: the plan workflow, action permissions and the INS- numbers."""

from __future__ import annotations

from shopfloor.core import access, numbering
from shopfloor.workflows.registry import StateSpec, TransitionSpec, register_default

PLAN_MODEL = "quality.inspectionplan"
RELEASE_PLAN = access.register_permission("quality.release_inspectionplan", "Release or obsolete inspection plans")
COMPLETE_INSPECTION = access.register_permission("quality.complete_inspection", "Complete inspections (pass/fail)")

numbering.register("inspection", "INS-")

register_default(
    PLAN_MODEL,
    "Inspection plan",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("released", "Released", colour="#16a34a"),
        StateSpec("obsolete", "Obsolete", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("draft", "released", "Release", permission=RELEASE_PLAN),
        TransitionSpec("released", "obsolete", "Make obsolete", permission=RELEASE_PLAN),
        TransitionSpec("draft", "obsolete", "Discard", permission=RELEASE_PLAN),
    ],
    description="Draft -> Released -> Obsolete; only a released version is used, releasing one obsoletes the last.",
)
