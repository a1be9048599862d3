"""Read queries of production: order lists with late flags and progress, pick lists with FEFO
suggestions, planned versus actual cost, and the genealogy tree backwards and forwards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from shopfloor.catalog.models import QUANTITY
from shopfloor.inventory import selectors as inventory_selectors
from shopfloor.inventory.models import Location, Lot, Reservation, SerialNumber, StockBalance

from .models import GenealogyLink, MaterialIssue, Operation, TimeEntry, WorkOrder, WorkOrderMaterial, WorkOrderOutput

CLOSED = ("completed", "cancelled")
MONEY_PLACES = Decimal("0.01")
# A work order's reservations are per material line (two lines may share a component).
MATERIAL_SOURCE = "production.workordermaterial"


def work_orders() -> QuerySet[WorkOrder]:
    """Orders with what lists need: item, plant, late flag, operation counts (no query per row)."""
    today = timezone.localdate()
    return (
        WorkOrder.objects.select_related("item", "item__stock_unit", "plant", "unit", "parent", "serial")
        .annotate(
            is_late=Case(
                When(Q(due_date__lt=today) & ~Q(status__in=CLOSED), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            operations_total=Coalesce(Subquery(_ops.annotate(n=Count("id")).values("n")), 0),
            operations_done=Coalesce(Subquery(_ops.filter(status="completed").annotate(n=Count("id")).values("n")), 0),
            processed_quantity=Coalesce(
                Subquery(_ops.annotate(q=Sum(F("good_quantity") + F("scrap_quantity"))).values("q")),
                Value(Decimal(0), output_field=DecimalField(**QUANTITY)),
                output_field=DecimalField(**QUANTITY),
            ),
        )
        .order_by("-id")
    )


_ops = Operation.objects.filter(work_order=OuterRef("pk")).order_by().values("work_order")


def operations() -> QuerySet[Operation]:
    return Operation.objects.select_related(
        "work_order", "work_order__item", "work_center", "machine", "operator"
    ).prefetch_related("eligible_machines")


def materials() -> QuerySet[WorkOrderMaterial]:
    return WorkOrderMaterial.objects.select_related(
        "work_order", "component", "component__stock_unit", "operation", "issue_location", "sub_work_order"
    )


def time_entries() -> QuerySet[TimeEntry]:
    return TimeEntry.objects.select_related("operation", "work_order", "user", "machine")


def material_issues() -> QuerySet[MaterialIssue]:
    return MaterialIssue.objects.select_related("work_order", "item", "lot", "serial", "location", "operation")


def outputs() -> QuerySet[WorkOrderOutput]:
    return WorkOrderOutput.objects.select_related("work_order", "item", "lot", "serial", "location")


def genealogy_links() -> QuerySet[GenealogyLink]:
    return GenealogyLink.objects.select_related(
        "work_order",
        "consumed_item",
        "consumed_lot",
        "consumed_serial",
        "produced_item",
        "produced_lot",
        "produced_serial",
    )


def is_late(work_order: WorkOrder) -> bool:
    return work_order.due_date < timezone.localdate() and work_order.status not in CLOSED


def progress(work_order: WorkOrder) -> int:
    """Percent done: quantity processed over all operations, else output received over ordered."""
    if work_order.status == "completed":
        return 100
    if hasattr(work_order, "processed_quantity"):  # annotated by work_orders(): no query per row
        count, done = work_order.operations_total, work_order.processed_quantity
    else:
        ops = list(work_order.operations.all())
        count = len(ops)
        done = sum((o.good_quantity + o.scrap_quantity for o in ops), Decimal(0))
    if not count:
        return int(min(work_order.received_quantity / work_order.quantity * 100, Decimal(100)))
    # Each operation processes at most what it received, never more than the order quantity.
    return int(min(Decimal(done) / (work_order.quantity * count) * 100, Decimal(100)))


def line_reservations(line: WorkOrderMaterial) -> QuerySet[Reservation]:
    """The material line's open reservations, first expiring lot first (the order they are picked in)."""
    return (
        Reservation.objects.filter(source_object_type=MATERIAL_SOURCE, source_object_id=str(line.pk), status="open")
        .select_related("location", "lot")
        .order_by(F("lot__expires_on").asc(nulls_last=True), "id")
    )


