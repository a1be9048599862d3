"""Field assets API contracts for the shared contract suite.

An asset's status changes only through its actions; on a fresh (New) asset with an empty body
they answer what a client would get: 400 where input is required (a location, a rig, the
grade, the reason), 409 where the bit is not in the state the action starts from.
Assignments, dull grades and repairs are written by the asset's actions only: read-only.
"""

from __future__ import annotations

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.contract import Contract, unique
from shopfloor.core.tests.factories import PlantFactory

from .factories import (
    AssignmentFactory,
    BitRunFactory,
    DullGradeFactory,
    FieldAssetFactory,
    FieldRepairFactory,
    walk,
)

READ_ONLY = frozenset({"list", "retrieve"})


def _asset_payload() -> dict:
    return {
        "plant": PlantFactory().pk,
        "item": ItemFactory(tracking="serial").pk,
        "serial_text": unique("PDC-"),
        "bit_type": "fixed_cutter",
        "size": "8.500",
        "iadc_class": "M323",
    }


def _run_payload() -> dict:
    asset = walk("in_field")["asset"]
    return {"asset": asset.pk, "depth_in": "1200.00", "depth_out": "1450.00", "hours_on_bottom": "10.00"}


CONTRACTS: dict[str, Contract] = {
    "field/assets": Contract(
        factory=FieldAssetFactory,
        payload=_asset_payload,
        update={"size": "12.250", "notes": "Back-up bit for the 12-1/4 in section"},
        put=lambda obj: {"plant": obj.plant_id, "bit_type": "roller_cone", "size": "17.500", "iadc_class": "115"},
        actions={
            "receive": 400,
            "assign": 400,
            "unassign": 409,
            "ship": 409,
            "return": 400,
            "start-repair": 409,
            "back-in-stock": 409,
            "scrap": 400,
        },
        note="A new asset is deletable; its status moves only through the actions.",
    ),
    "field/runs": Contract(
        factory=BitRunFactory,
        payload=_run_payload,
        update={"hours_on_bottom": "19.00", "note": "Corrected from the morning report"},
        put=lambda obj: {
            "asset": obj.asset_id,
            "well": obj.well_id,
            "depth_in": "1200.00",
            "depth_out": "1300.00",
            "hours_on_bottom": "4.00",
            "depth_unit": "m",
            "run_date": "2026-11-01",
        },
        operations=frozenset({"list", "retrieve", "create", "update"}),
        note="Runs are corrected, never deleted: footage and ROP are part of the bit's record.",
    ),
    "field/assignments": Contract(
        factory=AssignmentFactory,
        operations=READ_ONLY,
        note="Opened by the asset's assign action, ended by return, unassign or loss.",
    ),
    "field/dull-grades": Contract(
        factory=DullGradeFactory,
        operations=READ_ONLY,
        note="Recorded by the asset's return action, checked against the IADC code lists.",
    ),
    "field/repairs": Contract(
        factory=FieldRepairFactory,
        operations=READ_ONLY,
        note="Opened by start-repair (with the repair work order), closed by back-in-stock or scrap.",
    ),
}

NOT_EXPOSED: dict[str, str] = {}
