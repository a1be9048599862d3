"""The inventory's default workflows, guards and action permissions.

Cycle counts: a count is counted, submitted, then posted. A small variance posts straight from
"submitted" (the guard below); a variance worth more than the organization's threshold first
needs an approval ("Approve variance"), after which it posts from "approved".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from shopfloor.core import access, numbering
from shopfloor.workflows.registry import StateSpec, TransitionSpec, guard, register_default

access.register_permission("inventory.post_cyclecount", "Post cycle count variances to the ledger")
access.register_permission("inventory.approve_cyclecount", "Approve cycle count variances above the threshold")
access.register_permission("inventory.reverse_stockmove", "Reverse a posted stock move")

numbering.register("cycle_count", "CC-")

# A count whose variances are worth more than this (in standard cost, the organization's
# currency) needs an approval before it posts. Settable per installation.
DEFAULT_COUNT_APPROVAL_THRESHOLD = Decimal("500")


def count_approval_threshold() -> Decimal:
    return Decimal(str(getattr(settings, "INVENTORY_COUNT_APPROVAL_THRESHOLD", DEFAULT_COUNT_APPROVAL_THRESHOLD)))


@guard("inventory.count_variance_within_threshold", "The count's variance value is within the approval threshold")
def _variance_within_threshold(count: Any, actor: Any) -> str | None:
    from .selectors import count_variance_value

    value = count_variance_value(count=count)
    threshold = count_approval_threshold()
    if value > threshold:
        return f"The variance is worth {value:.2f}, above the threshold of {threshold:.2f}: it needs approval."
    return None


register_default(
    "inventory.cyclecount",
    "Cycle count",
    states=[
        StateSpec("counting", "Counting", initial=True, colour="#2563eb"),
        StateSpec("submitted", "Submitted", colour="#d97706"),
        StateSpec("approved", "Variance approved", colour="#7c3aed"),
        StateSpec("posted", "Posted", final=True, colour="#16a34a"),
        StateSpec("cancelled", "Cancelled", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("counting", "submitted", "Submit", permission="inventory.change_cyclecount"),
        TransitionSpec("submitted", "counting", "Recount", permission="inventory.change_cyclecount"),
        TransitionSpec(
            "submitted",
            "posted",
            "Post",
            permission="inventory.post_cyclecount",
            guards=("inventory.count_variance_within_threshold",),
        ),
        TransitionSpec(
            "submitted", "approved", "Approve variance", permission="inventory.approve_cyclecount", approvals=1
        ),
        TransitionSpec("approved", "posted", "Post", permission="inventory.post_cyclecount"),
        TransitionSpec("counting", "cancelled", "Cancel", permission="inventory.change_cyclecount", comment=True),
        TransitionSpec("submitted", "cancelled", "Cancel", permission="inventory.change_cyclecount", comment=True),
    ],
    description="Counting -> Submitted -> Posted; variances above the threshold need an approval first.",
)

register_default(
    "inventory.reservation",
    "Reservation",
    states=[
        StateSpec("open", "Open", initial=True, colour="#2563eb"),
        StateSpec("released", "Released", final=True, colour="#6b7280"),
        StateSpec("consumed", "Consumed", final=True, colour="#16a34a"),
    ],
    transitions=[
        TransitionSpec("open", "released", "Release", permission="inventory.change_reservation"),
        # Consuming happens as stock is issued or shipped against the reservation: whoever may post
        # that move (a technician issuing to a work order) may consume what was reserved for it.
        TransitionSpec("open", "consumed", "Consume", permission="inventory.add_stockmove"),
    ],
    description="Open -> Released (the stock is free again) or Consumed (the document used it).",
)
