import datetime as dt

import factory
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory, TenantFactory
from shopfloor.resources.models import (
    CalendarException,
    Capability,
    Machine,
    MachineDowntime,
    Operation,
    Routing,
    ShiftPattern,
    WorkCenter,
    WorkingCalendar,
)

_ORG = factory.SelfAttribute("..organization")


class WorkingCalendarFactory(TenantFactory):
    class Meta:
        model = WorkingCalendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    timezone = "Europe/Oslo"


class ShiftPatternFactory(TenantFactory):
    class Meta:
        model = ShiftPattern

    calendar = factory.SubFactory(WorkingCalendarFactory, organization=_ORG)
    weekday = factory.Sequence(lambda n: n % 7)
    start_time = factory.Sequence(lambda n: dt.time(6 + (n // 7) % 12, 0))
    end_time = dt.time(23, 0)
    break_minutes = 30


class CalendarExceptionFactory(TenantFactory):
    class Meta:
        model = CalendarException

    calendar = factory.SubFactory(WorkingCalendarFactory, organization=_ORG)
    date = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n))
    kind = CalendarException.Kind.HOLIDAY
    description = "Public holiday"


class WorkCenterFactory(TenantFactory):
    class Meta:
        model = WorkCenter

    plant = factory.SubFactory(PlantFactory, organization=_ORG)
    calendar = factory.SubFactory(WorkingCalendarFactory, organization=_ORG)
    code = factory.Sequence(lambda n: f"WC{n:03d}")
    name = factory.Sequence(lambda n: f"Lathe cell {n}")
    cost_rate_per_hour = "95.000000"
    capacity = 1


class CapabilityFactory(TenantFactory):
    class Meta:
        model = Capability

    code = factory.Sequence(lambda n: f"CAP{n}")
    name = factory.Sequence(lambda n: f"Capability {n}")


class MachineFactory(TenantFactory):
    class Meta:
        model = Machine

    work_center = factory.SubFactory(WorkCenterFactory, organization=_ORG)
    plant = factory.SelfAttribute("work_center.plant")
    code = factory.Sequence(lambda n: f"M{n:04d}")
    name = factory.Sequence(lambda n: f"Mazak QTN {n}")


class MachineDowntimeFactory(TenantFactory):
    """A breakdown reported an hour ago, still open (down until further notice)."""

    class Meta:
        model = MachineDowntime

    machine = factory.SubFactory(MachineFactory, organization=_ORG)
    plant = factory.SelfAttribute("machine.plant")
    kind = MachineDowntime.Kind.BREAKDOWN
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    ends_at = None
    reason = "Spindle bearing"


class RoutingFactory(TenantFactory):
    """A draft routing with one operation (pass `operations=0` for none)."""

    class Meta:
        model = Routing
        skip_postgeneration_save = True

    item = factory.SubFactory(ItemFactory, organization=_ORG)
    version = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def operations(obj, create, extracted, **kwargs):
        if create:
            for i in range(1 if extracted is None else extracted):
                OperationFactory(routing=obj, organization=obj.organization, sequence=10 * (i + 1))


class OperationFactory(TenantFactory):
    class Meta:
        model = Operation

    routing = factory.SubFactory(RoutingFactory, organization=_ORG, operations=0)
    sequence = factory.Sequence(lambda n: 10 * (n + 1))
    description = factory.Sequence(lambda n: f"Turn OD {n}")
    work_center = factory.SubFactory(WorkCenterFactory, organization=_ORG)
    setup_time_minutes = "30.0000"
    run_time_per_unit_minutes = "4.5000"
