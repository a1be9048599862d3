"""factory_boy factories for partners. Numbers come from the numbering service, like the
services issue them, so a number made in a test never clashes with one issued later."""

from __future__ import annotations

from decimal import Decimal

import factory

from shopfloor.core import numbering
from shopfloor.core.tests.factories import TenantFactory
from shopfloor.partners.models import Contact, Customer, Rig, Supplier, Well


class CustomerFactory(TenantFactory):
    class Meta:
        model = Customer

    number = factory.LazyFunction(lambda: numbering.next_number("customer"))
    name = factory.Sequence(lambda n: f"Northern Drilling {n}")
    email = factory.Sequence(lambda n: f"ops{n}@northern.example")


class SupplierFactory(TenantFactory):
    class Meta:
        model = Supplier

    number = factory.LazyFunction(lambda: numbering.next_number("supplier"))
    name = factory.Sequence(lambda n: f"Carbide Supply {n}")
    approval_status = Supplier.ApprovalStatus.APPROVED
    lead_time_days = 14


class ContactFactory(TenantFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory, organization=factory.SelfAttribute("..organization"))
    supplier = None
    name = factory.Sequence(lambda n: f"Kari Nordmann {n}")
    title = "Drilling superintendent"
    email = factory.Sequence(lambda n: f"kari{n}@northern.example")


class RigFactory(TenantFactory):
    class Meta:
        model = Rig

    customer = factory.SubFactory(CustomerFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"Rig {n}")
    contractor = "Arctic Drilling AS"
    rig_type = Rig.RigType.JACKUP


class WellFactory(TenantFactory):
    class Meta:
        model = Well

    customer = factory.SubFactory(CustomerFactory, organization=factory.SelfAttribute("..organization"))
    rig = None
    name = factory.Sequence(lambda n: f"34/10-A-{n}")
    field = "Gullfaks"
    operator = "Equinor"
    latitude = Decimal("61.214000")
    longitude = Decimal("2.273000")
    planned_depth = Decimal("3850.00")
