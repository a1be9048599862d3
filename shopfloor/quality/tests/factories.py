"""factory_boy factories for quality. Plans are drafts; release them through the service."""

from __future__ import annotations

from decimal import Decimal

import factory

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import numbering
from shopfloor.core.tests.factories import PlantFactory, TenantFactory
from shopfloor.quality.models import Characteristic, Inspection, InspectionPlan, Measurement


class InspectionPlanFactory(TenantFactory):
    """A draft fixed-sampling plan (one unit) without characteristics."""

    class Meta:
        model = InspectionPlan

    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))
    context = InspectionPlan.Context.RECEIVING
    version = factory.Sequence(lambda n: n + 1)
    sample_size = 1


class CharacteristicFactory(TenantFactory):
    """A measured diameter, 10.00 +/- 0.05 mm, on a gauge reading 0-25 mm."""

    class Meta:
        model = Characteristic

    plan = factory.SubFactory(InspectionPlanFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"Diameter {n}")
    kind = Characteristic.Kind.VARIABLE
    nominal = Decimal("10")
    lsl = Decimal("9.95")
    usl = Decimal("10.05")
    unit = "mm"
    gauge = "Micrometer 0-25"
    gauge_min = Decimal("0")
    gauge_max = Decimal("25")


class InspectionFactory(TenantFactory):
    """An open inspection of one unit against a (draft) plan, with no stock attached."""

    class Meta:
        model = Inspection

    plan = factory.SubFactory(InspectionPlanFactory, organization=factory.SelfAttribute("..organization"))
    plant = factory.SubFactory(PlantFactory, organization=factory.SelfAttribute("..organization"))
    item = factory.SelfAttribute("plan.item")
    context = factory.SelfAttribute("plan.context")
    number = factory.LazyFunction(lambda: numbering.next_number("inspection"))
    quantity = Decimal("1")
    sample_size = 1
    accept_number = 0
    reject_number = 1


class MeasurementFactory(TenantFactory):
    class Meta:
        model = Measurement

    inspection = factory.SubFactory(InspectionFactory, organization=factory.SelfAttribute("..organization"))
    characteristic = factory.SubFactory(
        CharacteristicFactory,
        organization=factory.SelfAttribute("..organization"),
        plan=factory.SelfAttribute("..inspection.plan"),
    )
    sample = 1
    value = Decimal("10")
    conforming = True
