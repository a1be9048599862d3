"""NCR and CAPA workflows, their guards, action permissions and numbering.

NCR: Open -> Investigating -> Disposition -> Closed (closing is signed electronically), with
Cancelled from the open states. CAPA: Open -> In progress -> Verifying -> Closed, closing
only after an effectiveness check found the action effective.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shopfloor.core import access, numbering
from shopfloor.core.quantities import plain as _n
from shopfloor.workflows.registry import StateSpec, TransitionSpec, guard, register_default

DISPOSE = access.register_permission("quality.dispose_ncr", "Decide and post NCR dispositions")
CLOSE_NCR = access.register_permission("quality.close_ncr", "Close NCRs (signed)")
APPROVE_CONCESSION = access.register_permission("quality.approve_concession", "Approve concessions (use as is) on NCRs")
CLOSE_CAPA = access.register_permission("quality.close_capa", "Verify effectiveness of and close CAPAs")

numbering.register("ncr", "NCR-")
numbering.register("capa", "CAPA-")

NCR_MODEL = "quality.ncr"
CAPA_MODEL = "quality.capa"


@guard("quality.root_cause_recorded", "The root cause is recorded (category and text or first why)")
def root_cause_recorded(ncr: Any, actor: Any) -> str | None:
    if not ncr.cause_category or not (ncr.root_cause.strip() or ncr.why_1.strip()):
        return "Record the root cause (category and cause or the first why) first."
    return None


@guard("quality.fully_disposed", "Every affected unit has a posted disposition")
def fully_disposed(ncr: Any, actor: Any) -> str | None:
    disposed = sum((d.quantity for d in ncr.dispositions.all()), Decimal(0))
    if disposed < ncr.quantity:
        return f"{_n(ncr.quantity - disposed)} of {_n(ncr.quantity)} affected have no disposition yet."
    pending = [d for d in ncr.dispositions.all() if d.kind == "use_as_is" and d.concession_approved_by_id is None]
    if pending:
        return "A use-as-is disposition awaits its concession approval."
    return None


@guard("quality.effective", "An effectiveness check found the action effective")
def capa_effective(capa: Any, actor: Any) -> str | None:
    if capa.effectiveness_checked_at is None:
        return "Check the action's effectiveness before closing it."
    if not capa.effective:
        return "The last effectiveness check found the action not effective."
    return None


register_default(
    NCR_MODEL,
    "NCR",
    states=[
        StateSpec("open", "Open", initial=True, colour="#dc2626"),
        StateSpec("investigating", "Investigating", colour="#d97706"),
        StateSpec("disposition", "Disposition", colour="#7c3aed"),
        StateSpec("closed", "Closed", final=True, colour="#16a34a"),
        StateSpec("cancelled", "Cancelled", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("open", "investigating", "Investigate", permission="quality.change_ncr"),
        TransitionSpec(
            "investigating",
            "disposition",
            "Decide disposition",
            permission="quality.change_ncr",
            guards=("quality.root_cause_recorded",),
        ),
        TransitionSpec("disposition", "investigating", "Back to investigation", permission="quality.change_ncr"),
        TransitionSpec(
            "disposition",
            "closed",
            "Close",
            permission=CLOSE_NCR,
            guards=("quality.fully_disposed",),
            signature=True,
            meaning="Closed",  # the signature field holds 40 characters
        ),
        *[
            TransitionSpec(s, "cancelled", "Cancel", permission=CLOSE_NCR, comment=True)
            for s in ("open", "investigating")
        ],
    ],
    description="Open -> Investigating -> Disposition -> Closed (signed); Cancelled.",
)

register_default(
    CAPA_MODEL,
    "CAPA",
    states=[
        StateSpec("open", "Open", initial=True, colour="#dc2626"),
        StateSpec("in_progress", "In progress", colour="#d97706"),
        StateSpec("verifying", "Verifying", colour="#2563eb"),
        StateSpec("closed", "Closed", final=True, colour="#16a34a"),
        StateSpec("cancelled", "Cancelled", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("open", "in_progress", "Start", permission="quality.change_capa"),
        TransitionSpec("in_progress", "verifying", "Verify", permission="quality.change_capa"),
        TransitionSpec("verifying", "in_progress", "Not effective: rework", permission="quality.change_capa"),
        TransitionSpec("verifying", "closed", "Close", permission=CLOSE_CAPA, guards=("quality.effective",)),
        *[
            TransitionSpec(s, "cancelled", "Cancel", permission=CLOSE_CAPA, comment=True)
            for s in ("open", "in_progress")
        ],
    ],
    description="Open -> In progress -> Verifying -> Closed after an effective check.",
)