def order_reservations(work_order: WorkOrder) -> QuerySet[Reservation]:
    """Every open reservation of the order's material lines."""
    ids = [str(pk) for pk in work_order.materials.values_list("pk", flat=True)]
    return Reservation.objects.filter(source_object_type=MATERIAL_SOURCE, source_object_id__in=ids, status="open")


def reserved_for_order(*, work_order: WorkOrder, location: Location, lot: Lot | None) -> Decimal:
    """What of a place and lot is reserved for the order itself: it may issue that too."""
    rows = order_reservations(work_order).filter(location=location, lot=lot)
    return sum(rows.values_list("quantity", flat=True), Decimal(0))


def reservable_stock(*, item: Any, plant: Any, location: Location | None = None) -> QuerySet[StockBalance]:
    """The plant's balances of the item with free stock, first expiring first: usable places only
    (never quarantine or scrap), inside `location` when the line picks from one."""
    rows = (
        StockBalance.objects.filter(
            item=item, location__plant=plant, location__is_active=True, on_hand__gt=F("reserved")
        )
        .exclude(location__location_type__in=inventory_selectors.UNAVAILABLE_TYPES)
        .select_related("location", "lot")
    )
    if location is not None:
        rows = rows.filter(location_id__in=inventory_selectors.descendant_ids(location))
    return rows.order_by(F("lot__expires_on").asc(nulls_last=True), "lot__created_at", "location__code", "id")


def pick_list(work_order: WorkOrder) -> list[dict[str, Any]]:
    """What to pick: each material line's open quantity, what is reserved for it, and where to take
    it from: its own reservations first, then free stock first expiring first."""
    rows = []
    open_orders = work_order.status not in CLOSED
    for line in materials().filter(work_order=work_order).order_by("position", "id"):
        open_q = max(line.required_quantity - line.issued_quantity, Decimal(0))
        location = line.issue_location or work_order.issue_location
        held = list(line_reservations(line)) if open_orders else []
        reserved = sum((r.quantity for r in held), Decimal(0))
        suggestions: list[dict[str, Any]] = []
        left = open_q
        for r in held:
            if left <= 0:
                break
            take = min(r.quantity, left)
            expires = r.lot.expires_on if r.lot else None
            suggestions.append(
                {"lot": r.lot, "location": r.location, "take": take, "expires_on": expires, "reserved": True}
            )
            left -= take
        if left > 0:
            # Without a pick location FEFO looks everywhere; only this plant's stock can be issued.
            suggestions += [
                s
                for s in inventory_selectors.fefo(item=line.component, location=location, quantity=left)
                if s.get("take", 0) > 0 and s["location"].plant_id == work_order.plant_id
            ]
        rows.append(
            {
                "material": line,
                "open_quantity": open_q,
                "reserved": reserved,
                "unreserved": max(open_q - reserved, Decimal(0)),
                "location": location,
                "suggestions": suggestions,
            }
        )
    return rows


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(MONEY_PLACES)


