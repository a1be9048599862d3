"""Partners API contracts for the shared contract suite."""

from __future__ import annotations

from shopfloor.core.tests.contract import Contract, unique

from .factories import ContactFactory, CustomerFactory, RigFactory, SupplierFactory, WellFactory


def _contact_payload() -> dict:
    return {"customer": CustomerFactory().pk, "name": unique("Ola "), "email": "ola@example.com"}


def _rig_payload() -> dict:
    return {"customer": CustomerFactory().pk, "name": unique("Rig "), "contractor": "Odfjell", "rig_type": "land"}


def _well_payload() -> dict:
    return {
        "customer": CustomerFactory().pk,
        "name": unique("W-"),
        "field": "Troll",
        "operator": "Equinor",
        "latitude": "60.64",
        "longitude": "3.72",
        "planned_depth": "2500",
    }


CONTRACTS: dict[str, Contract] = {
    "partners/customers": Contract(
        factory=CustomerFactory,
        payload=lambda: {"name": unique("Customer "), "email": "buyer@example.com"},
        update={"name": "Renamed customer", "phone": "+47 555 0100"},
    ),
    "partners/suppliers": Contract(
        factory=SupplierFactory,
        payload=lambda: {"name": unique("Supplier "), "lead_time_days": 10},
        update={"name": "Renamed supplier", "lead_time_days": 21},
        actions={"set_approval": 400},
        note="An empty approval body is a 400 (the status is required).",
    ),
    "partners/contacts": Contract(
        factory=ContactFactory,
        payload=_contact_payload,
        update={"title": "Buyer", "phone": "+47 555 0199"},
    ),
    "partners/rigs": Contract(
        factory=RigFactory,
        payload=_rig_payload,
        update={"contractor": "Transocean", "rig_type": "semisubmersible"},
        put=lambda obj: {"customer": obj.customer_id, "name": unique("Rig "), "rig_type": "land"},
    ),
    "partners/wells": Contract(
        factory=WellFactory,
        payload=_well_payload,
        update={"planned_depth": "4100.50", "field": "Snorre"},
        put=lambda obj: {"customer": obj.customer_id, "name": unique("W-"), "field": "Oseberg"},
    ),
}

NOT_EXPOSED: dict[str, str] = {}
