"""NCR and CAPA services: open, edit, investigate, disposition (acting on stock), close; actions.

Every disposition moves real stock, books work in progress as an operation's scrap, or opens a
real work order in the same transaction as the disposition row, so the NCR and the ledger never
disagree. A closed (or cancelled) NCR is
frozen: any further edit is a conflict.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shopfloor.catalog.models import Item
from shopfloor.core import access, audit, events, notifications, numbering, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.models import Plant
from shopfloor.core.quantities import plain as _n
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, Lot, SerialNumber
from shopfloor.production import services as production
from shopfloor.production.models import Operation
from shopfloor.workflows import services as workflow_services
from shopfloor.workflows.services import SignatureInput

from ..defaults_ncr import APPROVE_CONCESSION, DISPOSE, fully_disposed
from ..models import Capa, Disposition, Ncr, NcrItem

FROZEN_STATES = ("closed", "cancelled")
EDITABLE_FIELDS = (
    "title",
    "description",
    "containment",
    "why_1",
    "why_2",
    "why_3",
    "why_4",
    "why_5",
    "cause_category",
    "root_cause",
    "location",
    "supplier",
    "customer",
)


def _quantity(value: Any, field: str = "quantity") -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: ["Enter a number."]}) from None
    if not q.is_finite() or q <= 0:
        raise ValidationError({field: ["Enter a quantity above zero."]})
    return q


def _frozen(ncr: Ncr) -> None:
    if ncr.status in FROZEN_STATES:
        raise Conflict(f"{ncr.number} is {ncr.status}: it can no longer change.", code="ncr_closed")


def _locked(ncr: Ncr) -> Ncr:
    return Ncr.objects.select_for_update().get(pk=ncr.pk)


@transaction.atomic
def open_ncr(*, actor: Any, data: dict[str, Any]) -> Ncr:
    """Raise an NCR on affected material.

    `data`: plant, item, quantity, source (receipt | operation | customer_return | audit |
    inspection), title; optional description, location (where the material is held),
    supplier, customer, receipt_line, work_order, operation, origin_type + origin_id (the
    record that raised it, e.g. "quality.inspection" and its id), containment, and
    `affected`: a list of {"lot": Lot|None, "serial": SerialNumber|None, "quantity"}.
    The supplier defaults from the receipt line's order, the work order from the operation.
    """
    plant: Plant | None = data.get("plant")
    item: Item | None = data.get("item")
    errors: dict[str, list[str]] = {}
    if plant is None:
        errors["plant"] = ["Name the plant."]
    if item is None:
        errors["item"] = ["Name the affected item."]
    if data.get("source") not in Ncr.Source.values:
        errors["source"] = [f"Choose one of: {', '.join(Ncr.Source.values)}."]
    if not str(data.get("title") or "").strip():
        errors["title"] = ["Give the NCR a title."]
    if errors:
        raise ValidationError(errors)
    assert plant is not None and item is not None
    access.require(actor, "quality.add_ncr", plant=plant)
    quantity = _quantity(data.get("quantity"))
    location: Location | None = data.get("location")
    if location is not None and location.plant_id != plant.pk:
        raise ValidationError({"location": [f"{location.code} is in another plant."]})
    receipt_line = data.get("receipt_line")
    operation = data.get("operation")
    work_order = data.get("work_order") or (operation.work_order if operation is not None else None)
    supplier = data.get("supplier")
    if supplier is None and receipt_line is not None:
        supplier = receipt_line.receipt.supplier
    affected = list(data.get("affected") or [])
    total = Decimal(0)
    for i, row in enumerate(affected):
        lot, serial = row.get("lot"), row.get("serial")
        q = _quantity(row.get("quantity", 1 if serial else None), f"affected.{i}.quantity")
        if (lot is not None and lot.item_id != item.pk) or (serial is not None and serial.item_id != item.pk):
            raise ValidationError({f"affected.{i}": [f"Not a lot or serial of {item.number}."]})
        if serial is not None and q != 1:
            raise ValidationError({f"affected.{i}.quantity": ["A serial number is one unit."]})
        total += q
        row["quantity"] = q
    if affected and total != quantity:
        raise ValidationError({"affected": [f"The affected lots and serials add up to {total}, not {quantity}."]})
    ncr = Ncr(
        organization=tenancy.require_organization(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        plant=plant,
        number=numbering.next_number("ncr"),
        status=workflow_services.initial_state(Ncr),
        title=str(data["title"]).strip(),
        description=data.get("description", "") or "",
        source=data["source"],
        item=item,
        quantity=quantity,
        location=location,
        supplier=supplier,
        customer=data.get("customer"),
        receipt_line=receipt_line,
        work_order=work_order,
        operation=operation,
        origin_type=data.get("origin_type", "") or "",
        origin_id=data.get("origin_id"),
        containment=data.get("containment", "") or "",
    )
    ncr.full_clean(exclude=["organization", "created_by", "number", "status"])
    ncr.save()
    for row in affected:
        NcrItem.objects.create(
            organization=ncr.organization,
            ncr=ncr,
            lot=row.get("lot"),
            serial=row.get("serial"),
            quantity=row["quantity"],
        )
    audit.record(actor, ncr, action="create", changes=audit.diff({}, audit.snapshot(ncr)))
    events.emit(
        "quality.ncr.opened",
        {"id": ncr.pk, "number": ncr.number, "item": item.pk, "source": ncr.source, "quantity": str(quantity)},
    )
    return ncr


@transaction.atomic
def update_ncr(*, actor: Any, ncr: Ncr, data: dict[str, Any]) -> Ncr:
    """Edit the description, containment and root-cause fields. Refused once closed."""
    ncr = _locked(ncr)
    access.require(actor, "quality.change_ncr", plant=ncr.plant)
    _frozen(ncr)
    before = audit.snapshot(ncr)
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({f: ["This field cannot be changed here."] for f in unknown})
    for field, value in data.items():
        setattr(ncr, field, value if value is not None or field in ("location", "supplier", "customer") else "")
    if ncr.location is not None and ncr.location.plant_id != ncr.plant_id:
        raise ValidationError({"location": [f"{ncr.location.code} is in another plant."]})
    ncr.full_clean(exclude=["organization", "created_by", "number", "status"])
    ncr.save()
    changes = audit.diff(before, audit.snapshot(ncr))
    if changes:
        audit.record(actor, ncr, action="update", changes=changes)
    return ncr


def transition_ncr(
    *, actor: Any, ncr: Ncr, to_state: str, comment: str = "", signature: SignatureInput | None = None
) -> Ncr:
    """Move the NCR through its workflow; closing is signed and stamps the closing time."""
    _frozen(ncr)
    with transaction.atomic():
        workflow_services.transition(ncr, to_state, actor, comment=comment, signature=signature)
        ncr.refresh_from_db()
        if ncr.status == "closed":
            Ncr.objects.filter(pk=ncr.pk).update(closed_at=timezone.now())
            ncr.refresh_from_db()
            events.emit("quality.ncr.closed", {"id": ncr.pk, "number": ncr.number})
        if ncr.status in FROZEN_STATES:
            _release_hold(actor, ncr)
    return ncr


HOLD_STATE = "on_hold"


def hold_work_order(*, actor: Any, ncr: Ncr) -> bool:
    """Hold the NCR's work order until the NCR is dispositioned (a failed in-process inspection).

    The order's good quantity at the failed operation is suspect, so nobody starts or completes
    another job card on it (production refuses both on an order on hold, and running ones
    pause). A rule, not the inspector's choice: see `workflows.services.transition_by_rule`.
    An order already on hold stays so and is resumed only when no NCR holds it any more.
    Returns whether the NCR holds the order.
    """
    wo = ncr.work_order
    if wo is None:
        return False
    wo = type(wo).objects.select_for_update().get(pk=wo.pk)
    held_from = ""
    if wo.status != HOLD_STATE:
        if wo.status not in ("released", "in_progress", "qc"):
            return False
        held_from = wo.status
        workflow_services.transition_by_rule(
            wo, HOLD_STATE, actor, comment=f"{ncr.number}: in-process inspection failed; held until dispositioned."
        )
    Ncr.objects.filter(pk=ncr.pk).update(work_order_held=True, work_order_held_from=held_from)
    ncr.work_order_held, ncr.work_order_held_from = True, held_from
    audit.record(actor, ncr, action="action", reason="work order held", changes={"work_order_held": [False, True]})
    return True


def _release_hold(actor: Any, ncr: Ncr) -> None:
    """Resume the work order this NCR held once every affected unit has a disposition in force
    (the NCR's own closing guard), or the NCR is closed or cancelled; another NCR still holding
    the order keeps it on hold."""
    ncr = Ncr.objects.select_for_update().get(pk=ncr.pk)
    if not ncr.work_order_held:
        return
    if ncr.status not in FROZEN_STATES and fully_disposed(ncr, actor) is not None:
        return
    Ncr.objects.filter(pk=ncr.pk).update(work_order_held=False)
    audit.record(actor, ncr, action="action", reason="work order released", changes={"work_order_held": [True, False]})
    others = Ncr.objects.filter(work_order=ncr.work_order_id, work_order_held=True).exclude(pk=ncr.pk)
    wo = type(ncr.work_order).objects.select_for_update().get(pk=ncr.work_order_id)
    if others.exists() or wo.status != HOLD_STATE:
        return
    earliest = Ncr.objects.filter(work_order=wo.pk).exclude(work_order_held_from="").order_by("id").first()
    target = (earliest.work_order_held_from if earliest else "") or "in_progress"
    if target == "qc":
        target = "in_progress"  # there is no way back to QC from a hold; it is sent to QC again
    workflow_services.transition_by_rule(wo, target, actor, comment=f"{ncr.number} dispositioned: hold released.")


def disposed_quantity(ncr: Ncr) -> Decimal:
    return ncr.dispositions.aggregate(total=Sum("quantity"))["total"] or Decimal(0)


def _scrap_at_operation(
    actor: Any,
    ncr: Ncr,
    quantity: Decimal,
    lot: Lot | None,
    serial: SerialNumber | None,
    data: dict[str, Any],
    note: str,
) -> None:
    """Scrap work in progress: the quantity comes off the operation's good output and becomes its scrap.

    No stock moves (nothing was received into stock yet). The next operations receive only what
    this one passed, so they can then complete at most the good quantity left; if the next
    operation (or, after the last one, the order's receipt) already took more than would be
    left, production refuses (409) and the units are scrapped where they are now. Runs in the
    disposition's transaction: a refusal leaves no disposition behind.
    """
    if lot is not None or serial is not None:
        raise ValidationError({"lot": ["Work in progress at an operation has no lot or serial yet; leave them out."]})
    production.scrap_good_quantity(
        actor=actor,
        operation=ncr.operation,
        quantity=quantity,
        reason=data.get("scrap_reason") or Operation.ScrapReason.OTHER,
        note=note,
    )


def disposition_kinds(*, actor: Any, ncr: Ncr) -> list[str]:
    """The disposition kinds `actor` may post on `ncr` now: none unless it is in the Disposition
    state and they may dispose at its plant; then use as is, and each kind whose own write they
    may do (a rework or repair opens a work order; a scrap of work in progress changes the
    operation, other scraps and returns post stock moves). `add_disposition` refuses the rest."""
    if ncr.status != "disposition" or not access.has_perm(actor, DISPOSE, plant=ncr.plant):
        return []
    in_process = ncr.location_id is None and ncr.operation_id is not None
    needs = {
        Disposition.Kind.USE_AS_IS: None,
        Disposition.Kind.REWORK: "production.add_workorder",
        Disposition.Kind.REPAIR: "production.add_workorder",
        Disposition.Kind.SCRAP: "production.change_operation" if in_process else "inventory.add_stockmove",
        Disposition.Kind.RETURN_TO_SUPPLIER: "inventory.add_stockmove",
    }
    return [
        kind
        for kind in Disposition.Kind.values
        if needs[kind] is None or access.has_perm(actor, needs[kind], plant=ncr.plant)
    ]


@transaction.atomic
def add_disposition(*, actor: Any, ncr: Ncr, data: dict[str, Any]) -> Disposition:
    """Decide what happens to (part of) the affected material, and do it.

    use_as_is: recorded; needs a concession approval by someone else before the NCR closes.
    rework / repair: opens a work order (kind repair for repair) for the quantity.
    scrap: moves the quantity (lot/serial) from the NCR's location to scrap; on an NCR with no
    location that names an operation (a failed in-process inspection: the material is work in
    progress, not stock), books it as the operation's scrap instead (see `_scrap_at_operation`).
    return_to_supplier: moves it from the NCR's location to the supplier (virtual location).
    """
    ncr = _locked(ncr)
    access.require(actor, DISPOSE, plant=ncr.plant)
    _frozen(ncr)
    if ncr.status != "disposition":
        raise Conflict(f"{ncr.number} is {ncr.status}: decide dispositions in the Disposition state.")
    kind = data.get("kind")
    if kind not in Disposition.Kind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(Disposition.Kind.values)}."]})
    lot: Lot | None = data.get("lot")
    serial: SerialNumber | None = data.get("serial")
    quantity = _quantity(data.get("quantity", 1 if serial is not None else None))
    if serial is not None and quantity != 1:
        raise ValidationError({"quantity": ["A serial number is one unit."]})
    if (lot is not None and lot.item_id != ncr.item_id) or (serial is not None and serial.item_id != ncr.item_id):
        raise ValidationError({"lot": [f"Not a lot or serial of {ncr.item.number}."]})
    left = ncr.quantity - disposed_quantity(ncr)
    if quantity > left:
        raise ValidationError({"quantity": [f"Only {_n(left)} of {_n(ncr.quantity)} are left to dispose."]})
    disposition = Disposition(
        organization=ncr.organization,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        ncr=ncr,
        kind=kind,
        quantity=quantity,
        lot=lot,
        serial=serial,
        note=data.get("note", "") or "",
    )
    source_note = f"{ncr.number}: {disposition.get_kind_display()}"
    if kind == Disposition.Kind.SCRAP and ncr.location is None and ncr.operation_id is not None:
        _scrap_at_operation(actor, ncr, quantity, lot, serial, data, source_note)
    elif kind in (Disposition.Kind.SCRAP, Disposition.Kind.RETURN_TO_SUPPLIER):
        if ncr.location is None:
            raise ValidationError({"location": [f"Say where the material of {ncr.number} is held first."]})
        if kind == Disposition.Kind.SCRAP:
            disposition.stock_move = inventory.scrap(
                actor=actor,
                item=ncr.item,
                quantity=quantity,
                location=ncr.location,
                reason_code="NCR",
                lot=lot,
                serial=serial,
                note=source_note,
            )
        else:
            if ncr.supplier is None:
                raise ValidationError({"supplier": [f"{ncr.number} names no supplier to return to."]})
            disposition.stock_move = inventory.post_move(
                actor=actor,
                item=ncr.item,
                quantity=quantity,
                lot=lot,
                serial=serial,
                from_location=ncr.location,
                to_location=inventory.virtual_location(ncr.plant, Location.Type.SUPPLIER),
                kind="issue",
                reason_code="RTV",
                note=source_note,
                source=inventory.SourceDocument("quality.ncr", str(ncr.pk), ncr.number),
            )
    elif kind in (Disposition.Kind.REWORK, Disposition.Kind.REPAIR):
        disposition.work_order = production.create_work_order(
            actor=actor,
            data={
                "plant": ncr.plant,
                "item": ncr.item,
                "quantity": quantity,
                "kind": "repair",
                "serial": serial,
                "due_date": data.get("due_date") or (timezone.localdate() + timedelta(days=7)),
                "notes": f"{source_note}. {disposition.note}".strip(),
            },
        )
    disposition.save()
    audit.record(actor, ncr, action="disposition", changes=audit.diff({}, audit.snapshot(disposition)))
    events.emit(
        "quality.ncr.disposition",
        {"id": ncr.pk, "number": ncr.number, "kind": kind, "quantity": str(quantity), "disposition": disposition.pk},
    )
    _release_hold(actor, ncr)
    return disposition


def _concession_conflict(actor: Any, disposition: Disposition) -> Conflict | None:
    """Why the workflow refuses `actor` this concession now (a conflict), or None."""
    ncr = disposition.ncr
    if ncr.status in FROZEN_STATES:
        return Conflict(f"{ncr.number} is {ncr.status}: it can no longer change.", code="ncr_closed")
    if disposition.concession_approved_by_id is not None:
        return Conflict("The concession is approved already.")
    if disposition.created_by_id is not None and disposition.created_by_id == getattr(actor, "pk", None):
        return Conflict("A concession is approved by someone other than who asked for it.", code="four_eyes")
    return None


def may_approve_concession(*, actor: Any, disposition: Disposition) -> bool:
    """Whether `approve_concession` would accept `actor` on this disposition: the permission at
    the NCR's plant, a use-as-is disposition not yet approved on an NCR still open, and not the
    person who asked for it (four eyes). Pages offer the action only then."""
    return (
        disposition.kind == Disposition.Kind.USE_AS_IS
        and _concession_conflict(actor, disposition) is None
        and access.has_perm(actor, APPROVE_CONCESSION, plant=disposition.ncr.plant)
    )


@transaction.atomic
def approve_concession(*, actor: Any, disposition: Disposition) -> Disposition:
    """Approve a use-as-is disposition: by someone other than who decided it (else 409), with the
    concession permission at the NCR's plant (else 403)."""
    disposition = Disposition.objects.select_for_update().select_related("ncr").get(pk=disposition.pk)
    access.require(actor, APPROVE_CONCESSION, plant=disposition.ncr.plant)
    _frozen(disposition.ncr)
    if disposition.kind != Disposition.Kind.USE_AS_IS:
        raise ValidationError({"kind": ["Only a use-as-is disposition needs a concession."]})
    conflict = _concession_conflict(actor, disposition)
    if conflict is not None:
        raise conflict
    disposition.concession_approved_by = actor
    disposition.concession_approved_at = timezone.now()
    disposition.save(update_fields=["concession_approved_by", "concession_approved_at", "updated_at"])
    audit.record(
        actor, disposition.ncr, action="approve", changes={"concession": [None, f"disposition {disposition.pk}"]}
    )
    _release_hold(actor, disposition.ncr)
    return disposition


def supplier_ncr_counts() -> dict[int, int]:
    """How many NCRs each supplier has (in the current organization), for supplier quality."""
    from django.db.models import Count

    rows = Ncr.objects.exclude(supplier=None).values("supplier").annotate(n=Count("id"))
    return {row["supplier"]: row["n"] for row in rows}


# --- CAPA -------------------------------------------------------------------------------


@transaction.atomic
def create_capa(*, actor: Any, data: dict[str, Any]) -> Capa:
    """Open a corrective or preventive action from an NCR or an audit."""
    access.require(actor, "quality.add_capa")
    errors: dict[str, list[str]] = {}
    source = data.get("source") or (Capa.Source.NCR if data.get("ncr") else Capa.Source.AUDIT)
    if source == Capa.Source.NCR and data.get("ncr") is None:
        errors["ncr"] = ["Name the NCR this action answers."]
    if source == Capa.Source.AUDIT and not str(data.get("audit_reference") or "").strip():
        errors["audit_reference"] = ["Name the audit finding this action answers."]
    if data.get("owner") is None:
        errors["owner"] = ["Name the owner."]
    if not data.get("due_date"):
        errors["due_date"] = ["Give the due date."]
    if not str(data.get("title") or "").strip():
        errors["title"] = ["Give the action a title."]
    if errors:
        raise ValidationError(errors)
    owner = data["owner"]
    if access.membership_for(owner) is None:
        raise ValidationError({"owner": ["The owner is not a member of this organization."]})
    capa = Capa(
        organization=tenancy.require_organization(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        number=numbering.next_number("capa"),
        status=workflow_services.initial_state(Capa),
        kind=data.get("kind") or Capa.Kind.CORRECTIVE,
        source=source,
        ncr=data.get("ncr"),
        audit_reference=data.get("audit_reference", "") or "",
        title=str(data["title"]).strip(),
        description=data.get("description", "") or "",
        owner=owner,
        due_date=data["due_date"],
    )
    capa.full_clean(exclude=["organization", "created_by", "number", "status"])
    capa.save()
    audit.record(actor, capa, action="create", changes=audit.diff({}, audit.snapshot(capa)))
    events.emit("quality.capa.opened", {"id": capa.pk, "number": capa.number})
    notifications.notify(
        recipients=[owner],
        event_type="quality.capa.assigned",
        title=f"{capa.number} is yours: {capa.title}",
        body=f"Due {capa.due_date:%Y-%m-%d}.",
        obj=capa,
    )
    return capa


@transaction.atomic
def record_effectiveness(*, actor: Any, capa: Capa, effective: bool, note: str) -> Capa:
    """Record whether the action worked; closing needs an effective check."""
    capa = Capa.objects.select_for_update().get(pk=capa.pk)
    access.require(actor, "quality.close_capa")
    if capa.status != "verifying":
        raise Conflict(f"{capa.number} is {capa.status}: check effectiveness while verifying.")
    if not note.strip():
        raise ValidationError({"note": ["Say what was checked and what it showed."]})
    before = audit.snapshot(capa)
    capa.effective = bool(effective)
    capa.effectiveness_note = note.strip()
    capa.effectiveness_checked_at = timezone.now()
    capa.effectiveness_checked_by = actor
    capa.save()
    audit.record(actor, capa, action="verify", changes=audit.diff(before, audit.snapshot(capa)))
    return capa


def transition_capa(*, actor: Any, capa: Capa, to_state: str, comment: str = "") -> Capa:
    workflow_services.transition(capa, to_state, actor, comment=comment)
    capa.refresh_from_db()
    if capa.status == "closed":
        Capa.objects.filter(pk=capa.pk).update(closed_at=timezone.now())
        capa.refresh_from_db()
    return capa


def send_capa_reminders(*, today: date | None = None, days_ahead: int = 3) -> int:
    """Remind owners of open actions due within `days_ahead` days or overdue, once a day each."""
    today = today or timezone.localdate()
    due = Capa.objects.filter(
        status__in=("open", "in_progress", "verifying"), due_date__lte=today + timedelta(days=days_ahead)
    ).exclude(last_reminded_on=today)
    sent = 0
    for capa in due.select_related("owner"):
        overdue = capa.due_date < today
        with transaction.atomic():
            notifications.notify(
                recipients=[capa.owner],
                event_type="quality.capa.reminder",
                title=f"{capa.number} {'is overdue' if overdue else 'is due soon'}: {capa.title}",
                body=f"Due {capa.due_date:%Y-%m-%d}.",
                obj=capa,
            )
            Capa.objects.filter(pk=capa.pk).update(last_reminded_on=today)
        sent += 1
    return sent
