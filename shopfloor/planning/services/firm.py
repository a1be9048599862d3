"""Firming: planned orders of the plan in force become real work orders and purchase orders.

All selected orders firm in ONE transaction: if any one is refused (already firmed, a plan
superseded by a newer run, a blocked supplier, no supplier for a buy order), nothing is
written, so the planner never has half a plan turned into documents.

Buy orders are grouped into one draft purchase order per plant and supplier, one line per
planned order (its item, quantity and due date). The supplier of a buy order is the one the
planner picked for this firming when given, else the planned order's own supplier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shopfloor.core import access, audit, events
from shopfloor.core.errors import Conflict
from shopfloor.partners.models import Supplier
from shopfloor.production import services as production_services
from shopfloor.purchasing import services as purchasing_services
from shopfloor.purchasing.models import PurchaseOrder

from ..models import MrpRun, PlannedOrder


def plan_in_force(plant: Any) -> MrpRun | None:
    """The plant's newest finished MRP run: the only plan whose orders may still be firmed."""
    return MrpRun.objects.filter(plant=plant, status=MrpRun.Status.DONE).order_by("-id").first()


def _mark_firmed(actor: Any, order: PlannedOrder, **link: Any) -> None:
    before = audit.snapshot(order)
    order.status = PlannedOrder.Status.FIRMED
    for name, value in link.items():
        setattr(order, name, value)
    order.save(update_fields=["status", *link, "updated_at"])
    audit.record(actor, order, action="update", changes=audit.diff(before, audit.snapshot(order)), reason="Firmed")


@transaction.atomic
def firm_planned_orders(
    *, actor: Any, planned_orders: Iterable[PlannedOrder], supplier: Supplier | None = None
) -> list[PlannedOrder]:
    """Turn planned orders into a draft work order each (make) and grouped purchase orders (buy).

    Refuses (409) an order already firmed or one of a run that is no longer the plant's plan
    in force, (400) a buy order with no supplier or a blocked one; nothing is written then.
    """
    wanted = sorted({order.pk for order in planned_orders})
    if not wanted:
        raise ValidationError({"ids": ["Select at least one planned order."]})
    # Locked in id order so two planners firming overlapping selections cannot both firm one.
    locked = list(
        PlannedOrder.objects.select_for_update(of=("self",))
        .filter(pk__in=wanted)
        .select_related("run", "plant", "item", "bom_version", "supplier")
        .order_by("pk")
    )
    if len(locked) != len(wanted):
        raise PlannedOrder.DoesNotExist("A selected planned order does not exist.")
    in_force: dict[int, MrpRun | None] = {}
    for order in locked:
        access.require(actor, "planning.change_plannedorder", plant=order.plant)
        if order.status == PlannedOrder.Status.FIRMED:
            raise Conflict(f"{order} is already firmed.", code="firmed")
        if order.plant_id not in in_force:
            in_force[order.plant_id] = plan_in_force(order.plant)
        current = in_force[order.plant_id]
        if current is None or current.pk != order.run_id:
            raise Conflict(
                f"Plan superseded: {order} belongs to MRP run {order.run_id}, but the plan in force at "
                f"{order.plant.code} is run {current.pk if current else 'none'}. Firm from the newest run.",
                code="superseded",
            )
    buys: dict[tuple[int, int], list[PlannedOrder]] = defaultdict(list)
    suppliers: dict[int, Supplier] = {}
    missing = [o for o in locked if o.kind == PlannedOrder.Kind.BUY and (supplier or o.supplier) is None]
    if missing:
        numbers = ", ".join(sorted({o.item.number for o in missing}))
        raise ValidationError({"supplier": [f"Choose a supplier for the planned purchase orders of {numbers}."]})
    for order in locked:
        if order.kind == PlannedOrder.Kind.MAKE:
            data: dict[str, Any] = {
                "item": order.item,
                "quantity": order.quantity,
                "plant": order.plant,
                "due_date": order.due_date,
                "planned_start": order.start_date,
                "notes": f"Firmed from MRP run {order.run_id}, planned order {order.pk}.",
            }
            if order.bom_version is not None and order.bom_version.status == "released":
                data["bom_version"] = order.bom_version
            work_order = production_services.create_work_order(actor=actor, data=data)
            _mark_firmed(actor, order, work_order=work_order)
        else:
            chosen = supplier or order.supplier
            assert chosen is not None
            suppliers[chosen.pk] = chosen
            buys[(order.plant_id, chosen.pk)].append(order)
    for (_plant_id, supplier_id), orders in sorted(buys.items()):
        purchase_order: PurchaseOrder = purchasing_services.create_purchase_order(
            actor=actor,
            data={
                "plant": orders[0].plant,
                "supplier": suppliers[supplier_id],
                "expected_date": min(o.due_date for o in orders),
                "notes": f"Firmed from MRP run {orders[0].run_id}.",
            },
        )
        for order in sorted(orders, key=lambda o: (o.due_date, o.item.number, o.pk)):
            purchasing_services.add_line(
                actor=actor,
                order=purchase_order,
                data={"item": order.item, "quantity": order.quantity, "due_date": order.due_date},
            )
            _mark_firmed(actor, order, purchase_order=purchase_order)
    events.emit(
        "planning.plannedorders.firmed",
        {"ids": [o.pk for o in locked], "actor": getattr(actor, "pk", None)},
    )
    return locked
