"""Reads of the shop floor: what a scan points at, and the rows labels are printed from."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from shopfloor.catalog.models import DocumentLink, DocumentRevision
from shopfloor.core import access
from shopfloor.inventory.models import Location, Lot, SerialNumber, StockBalance
from shopfloor.production.models import Operation, WorkOrder, WorkOrderMaterial

from . import codes


def lots() -> QuerySet[Lot]:
    return Lot.objects.select_related("item")


def serial_numbers() -> QuerySet[SerialNumber]:
    return SerialNumber.objects.select_related("item", "lot")


def locations() -> QuerySet[Location]:
    return Location.objects.select_related("plant")


def one(queryset: QuerySet[Any]) -> Any:
    """The row of a lookup that names at most one (a primary key, a unique number), or None.

    Unlike `.first()` it asks for no ORDER BY: ordering a wide select makes Django hash every
    selected column while compiling (a good part of a terminal request's CPU), for nothing when
    one row at most can match."""
    return next(iter(queryset.order_by()[:1]), None)


def _missing(message: str) -> ValidationError:
    return ValidationError({"code": [message]})


def resolve_stock(code: codes.ScanCode) -> Lot | SerialNumber | Location:
    """The lot, serial number or location a scanned label names (in the current organization).

    Raises ValidationError({"code": ...}) when the label names nothing here: a label of another
    organization reads the same as one never printed.
    """
    if code.kind == codes.LOT:
        item_number, number = code.parts
        found: Any = one(lots().filter(item__number=item_number, number=number))
        if found is None:
            raise _missing(f"No lot {number} of {item_number}.")
        return found
    if code.kind == codes.SERIAL:
        item_number, serial = code.parts
        found = one(serial_numbers().filter(item__number=item_number, serial=serial))
        if found is None:
            raise _missing(f"No serial number {serial} of {item_number}.")
        return found
    if code.kind == codes.LOCATION:
        plant_code, location_code = code.parts
        found = one(locations().filter(plant__code=plant_code, code=location_code))
        if found is None:
            raise _missing(f"No location {location_code} at plant {plant_code}.")
        return found
    raise _missing(f"{code.text} is not a lot, serial number or location label.")


def labelled_objects(texts: list[str]) -> list[Lot | SerialNumber | Location]:
    """The objects of a list of scanned or typed codes, in order; every unknown one is reported."""
    found: list[Lot | SerialNumber | Location] = []
    problems: list[str] = []
    for text in texts:
        try:
            found.append(resolve_stock(codes.parse(text)))
        except ValidationError as exc:
            problems.extend(exc.message_dict.get("code", exc.messages))
    if problems:
        raise ValidationError({"codes": problems})
    return found


# --- Work orders and operations -------------------------------------------------------------------


def work_orders() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related(
        "item", "item__stock_unit", "plant", "unit", "parent", "serial", "issue_location", "output_location"
    )


def operations() -> QuerySet[Operation]:
    """Job cards as the terminal shows them. Unlike production's list, without the eligible
    machines prefetch: no terminal page shows them, and the services that check them read the
    job card again under lock; one query less on every scan and page of a busy floor."""
    return Operation.objects.select_related("work_order", "work_order__item", "work_center", "machine", "operator")


def resolve_work(code: codes.ScanCode, user: Any) -> WorkOrder | Operation:
    """The work order or operation (job card) a scanned traveller code names, among the plants
    `user` works at (another plant's code reads like one never printed): the row alone (the
    terminal goes to its page, which reads what it shows)."""
    if code.kind == codes.WORK_ORDER:
        orders = access.at_user_plants(WorkOrder.objects.all(), user)
        found: Any = one(orders.filter(number=code.parts[0]))
        if found is None:
            raise _missing(f"No work order {code.parts[0]}.")
        return found
    if code.kind == codes.OPERATION:
        number, key = code.parts
        job_cards = access.at_user_plants(Operation.objects.all(), user, "work_order__plant")
        if number:
            found = one(job_cards.filter(work_order__number=number, sequence=int(key)))
            if found is None:
                raise _missing(f"{number} has no operation {key}.")
        else:
            found = one(job_cards.filter(pk=int(key)))
            if found is None:
                raise _missing(f"No operation {key}.")
        return found
    raise _missing(f"{code.text} is not a work order or operation code.")


def operation_lines(work_order: WorkOrder) -> list[Operation]:
    return list(
        Operation.objects.filter(work_order=work_order)
        .select_related("work_center", "machine", "operator")
        .order_by("sequence")
    )


def job_cards_of_order(*, work_order_id: int | None = None, operation_id: int | None = None) -> list[Operation]:
    """Every job card of one order, named by its id or by one of its job cards', in sequence,
    with its work center; and the order itself (with its item and stock unit) set on every one
    of them, as the same object: what a terminal page shows, in two queries. (One query joining
    the order to every job card row costs more: Django converts the order's columns once per row.)
    Empty when the order has no job cards (or none of this organization has that id)."""
    qs = Operation.objects.select_related("work_center").order_by()  # sorted here: see `one`
    if operation_id is not None:
        qs = qs.filter(work_order__operations=operation_id)
    else:
        qs = qs.filter(work_order_id=work_order_id)
    ops = sorted(qs, key=lambda op: op.sequence)
    if ops:
        work_order = WorkOrder.objects.select_related("item__stock_unit").get(pk=ops[0].work_order_id)
        for op in ops:
            op.work_order = work_order
    return ops


def material_lines(work_order: WorkOrder, ops: list[Operation] | None = None) -> list[WorkOrderMaterial]:
    """The order's material list; with the order's job cards at hand (`ops`), each line's
    operation is taken from them instead of being joined again."""
    if ops is None:
        related: tuple[str, ...] = ("component__stock_unit", "issue_location", "operation")
    else:
        related = ("component__stock_unit", "issue_location")
    lines = sorted(
        WorkOrderMaterial.objects.filter(work_order=work_order).select_related(*related).order_by(),
        key=lambda line: (line.position, line.pk),
    )
    if ops is not None:
        by_id = {op.pk: op for op in ops}
        for line in lines:
            if line.operation_id is not None and line.operation_id in by_id:
                line.operation = by_id[line.operation_id]
    return lines


def documents_for(work_order: WorkOrder, ops: list[Operation]) -> dict[str, Any]:
    """Drawings and documents to show with the order: the item's, and each operation's (by the
    routing operation it was copied from), each with its released revision (or None).

    The item's links and the routing operations' links (`resources.selectors.operation_documents`
    reads the same rows) come in one query, the released revisions in a second when there are
    links at all: a terminal page shows them on every scan."""
    routing_ops = {op.source_operation_id for op in ops if op.source_operation_id}
    wanted = Q(object_type="catalog.item", object_id=work_order.item_id)
    if routing_ops:
        wanted |= Q(object_type="resources.operation", object_id__in=routing_ops)
    links = list(DocumentLink.objects.filter(wanted).select_related("document").order_by())
    # DocumentLink's own order (document, i.e. newest number first; then the target), sorted here.
    links.sort(key=lambda link: (link.object_type, link.object_id))
    links.sort(key=lambda link: link.document.number, reverse=True)
    released = {}
    if links:
        released = {
            r.document_id: r
            for r in DocumentRevision.objects.filter(document_id__in={k.document_id for k in links}, status="released")
        }
    item_docs: list[dict[str, Any]] = []
    by_routing_op: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for link in links:
        entry = {"document": link.document, "released": released.get(link.document_id)}
        if link.object_type == "catalog.item":
            item_docs.append(entry)
        else:
            by_routing_op[link.object_id].append(entry)
    per_operation = {op.pk: by_routing_op.get(op.source_operation_id or 0, []) for op in ops}
    return {"item": item_docs, "operations": per_operation}


def lot_stock_for_issue(*, lot: Lot, work_order: WorkOrder) -> list[StockBalance]:
    """Where the lot is on hand in the order's plant, the order's issue locations first."""
    preferred = {work_order.issue_location_id} | set(
        WorkOrderMaterial.objects.filter(work_order=work_order, component_id=lot.item_id)
        .exclude(issue_location=None)
        .values_list("issue_location_id", flat=True)
    )
    rows = list(
        StockBalance.objects.filter(lot=lot, location__plant_id=work_order.plant_id, on_hand__gt=0)
        .exclude(location__location_type__in=list(Location.VIRTUAL_TYPES) + ["scrap", "quarantine"])
        .select_related("location")
        .order_by("location__code")
    )
    return sorted(rows, key=lambda b: (b.location_id not in preferred, b.location.code))