def cost_summary(work_order: WorkOrder) -> dict[str, Any]:
    """Planned versus actual: quantities, minutes and cost of material, labour and machine time."""
    mats = list(work_order.materials.all())
    ops = list(work_order.operations.select_related("work_center"))
    planned_material = sum((m.required_quantity * m.unit_cost for m in mats), Decimal(0))
    planned_minutes = sum(
        (o.setup_time_minutes + o.run_time_per_unit_minutes * work_order.quantity for o in ops), Decimal(0)
    )
    planned_labour = sum(
        (
            (o.setup_time_minutes + o.run_time_per_unit_minutes * work_order.quantity)
            / 60
            * o.work_center.cost_rate_per_hour
            for o in ops
        ),
        Decimal(0),
    )
    actual_material = Decimal(0)
    for issue in work_order.material_issues.all():
        actual_material += issue.signed_quantity * issue.unit_cost
    actual = {"labour": Decimal(0), "machine": Decimal(0)}
    minutes = {"labour": Decimal(0), "machine": Decimal(0)}
    now = timezone.now()
    for entry in work_order.time_entries.all():
        m = entry.minutes
        if m is None:
            m = Decimal((now - entry.started_at).total_seconds() / 60)
        minutes[entry.kind] += m
        actual[entry.kind] += m / 60 * entry.rate_per_hour
    good = sum((o.good_quantity for o in ops[-1:]), Decimal(0))
    scrap = sum((o.scrap_quantity for o in ops), Decimal(0))
    planned_total = planned_material + planned_labour
    actual_total = actual_material + actual["labour"] + actual["machine"]
    return {
        "planned": {
            "quantity": work_order.quantity,
            "minutes": planned_minutes.quantize(Decimal("0.1")),
            "material": _money(planned_material),
            "labour": _money(planned_labour),
            "machine": Decimal("0.00"),
            "total": _money(planned_total),
        },
        "actual": {
            "quantity": good,
            "scrap": scrap,
            "received": work_order.received_quantity,
            "minutes": (minutes["labour"]).quantize(Decimal("0.1")),
            "machine_minutes": (minutes["machine"]).quantize(Decimal("0.1")),
            "material": _money(actual_material),
            "labour": _money(actual["labour"]),
            "machine": _money(actual["machine"]),
            "total": _money(actual_total),
        },
        "progress": progress(work_order),
        "late": is_late(work_order),
    }


# --- Genealogy -------------------------------------------------------------------------------------


def _node(lot: Lot | None, serial: SerialNumber | None, work_order: WorkOrder | None) -> dict[str, Any]:
    item = serial.item if serial is not None else lot.item if lot is not None else None
    return {"item": item, "lot": lot, "serial": serial, "work_order": work_order, "children": []}


def _walk(lot: Lot | None, serial: SerialNumber | None, *, backward: bool, depth: int, seen: set) -> list[dict]:
    if depth <= 0:
        return []
    side, other = ("produced", "consumed") if backward else ("consumed", "produced")
    if serial is not None:
        flt = Q(**{f"{side}_serial": serial})
    else:
        flt = Q(**{f"{side}_lot": lot, f"{side}_serial__isnull": True})
    children = []
    for link in genealogy_links().filter(flt).order_by("id"):
        c_lot, c_serial = getattr(link, f"{other}_lot"), getattr(link, f"{other}_serial")
        key = (c_lot.pk if c_lot else None, c_serial.pk if c_serial else None)
        if key in seen:
            continue
        seen.add(key)
        node = _node(c_lot, c_serial, link.work_order)
        node["children"] = _walk(c_lot, c_serial, backward=backward, depth=depth - 1, seen=seen)
        children.append(node)
    return children


def genealogy_backward(*, lot: Lot | None = None, serial: SerialNumber | None = None, depth: int = 10) -> dict:
    """What went into a lot or serial, and what went into those, down to `depth` levels."""
    root = _node(lot, serial, None)
    root["children"] = _walk(lot, serial, backward=True, depth=depth, seen=set())
    return root


def genealogy_forward(*, lot: Lot | None = None, serial: SerialNumber | None = None, depth: int = 10) -> dict:
    """Where a lot or serial went: the lots and serials made from it, and onwards."""
    root = _node(lot, serial, None)
    root["children"] = _walk(lot, serial, backward=False, depth=depth, seen=set())
    return root


def flatten(tree: dict, level: int = 0) -> list[dict[str, Any]]:
    """The tree as indented rows for a page."""
    rows = []
    for child in tree["children"]:
        rows.append({**child, "level": level})
        rows += flatten(child, level + 1)
    return rows


def work_order_genealogy(work_order: WorkOrder) -> list[GenealogyLink]:
    return list(genealogy_links().filter(work_order=work_order).order_by("id"))
