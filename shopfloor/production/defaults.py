"""Production's default work order workflow, its guards, action permissions and numbering.

Draft -> Planned -> Released -> In progress -> QC -> Completed, with On hold and Cancelled.
Releasing copies the BOM and routing onto the order (the `released` effect in services);
completing needs every operation completed and every required component issued.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shopfloor.core import access, numbering
from shopfloor.workflows.registry import StateSpec, TransitionSpec, guard, register_default

RELEASE = access.register_permission("production.release_workorder", "Release work orders to the shop floor")
COMPLETE = access.register_permission("production.complete_workorder", "Complete work orders")
CANCEL = access.register_permission("production.cancel_workorder", "Cancel or hold work orders")
RECEIVE_OUTPUT = access.register_permission("production.receive_output", "Receive work order output into stock")

numbering.register("work_order", "WO-")

MODEL = "production.workorder"


@guard("production.operations_complete", "Every operation of the work order is completed")
def operations_complete(work_order: Any, actor: Any) -> str | None:
    open_ops = list(
        work_order.operations.exclude(status="completed").order_by("sequence").values_list("sequence", flat=True)
    )
    if open_ops:
        return f"Operations {', '.join(str(s) for s in open_ops)} are not completed."
    return None


@guard("production.material_issued", "Every required component has been issued")
def material_issued(work_order: Any, actor: Any) -> str | None:
    short = [
        m.component.number
        for m in work_order.materials.select_related("component").order_by("position", "id")
        if m.issued_quantity < m.required_quantity
    ]
    if short:
        return f"Material not fully issued: {', '.join(short)}."
    return None


@guard("production.engineering_released", "The order's BOM version and routing are still released")
def engineering_released(work_order: Any, actor: Any) -> str | None:
    reasons = []
    if work_order.bom_version_id is not None and work_order.bom_version.status != "released":
        reasons.append(f"BOM version {work_order.bom_version.version} is {work_order.bom_version.status}.")
    if work_order.routing_id is not None and work_order.routing.status != "released":
        reasons.append(f"Routing version {work_order.routing.version} is {work_order.routing.status}.")
    return " ".join(reasons) or None


@guard("production.nothing_consumed", "No material is issued and no output received")
def nothing_consumed(work_order: Any, actor: Any) -> str | None:
    issued = sum((m.issued_quantity for m in work_order.materials.all()), Decimal(0))
    if issued > 0:
        return "Material is issued to the order: return it first."
    if work_order.received_quantity > 0:
        return "Output has been received from the order."
    return None


_HOLDABLE = ("planned", "released", "in_progress", "qc")

register_default(
    MODEL,
    "Work order",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("planned", "Planned", colour="#2563eb"),
        StateSpec("released", "Released", colour="#7c3aed"),
        StateSpec("in_progress", "In progress", colour="#d97706"),
        StateSpec("qc", "QC", colour="#0891b2"),
        StateSpec("completed", "Completed", final=True, colour="#16a34a"),
        StateSpec("on_hold", "On hold", colour="#dc2626"),
        StateSpec("cancelled", "Cancelled", final=True, colour="#374151"),
    ],
    transitions=[
        TransitionSpec("draft", "planned", "Plan", permission="production.change_workorder"),
        TransitionSpec("planned", "draft", "Back to draft", permission="production.change_workorder"),
        TransitionSpec(
            "planned", "released", "Release", permission=RELEASE, guards=("production.engineering_released",)
        ),
        TransitionSpec("released", "in_progress", "Start", permission="production.change_operation"),
        TransitionSpec(
            "in_progress",
            "qc",
            "Send to QC",
            permission="production.change_workorder",
            guards=("production.operations_complete",),
        ),
        TransitionSpec("qc", "in_progress", "Rework", permission="production.change_workorder", comment=True),
        TransitionSpec(
            "qc",
            "completed",
            "Complete",
            permission=COMPLETE,
            guards=("production.operations_complete", "production.material_issued"),
        ),
        TransitionSpec(
            "in_progress",
            "completed",
            "Complete",
            permission=COMPLETE,
            guards=("production.operations_complete", "production.material_issued"),
        ),
        *[TransitionSpec(s, "on_hold", "Hold", permission=CANCEL, comment=True) for s in _HOLDABLE],
        TransitionSpec("on_hold", "planned", "Resume as planned", permission=CANCEL),
        TransitionSpec("on_hold", "released", "Resume as released", permission=CANCEL),
        TransitionSpec("on_hold", "in_progress", "Resume in progress", permission=CANCEL),
        *[
            TransitionSpec(
                s, "cancelled", "Cancel", permission=CANCEL, comment=True, guards=("production.nothing_consumed",)
            )
            for s in ("draft", "planned", "released", "on_hold")
        ],
    ],
    description="Draft -> Planned -> Released -> In progress -> QC -> Completed; On hold and Cancelled.",
)
