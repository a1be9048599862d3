"""Quality API contracts for the shared contract suite."""

from __future__ import annotations

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.contract import Contract, unique
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.quality.services import inspection as inspection_services

from .factories import CharacteristicFactory, InspectionFactory, InspectionPlanFactory


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


CONTRACTS: dict[str, Contract] = {
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
    "quality.Measurement": "Readings are recorded and read through their inspection (measurements action, detail).",
}
