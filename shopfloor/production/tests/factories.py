"""factory_boy factories for production, built through the services (the only writers).

`released_order()` builds a whole scene in one call: a lot-tracked product with a released BOM
(one bought, lot-tracked component, 2 per unit) and a released two-operation routing, the
component in stock at the plant's store, and a work order planned and released onto them.
Other engineers' tests use it to get a realistic order without knowing production's rules.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.tests.factories import BomLineFactory, BomVersionFactory, ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import OrganizationFactory, PlantFactory, TenantFactory
from shopfloor.inventory import services as inventory_services
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.production import services
from shopfloor.production.models import (
    GenealogyLink,
    MaterialIssue,
    Operation,
    TimeEntry,
    WorkOrder,
    WorkOrderMaterial,
    WorkOrderOutput,
)
from shopfloor.resources import services as resources_services
from shopfloor.resources.tests.factories import (
    MachineFactory,
    OperationFactory,
    RoutingFactory,
    WorkCenterFactory,
)

_ORG = factory.SelfAttribute("..organization")


def _actor() -> Any:
    """The user in context, else a platform administrator (services check permissions)."""
    from shopfloor.core.tests.factories import UserFactory

    user = tenancy.current_user()
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return UserFactory(is_superuser=True)


def _in_org(organization: Any) -> Any:
    return tenancy.use(organization, _actor())


class WorkOrderFactory(TenantFactory):
    """A draft work order made through `create_work_order` (number from the numbering service)."""

    class Meta:
        model = WorkOrder

    plant = factory.SubFactory(PlantFactory, organization=_ORG)
    item = factory.SubFactory(ItemFactory, organization=_ORG)
    quantity = Decimal("10")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=14))
    kind = WorkOrder.Kind.PRODUCTION

    @classmethod
    def _create(cls, model_class: Any, organization: Any = None, **kwargs: Any) -> WorkOrder:
        organization = organization or tenancy.current_organization() or OrganizationFactory()
        with _in_org(organization):
            return services.create_work_order(actor=_actor(), data=kwargs)


def engineering_scene(
    *,
    organization: Any = None,
    product_tracking: str = "lot",
    component_tracking: str = "lot",
    operations: int = 2,
    stock: Decimal | int | str | None = 100,
    per_unit: Decimal | int | str = 2,
    machines: bool = True,
) -> dict[str, Any]:
    """A plant with a store, a product with a released BOM and routing, its component in stock."""
    organization = organization or tenancy.current_organization() or OrganizationFactory()
    with _in_org(organization):
        actor = _actor()
        plant = PlantFactory(organization=organization)
        store = LocationFactory(organization=organization, plant=plant, code=f"STORE-{plant.code}")
        product = ItemFactory(organization=organization, tracking=product_tracking, status="active")
        component = ItemFactory(
            organization=organization,
            tracking=component_tracking,
            status="active",
            make_or_buy="buy",
            item_type="raw_material",
            standard_cost=Decimal("12.50"),
        )
        version = BomVersionFactory(organization=organization, item=product)
        BomLineFactory(organization=organization, version=version, component=component, quantity=Decimal(per_unit))
        catalog_services.release_bom_version(actor=actor, version=version)
        if operations:
            work_center = WorkCenterFactory(organization=organization, plant=plant)
            routing = RoutingFactory(organization=organization, item=product, operations=0)
            for i in range(operations):
                op = OperationFactory(
                    organization=organization,
                    routing=routing,
                    work_center=work_center,
                    sequence=10 * (i + 1),
                    description=["Turn", "Mill", "Inspect", "Pack"][i % 4],
                )
                if machines:
                    op.eligible_machines.set([MachineFactory(organization=organization, work_center=work_center)])
            resources_services.release_routing(actor=actor, routing=routing)
        if stock:
            if component_tracking == "serial":
                for n in range(int(Decimal(stock))):
                    serial = inventory_services.serial_for_receipt(
                        actor=actor, item=component, serial=f"C-{component.number}-{n + 1:03d}"
                    )
                    inventory_services.receive(actor=actor, item=component, quantity=1, location=store, serial=serial)
            else:
                lot = None
                if component_tracking == "lot":
                    lot = inventory_services.lot_for_receipt(
                        actor=actor, item=component, number=f"C-{component.number}"
                    )
                inventory_services.receive(actor=actor, item=component, quantity=stock, location=store, lot=lot)
        return {"plant": plant, "store": store, "product": product, "component": component}


def released_order(
    *,
    organization: Any = None,
    quantity: Decimal | int | str = 10,
    due_in_days: int = 14,
    **scene: Any,
) -> WorkOrder:
    """A released work order with its BOM and routing copied on (see the module docstring)."""
    organization = organization or tenancy.current_organization() or OrganizationFactory()
    made = engineering_scene(organization=organization, **scene)
    with _in_org(organization):
        actor = _actor()
        wo = services.create_work_order(
            actor=actor,
            data={
                "item": made["product"],
                "quantity": quantity,
                "plant": made["plant"],
                "due_date": timezone.localdate() + timedelta(days=due_in_days),
                "issue_location": made["store"],
                "output_location": made["store"],
            },
        )
        services.plan_work_order(actor=actor, work_order=wo)
        return services.release_work_order(actor=actor, work_order=wo)


def run_order(wo: WorkOrder, *, issue: bool = True) -> WorkOrder:
    """Issue all material, start and complete every operation with the full quantity."""
    actor = _actor()
    if issue:
        for line in wo.materials.all():
            lot = line.component.lots.first()
            services.issue_material(
                actor=actor,
                work_order=wo,
                material=line,
                quantity=line.required_quantity,
                location=wo.issue_location,
                lot=lot,
            )
    for op in wo.operations.order_by("sequence"):
        services.start_operation(actor=actor, operation=op)
        services.complete_operation(actor=actor, operation=op, good_quantity=services.received_quantity(op))
    wo.refresh_from_db()
    return wo


class _SceneFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, organization: Any = None, **kwargs: Any) -> Any:
        organization = organization or tenancy.current_organization() or OrganizationFactory()
        with _in_org(organization):
            return cls.build_scene(organization, **kwargs)

    @classmethod
    def build_scene(cls, organization: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class OperationJobCardFactory(_SceneFactory):
    """The first job card of a freshly released order."""

    class Meta:
        model = Operation

    @classmethod
    def build_scene(cls, organization: Any, **kwargs: Any) -> Operation:
        return released_order(organization=organization, **kwargs).operations.order_by("sequence").first()


class WorkOrderMaterialFactory(_SceneFactory):
    class Meta:
        model = WorkOrderMaterial

    @classmethod
    def build_scene(cls, organization: Any, **kwargs: Any) -> WorkOrderMaterial:
        return released_order(organization=organization, **kwargs).materials.first()


class TimeEntryFactory(_SceneFactory):
    """The labour entry of a started job card."""

    class Meta:
        model = TimeEntry

    @classmethod
    def build_scene(cls, organization: Any, **kwargs: Any) -> TimeEntry:
        op = OperationJobCardFactory(organization=organization, **kwargs)
        services.start_operation(actor=_actor(), operation=op)
        return TimeEntry.objects.filter(operation=op, kind=TimeEntry.Kind.LABOUR).first()


class MaterialIssueFactory(_SceneFactory):
    class Meta:
        model = MaterialIssue

    @classmethod
    def build_scene(cls, organization: Any, **kwargs: Any) -> MaterialIssue:
        wo = released_order(organization=organization, **kwargs)
        line = wo.materials.first()
        return services.issue_material(
            actor=_actor(),
            work_order=wo,
            material=line,
            quantity=Decimal(5),
            location=wo.issue_location,
            lot=line.component.lots.first(),
        )


class WorkOrderOutputFactory(_SceneFactory):
    class Meta:
        model = WorkOrderOutput

    @classmethod
    def build_scene(cls, organization: Any, **kwargs: Any) -> WorkOrderOutput:
        wo = run_order(released_order(organization=organization, **kwargs))
        return services.receive_output(actor=_actor(), work_order=wo, quantity=wo.quantity)[0]


class GenealogyLinkFactory(_SceneFactory):
    class Meta:
        model = GenealogyLink

    @classmethod
    def build_scene(cls, organization: Any, **kwargs: Any) -> GenealogyLink:
        output = WorkOrderOutputFactory(organization=organization, **kwargs)
        return GenealogyLink.objects.filter(work_order=output.work_order).first()
