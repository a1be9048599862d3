"""The sales order's default workflow, its guards and effects, action permissions and numbering.

Draft -> Confirmed (stock is reserved for each line) -> In production (work orders cover
what stock could not) -> Partially shipped -> Shipped -> Closed. Cancelled releases every
reservation. The two shipping states are reached by shipping (the `ship` services), never by
hand: their guards look at the lines' shipped quantities.

The effects run inside the transition's transaction, so confirming from the API, the web page
or the generic workflow panel always reserves, and cancelling always releases.
"""

from __future__ import annotations

from typing import Any

from shopfloor.core import access, numbering
from shopfloor.workflows.registry import StateSpec, TransitionSpec, guard, on_enter, register_default

CONFIRM = access.register_permission("sales.confirm_salesorder", "Confirm sales orders (reserves stock)")
SHIP = access.register_permission("sales.ship_salesorder", "Ship sales orders (stock leaves for the customer)")
CLOSE = access.register_permission("sales.close_salesorder", "Close or cancel sales orders")

numbering.register("sales_order", "SO-")

MODEL = "sales.salesorder"
# A string, not an import: the permission is production's (a higher app), granted with its roles.
START_PRODUCTION = "production.add_workorder"


@guard("sales.order_is_complete", "The order has lines, an active customer and only active items")
def _order_is_complete(order: Any, actor: Any) -> str | None:
    from .selectors import confirmation_problems

    problems = confirmation_problems(order=order)
    return " ".join(problems) if problems else None


@guard("sales.nothing_shipped", "Nothing of the order has been shipped yet")
def _nothing_shipped(order: Any, actor: Any) -> str | None:
    if order.lines.filter(shipped_quantity__gt=0).exists():
        return "Part of the order has been shipped: close it short instead of cancelling."
    return None


@guard("sales.some_lines_shipped", "Part of the order has been shipped, not all")
def _some_shipped(order: Any, actor: Any) -> str | None:
    from .selectors import shipping_progress

    shipped, complete = shipping_progress(order=order)
    if not shipped:
        return "Nothing has been shipped yet: ship a line and the order moves on by itself."
    if complete:
        return "Everything has been shipped."
    return None


@guard("sales.all_lines_shipped", "Every open line has been shipped in full")
def _all_shipped(order: Any, actor: Any) -> str | None:
    from .selectors import shipping_progress

    _, complete = shipping_progress(order=order)
    return None if complete else "Not everything has been shipped yet: ship the lines and the order moves on by itself."


@on_enter(MODEL, "confirmed")
def _reserve_on_confirm(order: Any, actor: Any) -> None:
    from .services import reserve_order

    reserve_order(actor=actor, order=order)


@on_enter(MODEL, "cancelled")
def _release_on_cancel(order: Any, actor: Any) -> None:
    from .services import end_order_lines

    end_order_lines(actor=actor, order=order, line_status="cancelled")


@on_enter(MODEL, "closed")
def _release_on_close(order: Any, actor: Any) -> None:
    from .services import end_order_lines

    end_order_lines(actor=actor, order=order, line_status="closed")


_SHIPPING = ("confirmed", "in_production", "partially_shipped")

register_default(
    MODEL,
    "Sales order",
    states=[
        StateSpec("draft", "Draft", initial=True, colour="#6b7280"),
        StateSpec("confirmed", "Confirmed", colour="#2563eb"),
        StateSpec("in_production", "In production", colour="#7c3aed"),
        StateSpec("partially_shipped", "Partially shipped", colour="#d97706"),
        StateSpec("shipped", "Shipped", colour="#16a34a"),
        StateSpec("closed", "Closed", final=True, colour="#374151"),
        StateSpec("cancelled", "Cancelled", final=True, colour="#991b1b"),
    ],
    transitions=[
        TransitionSpec("draft", "confirmed", "Confirm", permission=CONFIRM, guards=("sales.order_is_complete",)),
        # Production moves the order here when it opens a work order for a line (see
        # `services.work_order_opened`): who may open work orders may say the order is being made.
        TransitionSpec("confirmed", "in_production", "In production", permission=START_PRODUCTION),
        *[
            TransitionSpec(
                source, "partially_shipped", "Partially shipped", permission=SHIP, guards=("sales.some_lines_shipped",)
            )
            for source in ("confirmed", "in_production")
        ],
        *[
            TransitionSpec(source, "shipped", "Shipped", permission=SHIP, guards=("sales.all_lines_shipped",))
            for source in _SHIPPING
        ],
        TransitionSpec("shipped", "closed", "Close", permission=CLOSE),
        TransitionSpec("partially_shipped", "closed", "Close short", permission=CLOSE, comment=True),
        *[
            TransitionSpec(
                source, "cancelled", "Cancel", permission=CLOSE, comment=True, guards=("sales.nothing_shipped",)
            )
            for source in ("draft", "confirmed", "in_production")
        ],
    ],
    description="Draft -> Confirmed (stock reserved) -> In production -> Partially shipped -> Shipped -> Closed; "
    "Cancelled releases the reservations.",
)
