"""factory_boy factories for quality. Plans are drafts; release them through the service."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import numbering, tenancy
from shopfloor.core.tests.factories import PlantFactory, TenantFactory, UserFactory
from shopfloor.quality.models import (
    Capa,
    Characteristic,
    Disposition,
    Inspection,
    InspectionPlan,
    Measurement,
    Ncr,
    NcrItem,
)


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


class NcrFactory(TenantFactory):
    """An open NCR on five units found at receipt, with no stock or lots attached."""

    class Meta:
        model = Ncr

    plant = factory.SubFactory(PlantFactory, organization=factory.SelfAttribute("..organization"))
    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))
    number = factory.LazyFunction(lambda: numbering.next_number("ncr"))
    title = factory.Sequence(lambda n: f"Bore oversize {n}")
    source = Ncr.Source.RECEIPT
    quantity = Decimal("5")


class CapaFactory(TenantFactory):
    """An open corrective action from an audit, owned by the user in context, due in a month."""

    class Meta:
        model = Capa

    number = factory.LazyFunction(lambda: numbering.next_number("capa"))
    source = Capa.Source.AUDIT
    audit_reference = factory.Sequence(lambda n: f"Audit 2026-{n} finding 1")
    title = factory.Sequence(lambda n: f"Calibrate gauges {n}")
    owner = factory.LazyFunction(lambda: tenancy.current_user() or UserFactory())
    due_date = factory.LazyFunction(lambda: date.today() + timedelta(days=30))


class NcrItemFactory(TenantFactory):
    """Two affected units of an NCR, no lot."""

    class Meta:
        model = NcrItem

    ncr = factory.SubFactory(NcrFactory, organization=factory.SelfAttribute("..organization"))
    quantity = Decimal("2")


class DispositionFactory(TenantFactory):
    """A use-as-is decision on two units (a row only: real ones are posted by the service)."""

    class Meta:
        model = Disposition

    ncr = factory.SubFactory(NcrFactory, organization=factory.SelfAttribute("..organization"))
    kind = Disposition.Kind.USE_AS_IS
    quantity = Decimal("2")
