"""factory_boy factories for planning: runs and their results written directly as rows.

MRP and schedule runs are results of engines, not documents with a workflow, so the
factories create finished rows straight away (status done) for pages, APIs and firming to
read; tests of the engines themselves run the engines.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory, TenantFactory
from shopfloor.planning.models import (
    Forecast,
    MrpException,
    MrpItemResult,
    MrpRun,
    OperationPin,
    Pegging,
    PlannedOrder,
    ScheduleConflict,
    ScheduledOperation,
    ScheduleRun,
)
from shopfloor.production.tests.factories import OperationJobCardFactory
from shopfloor.resources.tests.factories import MachineFactory

_ORG = factory.SelfAttribute("..organization")


class ForecastFactory(TenantFactory):
    class Meta:
        model = Forecast

    plant = factory.SubFactory(PlantFactory, organization=_ORG)
    item = factory.SubFactory(ItemFactory, organization=_ORG)
    period_start = factory.Sequence(lambda n: timezone.localdate() + timedelta(weeks=n + 1))
    quantity = Decimal("25")


class MrpRunFactory(TenantFactory):
    """A finished MRP run (status done, 100 %) of a plant, planned from today."""

    class Meta:
        model = MrpRun

    plant = factory.SubFactory(PlantFactory, organization=_ORG)
    horizon_days = 180
    plan_date = factory.LazyFunction(timezone.localdate)
    status = MrpRun.Status.DONE
    progress = 100
    message = "Done"
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)
    stats = factory.LazyFunction(lambda: {"items": 0, "planned_orders": 0, "exceptions": 0, "seconds": 0.1})


class PlannedOrderFactory(TenantFactory):
    """A planned work order (make) of 10 due in two weeks, released a week before."""

    class Meta:
        model = PlannedOrder

    run = factory.SubFactory(MrpRunFactory, organization=_ORG)
    plant = factory.SelfAttribute("run.plant")
    item = factory.SubFactory(ItemFactory, organization=_ORG)
    kind = PlannedOrder.Kind.MAKE
    quantity = Decimal("10")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    start_date = factory.LazyAttribute(lambda o: o.due_date - timedelta(days=7))


class PeggingFactory(TenantFactory):
    """A forecast demand served by a planned order (pass other demand fields to change the kind)."""

    class Meta:
        model = Pegging

    planned_order = factory.SubFactory(PlannedOrderFactory, organization=_ORG)
    run = factory.SelfAttribute("planned_order.run")
    demand_kind = Pegging.DemandKind.FORECAST
    demand_date = factory.SelfAttribute("planned_order.due_date")
    quantity = factory.SelfAttribute("planned_order.quantity")


class MrpExceptionFactory(TenantFactory):
    class Meta:
        model = MrpException

    run = factory.SubFactory(MrpRunFactory, organization=_ORG)
    item = factory.SubFactory(ItemFactory, organization=_ORG)
    kind = MrpException.Kind.PAST_DUE
    message = "Needed before the plan starts"
    date = factory.LazyFunction(timezone.localdate)


class MrpItemResultFactory(TenantFactory):
    class Meta:
        model = MrpItemResult

    run = factory.SubFactory(MrpRunFactory, organization=_ORG)
    item = factory.SubFactory(ItemFactory, organization=_ORG)
    low_level_code = 0
    on_hand = Decimal("5")
    gross_requirements = Decimal("15")
    planned_quantity = Decimal("10")
    periods = factory.LazyFunction(
        lambda: [
            {
                "date": (timezone.localdate() + timedelta(days=14)).isoformat(),
                "gross": "15",
                "receipts": "0",
                "on_hand": "0",
                "net": "10",
                "planned": "10",
            }
        ]
    )


class ScheduleRunFactory(TenantFactory):
    """A finished schedule run of a plant, solved by CP-SAT, starting now."""

    class Meta:
        model = ScheduleRun

    plant = factory.SubFactory(PlantFactory, organization=_ORG)
    status = ScheduleRun.Status.DONE
    progress = 100
    method = ScheduleRun.Method.CP_SAT
    solver_status = "OPTIMAL"
    origin = factory.LazyFunction(timezone.now)
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)


class ScheduledOperationFactory(TenantFactory):
    """A two-hour slot of a planned work order's operation on a machine of the run's plant."""

    class Meta:
        model = ScheduledOperation

    run = factory.SubFactory(ScheduleRunFactory, organization=_ORG)
    planned_order = factory.SubFactory(
        PlannedOrderFactory, organization=_ORG, run__plant=factory.SelfAttribute("...run.plant")
    )
    machine = factory.SubFactory(
        MachineFactory, organization=_ORG, work_center__plant=factory.SelfAttribute("...run.plant")
    )
    sequence = 10
    start = factory.LazyFunction(lambda: timezone.now().replace(minute=0, second=0, microsecond=0))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=2))


class ScheduleConflictFactory(TenantFactory):
    """A capacity conflict of a planned work order: it ends two hours late, waiting for a machine."""

    class Meta:
        model = ScheduleConflict

    run = factory.SubFactory(ScheduleRunFactory, organization=_ORG)
    planned_order = factory.SubFactory(
        PlannedOrderFactory, organization=_ORG, run__plant=factory.SelfAttribute("...run.plant")
    )
    kind = ScheduleConflict.Kind.CAPACITY
    due = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    planned_end = factory.LazyAttribute(lambda o: o.due + timedelta(hours=2))
    tardiness_minutes = 120
    message = "Ends 2.0 h late: operation 10 waited 3.0 h for its machine."


class OperationPinFactory(TenantFactory):
    """The first job card of a freshly released order, pinned on its machine tomorrow."""

    class Meta:
        model = OperationPin

    operation = factory.LazyAttribute(lambda o: OperationJobCardFactory(organization=o.organization))
    machine = factory.LazyAttribute(lambda o: o.operation.eligible_machines.first())
    start = factory.LazyFunction(lambda: timezone.now().replace(second=0, microsecond=0) + timedelta(days=1))
