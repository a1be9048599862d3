"""The purchase order's default workflow, its guards, and purchasing's action permissions.

Draft -> (Submit) -> Approved when the order is worth no more than the organization's approval
threshold; else Draft -> (Submit for approval) -> Pending approval -> (Approve, N approvals) ->
Approved. Then Sent, Partially received / Received (moved by receipts only: the guards check
the received quantities), Closed; Cancelled before anything is received. Every step that puts
an order in front of a supplier checks that the supplier is not blocked.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shopfloor.core import access, numbering
from shopfloor.workflows.registry import StateSpec, TransitionSpec, guard, on_enter, register_default

MODEL = "purchasing.purchaseorder"

access.register_permission("purchasing.approve_purchaseorder", "Approve purchase orders above the threshold")
access.register_permission("purchasing.send_purchaseorder", "Send approved purchase orders to the supplier")

numbering.register("purchase_order", "PO-")
numbering.register("receipt", "RCV-")


@guard("purchasing.order_has_lines", "The order has at least one line")
def _has_lines(order: Any, actor: Any) -> str | None:
    if not order.lines.exists():
        return "The order has no lines."
    return None


@guard("purchasing.supplier_not_blocked", "The order's supplier is not blocked")
def _supplier_not_blocked(order: Any, actor: Any) -> str | None:
    supplier = type(order.supplier)._default_manager.get(pk=order.supplier_id)
    if not supplier.can_receive_orders:
        why = f": {supplier.approval_note}" if supplier.approval_note else ""
        state = "blocked" if supplier.approval_status == "blocked" else "inactive"
        return f"Supplier {supplier.number} {supplier.name} is {state}{why}; it cannot receive purchase orders."
    return None


@guard("purchasing.within_approval_threshold", "The order is worth no more than the approval threshold")
def _within_threshold(order: Any, actor: Any) -> str | None:
    from .selectors import approval_threshold, order_total

    total, threshold = order_total(order=order), approval_threshold()
    if total > threshold:
        return (
            f"The order is worth {total:.2f}, above the approval threshold of {threshold:.2f}: submit it for approval."
        )
    return None


@guard("purchasing.above_approval_threshold", "The order is worth more than the approval threshold")
def _above_threshold(order: Any, actor: Any) -> str | None:
    from .selectors import approval_threshold, order_total

    total, threshold = order_total(order=order), approval_threshold()
    if total <= threshold:
        return (
            f"The order is worth {total:.2f}, within the approval threshold of {threshold:.2f}: it needs no approval."
        )
    return None


@guard("purchasing.partly_received", "Some but not all of the order is received")
def _partly_received(order: Any, actor: Any) -> str | None:
    from .selectors import receipt_progress

    received_any, received_all = receipt_progress(order=order)
    if not received_any or received_all:
        return "Only a receipt moves the order to partially received."
    return None


@guard("purchasing.fully_received", "Every line of the order is received")
def _fully_received(order: Any, actor: Any) -> str | None:
    from .selectors import receipt_progress

    _, received_all = receipt_progress(order=order)
    if not received_all:
        return "Lines of the order are still open."
    return None


@on_enter(MODEL, "sent")
def _stamp_sent(order: Any, actor: Any) -> None:
    type(order)._default_manager.filter(pk=order.pk).update(sent_at=timezone.now())


CHANGE = "purchasing.change_purchaseorder"
RECEIVE = "purchasing.add_receipt"
SUPPLIER_OK = "purchasing.supplier_not_blocked"

register_default(
    MODEL,
    "Purchase order",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("pending_approval", "Pending approval", colour="#d97706"),
        StateSpec("approved", "Approved", colour="#7c3aed"),
        StateSpec("sent", "Sent", colour="#2563eb"),
        StateSpec("partially_received", "Partially received", colour="#0891b2"),
        StateSpec("received", "Received", colour="#16a34a"),
        StateSpec("closed", "Closed", final=True, colour="#374151"),
        StateSpec("cancelled", "Cancelled", final=True, colour="#991b1b"),
    ],
    transitions=[
        TransitionSpec(
            "draft",
            "approved",
            "Submit",
            permission=CHANGE,
            guards=("purchasing.order_has_lines", SUPPLIER_OK, "purchasing.within_approval_threshold"),
        ),
        TransitionSpec(
            "draft",
            "pending_approval",
            "Submit for approval",
            permission=CHANGE,
            guards=("purchasing.order_has_lines", SUPPLIER_OK, "purchasing.above_approval_threshold"),
        ),
        TransitionSpec(
            "pending_approval",
            "approved",
            "Approve",
            permission="purchasing.approve_purchaseorder",
            guards=(SUPPLIER_OK,),
            approvals=1,
        ),
        TransitionSpec("pending_approval", "draft", "Return to draft", permission=CHANGE, comment=True),
        TransitionSpec("approved", "draft", "Return to draft", permission=CHANGE, comment=True),
        TransitionSpec("approved", "sent", "Send", permission="purchasing.send_purchaseorder", guards=(SUPPLIER_OK,)),
        TransitionSpec(
            "sent", "partially_received", "Receive part", permission=RECEIVE, guards=("purchasing.partly_received",)
        ),
        TransitionSpec(
            "sent", "received", "Receive in full", permission=RECEIVE, guards=("purchasing.fully_received",)
        ),
        TransitionSpec(
            "partially_received",
            "received",
            "Receive the rest",
            permission=RECEIVE,
            guards=("purchasing.fully_received",),
        ),
        TransitionSpec("received", "closed", "Close", permission=CHANGE),
        TransitionSpec("partially_received", "closed", "Close short", permission=CHANGE, comment=True),
        TransitionSpec("draft", "cancelled", "Cancel", permission=CHANGE, comment=True),
        TransitionSpec("pending_approval", "cancelled", "Cancel", permission=CHANGE, comment=True),
        TransitionSpec("approved", "cancelled", "Cancel", permission=CHANGE, comment=True),
        TransitionSpec("sent", "cancelled", "Cancel", permission=CHANGE, comment=True),
    ],
    description=(
        "Draft -> Approved (within the threshold) or Pending approval -> Approved (above it) -> Sent -> "
        "Partially received -> Received -> Closed; Cancelled before anything is received."
    ),
)
