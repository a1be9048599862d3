"""Every write of partners: customers and their contacts, rigs and wells; suppliers and their
approval. Each function is one business action: permission, validation, audit, event.

Numbers (CUS-000001, SUP-000001) are issued here, never typed, so they are unique per
organization without gaps; a supplier's approval status changes only through
`set_supplier_approval`, with a reason on record, because purchasing refuses orders to a
blocked supplier and quality will want to know who blocked it and why.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shopfloor.core import access, audit, events, numbering
from shopfloor.core import services as core_services

from .models import Contact, Customer, Rig, Supplier, Well


def _no_number(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "number" in data:
        raise ValidationError({"number": ["The number is issued by the system and cannot be changed."]})
    return data


# --- Customers ------------------------------------------------------------------------------------


@transaction.atomic
def create_customer(*, actor: Any, data: dict[str, Any]) -> Customer:
    """A new customer, numbered CUS-000001 in the order they are created."""
    access.require(actor, "partners.add_customer")
    data = _no_number(data)
    data["number"] = numbering.next_number("customer")
    return core_services.create_object(actor=actor, model=Customer, data=data)


@transaction.atomic
def update_customer(*, actor: Any, customer: Customer, data: dict[str, Any]) -> Customer:
    return core_services.update_object(actor=actor, obj=customer, data=_no_number(data))


@transaction.atomic
def delete_customer(*, actor: Any, customer: Customer) -> None:
    """Only a customer nothing refers to goes; one with sites or orders is deactivated instead (409)."""
    core_services.delete_object(actor=actor, obj=customer)


# --- Suppliers ------------------------------------------------------------------------------------


@transaction.atomic
def create_supplier(*, actor: Any, data: dict[str, Any]) -> Supplier:
    """A new supplier, numbered SUP-000001. Its approval status may be set at creation."""
    access.require(actor, "partners.add_supplier")
    data = _no_number(data)
    status = data.get("approval_status", Supplier.ApprovalStatus.APPROVED)
    if status != Supplier.ApprovalStatus.APPROVED:
        access.require(actor, "partners.approve_supplier")
    data["number"] = numbering.next_number("supplier")
    return core_services.create_object(actor=actor, model=Supplier, data=data)


@transaction.atomic
def update_supplier(*, actor: Any, supplier: Supplier, data: dict[str, Any]) -> Supplier:
    """Edit a supplier's details; a change of approval status goes through `set_supplier_approval`."""
    data = _no_number(data)
    status = data.pop("approval_status", None)
    note = data.pop("approval_note", None)
    if data:
        supplier = core_services.update_object(actor=actor, obj=supplier, data=data)
    if status is not None and status != supplier.approval_status:
        supplier = set_supplier_approval(
            actor=actor, supplier=supplier, status=status, note=note if note is not None else supplier.approval_note
        )
    elif note is not None and note != supplier.approval_note:
        supplier = core_services.update_object(
            actor=actor, obj=supplier, data={"approval_note": note}, perm="partners.approve_supplier"
        )
    return supplier


@transaction.atomic
def set_supplier_approval(*, actor: Any, supplier: Supplier, status: str, note: str = "") -> Supplier:
    """Approve, conditionally approve or block a supplier. Blocking needs a reason: buyers see it
    when their order is refused, and it is the supplier-quality record."""
    access.require(actor, "partners.approve_supplier")
    if status not in Supplier.ApprovalStatus.values:
        raise ValidationError(
            {"approval_status": [f"'{status}' is not one of {', '.join(Supplier.ApprovalStatus.values)}."]}
        )
    note = (note or "").strip()
    if status != Supplier.ApprovalStatus.APPROVED and not note:
        raise ValidationError({"approval_note": ["Say why the supplier is conditional or blocked."]})
    locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
    before = locked.approval_status
    if before == status and locked.approval_note == note:
        return locked
    locked.approval_status = status
    locked.approval_note = note[:300]
    locked.full_clean()
    locked.save(update_fields=["approval_status", "approval_note", "updated_at"])
    audit.record(
        actor,
        locked,
        action="update",
        changes={"approval_status": [before, status], "approval_note": [supplier.approval_note, locked.approval_note]},
        reason=note,
    )
    events.emit(
        "partners.supplier.approval_changed",
        {"id": locked.pk, "number": locked.number, "from": before, "to": status, "actor": getattr(actor, "pk", None)},
    )
    return locked


@transaction.atomic
def delete_supplier(*, actor: Any, supplier: Supplier) -> None:
    core_services.delete_object(actor=actor, obj=supplier)


# --- Contacts -------------------------------------------------------------------------------------


def _check_contact(data: dict[str, Any]) -> None:
    if bool(data.get("customer")) == bool(data.get("supplier")):
        raise ValidationError({"customer": ["A contact belongs to exactly one customer or one supplier."]})


@transaction.atomic
def create_contact(*, actor: Any, data: dict[str, Any]) -> Contact:
    _check_contact(data)
    return core_services.create_object(actor=actor, model=Contact, data=data)


@transaction.atomic
def update_contact(*, actor: Any, contact: Contact, data: dict[str, Any]) -> Contact:
    merged = {"customer": contact.customer, "supplier": contact.supplier, **data}
    _check_contact(merged)
    return core_services.update_object(actor=actor, obj=contact, data=data)


@transaction.atomic
def delete_contact(*, actor: Any, contact: Contact) -> None:
    core_services.delete_object(actor=actor, obj=contact)


# --- Sites: rigs and wells ----------------------------------------------------------------------------


@transaction.atomic
def create_rig(*, actor: Any, data: dict[str, Any]) -> Rig:
    return core_services.create_object(actor=actor, model=Rig, data=data)


@transaction.atomic
def update_rig(*, actor: Any, rig: Rig, data: dict[str, Any]) -> Rig:
    if "customer" in data and data["customer"] != rig.customer and rig.wells.exists():
        raise ValidationError({"customer": ["The rig has wells of its customer: it stays with that customer."]})
    return core_services.update_object(actor=actor, obj=rig, data=data)


@transaction.atomic
def delete_rig(*, actor: Any, rig: Rig) -> None:
    core_services.delete_object(actor=actor, obj=rig)


def _check_well(data: dict[str, Any]) -> None:
    rig: Rig | None = data.get("rig")
    customer: Customer | None = data.get("customer")
    if rig is not None and customer is not None and rig.customer_id != customer.pk:
        raise ValidationError({"rig": [f"The rig {rig.name} works for another customer."]})


@transaction.atomic
def create_well(*, actor: Any, data: dict[str, Any]) -> Well:
    """A well of a customer; its rig, when given, must be one of the same customer's."""
    _check_well(data)
    return core_services.create_object(actor=actor, model=Well, data=data)


@transaction.atomic
def update_well(*, actor: Any, well: Well, data: dict[str, Any]) -> Well:
    _check_well({"customer": well.customer, "rig": well.rig, **data})
    return core_services.update_object(actor=actor, obj=well, data=data)


@transaction.atomic
def delete_well(*, actor: Any, well: Well) -> None:
    core_services.delete_object(actor=actor, obj=well)
