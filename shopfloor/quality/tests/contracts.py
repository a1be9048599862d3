"""Quality API contracts for the shared contract suite."""

from __future__ import annotations

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.contract import Contract, unique
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.quality.services import inspection as inspection_services

from .factories import CapaFactory, CharacteristicFactory, InspectionFactory, InspectionPlanFactory, NcrFactory


def _plan_payload() -> dict:
    return {"item": ItemFactory().pk, "context": "receiving", "sample_size": 5, "accept_number": 0}


def _characteristic_payload() -> dict:
    return {"plan": InspectionPlanFactory().pk, "name": unique("Bore "), "kind": "variable", "usl": "10.05"}


def _inspection_payload() -> dict:
    actor = tenancy.current_user()
    plan = inspection_services.create_plan(actor=actor, item=ItemFactory(), context="final")
    inspection_services.add_characteristic(actor=actor, plan=plan, data={"name": "Visual", "kind": "attribute"})
    plan = inspection_services.release_plan(actor=actor, plan=plan)
    return {"plan": plan.pk, "plant": PlantFactory().pk, "quantity": "12"}


def _ncr_payload() -> dict:
    return {"plant": PlantFactory().pk, "item": ItemFactory().pk, "quantity": "4", "source": "audit", "title": "Burrs"}


def _capa_payload() -> dict:
    return {
        "source": "audit",
        "audit_reference": unique("ISO audit finding "),
        "title": "Calibrate the bore gauges",
        "owner": tenancy.current_user().pk,
        "due_date": "2027-01-31",
    }


CONTRACTS: dict[str, Contract] = {
    "quality/ncrs": Contract(
        factory=NcrFactory,
        payload=_ncr_payload,
        update={"containment": "Lot held in quarantine", "why_1": "Reamer worn", "cause_category": "machine"},
        put=lambda obj: {
            "plant": obj.plant_id,
            "item": obj.item_id,
            "quantity": str(obj.quantity),
            "source": obj.source,
            "title": "Bore oversize, lot L-42",
        },
        operations=frozenset({"list", "retrieve", "create", "update"}),
        actions={"transition": 400, "close": 400, "dispositions": 400, "approve-concession": 400},
        note="NCRs are never deleted (cancel them); actions need a body (state, signature, disposition).",
    ),
    "quality/capas": Contract(
        factory=CapaFactory,
        payload=_capa_payload,
        operations=frozenset({"list", "retrieve", "create"}),
        actions={"transition": 400, "effectiveness": 400},
        note="A CAPA moves by its workflow and effectiveness check, not by edits; never deleted (cancel it).",
    ),
    "quality/inspection-plans": Contract(
        factory=InspectionPlanFactory,
        payload=_plan_payload,
        update={"name": "Incoming bar", "sample_size": 8},
        put=lambda obj: {"item": obj.item_id, "context": obj.context, "sample_size": 3},
        actions={"release": 400, "obsolete": 200},
        note="A fresh draft has no characteristics (release: 400); a draft may be discarded (obsolete).",
    ),
    "quality/characteristics": Contract(
        factory=CharacteristicFactory,
        payload=_characteristic_payload,
        update={"name": "Bore diameter", "usl": "10.060000"},
        put=lambda obj: {"plan": obj.plan_id, "name": "Length", "kind": "variable", "lsl": "1"},
    ),
    "quality/inspections": Contract(
        factory=InspectionFactory,
        payload=_inspection_payload,
        operations=frozenset({"list", "retrieve", "create"}),
        actions={"measurements": 400, "complete": 400},
        note="Inspections are opened by the handlers or against a released plan; readings and results are actions.",
    ),
}

NOT_EXPOSED = {
    "quality.NcrItem": "Affected lots and serials are posted with and read through their NCR.",
    "quality.Disposition": "Dispositions are posted (dispositions action) and read through their NCR.",
    "quality.Measurement": "Readings are recorded and read through their inspection (measurements action, detail).",
}
