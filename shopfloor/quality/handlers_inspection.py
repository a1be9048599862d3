"""Inspections opened by what happens elsewhere: receipts, completed operations, work orders in QC.

Event handlers run once per event (the outbox records each handler's run), and the service
opens one inspection per plan and source line, so a replayed event opens nothing twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shopfloor.catalog.models import Item
from shopfloor.core import events
from shopfloor.core.models import OutboxEvent, Plant, User
from shopfloor.inventory.models import Location, Lot, SerialNumber, StockMove
from shopfloor.production.models import Operation, WorkOrder
from shopfloor.workflows.registry import on_enter

from .models import Inspection, InspectionPlan
from .services import inspection as services


def _actor(payload: dict[str, Any]) -> Any:
    pk = payload.get("actor")
    return User.objects.filter(pk=pk).first() if pk else None


def _stock_quantity(line: dict[str, Any]) -> Decimal | None:
    """The received quantity in the item's stock unit: the lot size an inspection decides on
    and moves out of quarantine (a line ordered in boxes of 12 posts 12 per box to stock).
    Events emitted before receipts carried it name their stock move, which holds it."""
    if line.get("stock_quantity") is not None:
        return Decimal(line["stock_quantity"])
    return StockMove.objects.filter(pk=line.get("stock_move")).values_list("quantity", flat=True).first()


@events.subscribe("purchasing.receipt.posted", name="quality.inspect_receipt")
def inspect_receipt(event: OutboxEvent) -> None:
    """One receiving inspection per receipt line whose item has a released receiving plan, or
    whose item is inspected on receipt without one (then a plan-less, pass/fail inspection, so
    the quarantined stock is never left without a decision to wait for)."""
    payload = event.payload
    actor = _actor(payload)
    for line in payload.get("lines", []):
        plan = services.released_plan(item=line["item"], context=InspectionPlan.Context.RECEIVING)
        item = Item.objects.filter(pk=line["item"]).first()
        if plan is None and (item is None or not item.inspect_on_receipt):
            continue
        quantity = _stock_quantity(line)
        if quantity is None:
            continue
        location = Location.objects.filter(pk=line.get("location")).first()
        home = None
        if location is not None and location.location_type == Location.Type.QUARANTINE:
            home = services._plant_location(location.plant_id, Location.Type.RECEIVING)
        if plan is None:
            services.create_planless_inspection(
                actor=actor,
                item=item,
                context=InspectionPlan.Context.RECEIVING,
                plant=Plant.objects.get(pk=payload["plant"]),
                quantity=quantity,
                lot=Lot.objects.filter(pk=line.get("lot")).first(),
                serial=SerialNumber.objects.filter(pk=line.get("serial")).first(),
                location=location,
                home_location=home,
                source_type="purchasing.receiptline",
                source_id=str(line["id"]),
                source_number=payload.get("number", ""),
                note="No released receiving plan: decide pass or fail.",
            )
            continue
        services.create_inspection(
            actor=actor,
            plan=plan,
            plant=Plant.objects.get(pk=payload["plant"]),
            quantity=quantity,
            lot=Lot.objects.filter(pk=line.get("lot")).first(),
            serial=SerialNumber.objects.filter(pk=line.get("serial")).first(),
            location=location,
            home_location=home,
            source_type="purchasing.receiptline",
            source_id=str(line["id"]),
            source_number=payload.get("number", ""),
        )


@events.subscribe("production.operation.completed", name="quality.inspect_operation")
def inspect_operation(event: OutboxEvent) -> None:
    """An in-process inspection of the good quantity of an operation that has a plan."""
    op = Operation.objects.select_related("work_order").filter(pk=event.payload.get("id")).first()
    if op is None or op.good_quantity <= 0:
        return
    wo = op.work_order
    plan = services.released_plan(
        item=wo.item_id,
        context=InspectionPlan.Context.IN_PROCESS,
        operation_sequence=op.sequence,
        work_center=op.work_center_id,
    )
    if plan is None:
        return
    services.create_inspection(
        actor=None,
        plan=plan,
        plant=wo.plant,
        quantity=op.good_quantity,
        source_type="production.operation",
        source_id=str(op.pk),
        source_number=f"{wo.number}/{op.sequence}",
        work_order=wo,
    )


@on_enter("production.workorder", "qc")
def inspect_work_order(work_order: WorkOrder, actor: Any) -> None:
    """A final inspection each time a work order enters QC (after a rework, a new one)."""
    plan = services.released_plan(item=work_order.item_id, context=InspectionPlan.Context.FINAL)
    if plan is None:
        return
    earlier = Inspection.objects.filter(plan__item=work_order.item_id, work_order=work_order, context="final")
    if earlier.filter(status=Inspection.Status.OPEN).exists():
        return
    outputs = list(
        StockMove.objects.filter(
            source_object_type="production.workorder",
            source_object_id=str(work_order.pk),
            kind=StockMove.Kind.RECEIVE,
        ).values_list("to_location", "lot", "serial")
    )
    where = {(loc, lot) for loc, lot, _ in outputs}
    location = lot = None
    if len(where) == 1 and not any(serial for _, _, serial in outputs):
        loc_id, lot_id = where.pop()
        location = Location.objects.filter(pk=loc_id).first()
        lot = Lot.objects.filter(pk=lot_id).first() if lot_id else None
    quantity = work_order.received_quantity if work_order.received_quantity > 0 else work_order.quantity
    services.create_inspection(
        actor=actor,
        plan=plan,
        plant=work_order.plant,
        quantity=Decimal(quantity),
        lot=lot,
        location=location,
        source_type="production.workorder",
        source_id=f"{work_order.pk}-{earlier.count() + 1}",
        source_number=work_order.number,
        work_order=work_order,
    )
