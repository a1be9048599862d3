"""factory_boy factories for field assets.

A fresh asset is built directly (state New, nothing on the ledger). Assignments, runs, dull
grades and repairs are built by walking an asset through the services, so the ledger, the
assignment and the workflow history always agree, as they would in the plant.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import numbering, tenancy
from shopfloor.core.tests.factories import OrganizationFactory, PlantFactory, TenantFactory
from shopfloor.field import services
from shopfloor.field.models import Assignment, BitRun, DullGrade, FieldAsset, FieldRepair
from shopfloor.inventory.models import Location
from shopfloor.inventory.tests.factories import LocationFactory, SerialNumberFactory
from shopfloor.partners.tests.factories import RigFactory, WellFactory

GOOD_GRADE = {
    "inner_rows": 1,
    "outer_rows": 2,
    "dull_characteristic": "WT",
    "location": "S",
    "bearings_seals": "X",
    "gauge": "I",
    "other_characteristic": "CT",
    "reason_pulled": "TD",
}


def _actor() -> Any:
    from shopfloor.core.tests.factories import UserFactory

    user = tenancy.current_user()
    return user if user is not None else UserFactory(is_superuser=True)


class FieldAssetFactory(TenantFactory):
    """A new bit: a serial number of a serial-tracked item, not yet received."""

    class Meta:
        model = FieldAsset

    plant = factory.SubFactory(PlantFactory, organization=factory.SelfAttribute("..organization"))
    serial = factory.SubFactory(SerialNumberFactory, organization=factory.SelfAttribute("..organization"))
    item = factory.SelfAttribute("serial.item")
    number = factory.LazyFunction(lambda: numbering.next_number("field_asset"))
    bit_type = FieldAsset.BitType.FIXED_CUTTER
    size = Decimal("8.500")
    iadc_class = "M323"
    status = "new"


def walk(state: str, organization: Any = None, asset: FieldAsset | None = None, **kwargs: Any) -> dict[str, Any]:
    """An asset brought through the services to `state`; returns what was made on the way.

    States: in_stock, assigned, in_field, ran (in field with one run), returned, under_repair.
    """
    organization = organization or tenancy.current_organization() or OrganizationFactory()
    current = tenancy.current_organization()
    user = tenancy.current_user() if current is not None and current.pk == organization.pk else None
    with tenancy.use(organization, user or _actor()):
        actor = _actor()
        made: dict[str, Any] = {}
        if asset is None:
            plant = PlantFactory(organization=organization)
            item = ItemFactory(organization=organization, tracking="serial")
            serial = SerialNumberFactory(organization=organization, item=item)
            asset = FieldAssetFactory(organization=organization, plant=plant, serial=serial, **kwargs)
        made["asset"] = asset
        shelf = LocationFactory(organization=organization, plant=asset.plant, location_type=Location.Type.STORAGE)
        made["shelf"] = shelf
        services.receive(actor=actor, asset=asset, location=shelf)
        if state == "in_stock":
            return made
        rig = RigFactory(organization=organization)
        well = WellFactory(organization=organization, customer=rig.customer, rig=rig)
        made.update(rig=rig, well=well)
        made["assignment"] = services.assign(actor=actor, asset=asset, rig=rig, well=well)
        if state == "assigned":
            return made
        services.ship(actor=actor, asset=asset)
        if state == "in_field":
            return made
        made["run"] = services.record_run(
            actor=actor,
            asset=asset,
            data={"well": well, "depth_in": Decimal("1200"), "depth_out": Decimal("2150"), "hours_on_bottom": 38},
        )
        if state == "ran":
            return made
        made["dull_grade"] = services.return_from_field(actor=actor, asset=asset, location=shelf, grade=GOOD_GRADE)
        if state == "returned":
            return made
        made["repair"] = services.start_repair(actor=actor, asset=asset)
        return made


def finish_repair(repair: FieldRepair, actor: Any = None) -> Any:
    """Work the repair work order through production's services to Completed."""
    from shopfloor.production import services as production

    actor = actor or _actor()
    work_order = repair.work_order
    for state in ("planned", "released", "in_progress", "completed"):
        work_order = production.transition_work_order(actor=actor, work_order=work_order, to_state=state)
    return work_order


# model -> (the state to walk an asset to, the key of what `walk` made to return)
_WALKS: dict[type, tuple[str, str]] = {
    Assignment: ("assigned", "assignment"),
    BitRun: ("ran", "run"),
    DullGrade: ("returned", "dull_grade"),
    FieldRepair: ("under_repair", "repair"),
}


class _WalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, organization: Any = None, **kwargs: Any) -> Any:
        state, key = _WALKS[model_class]
        return walk(state, organization, **kwargs)[key]


class AssignmentFactory(_WalkFactory):
    """An open assignment of an in-stock bit to a rig."""

    class Meta:
        model = Assignment


class BitRunFactory(_WalkFactory):
    """A run of 950 m in 38 h (ROP 25 m/h) of a bit in the field."""

    class Meta:
        model = BitRun


class DullGradeFactory(_WalkFactory):
    """The dull grade of a returned fixed cutter bit: 1-2-WT-S-X-I-CT-TD."""

    class Meta:
        model = DullGrade


class FieldRepairFactory(_WalkFactory):
    """A repair opened from a return (with its repair work order)."""

    class Meta:
        model = FieldRepair
