"""factory_boy factories for sales. Order numbers come from the numbering service, like the
services issue them; a line's stock quantity is its quantity (the item's own unit).

    order = SalesOrderFactory()                       # a draft for a new customer at a new plant
    line = SalesOrderLineFactory(order=order, quantity=4, item=item)
    order = confirmed_order(item=item, quantity=4)    # through the services: stock reserved
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import numbering, tenancy
from shopfloor.core.tests.factories import PlantFactory, TenantFactory
from shopfloor.partners.tests.factories import CustomerFactory
from shopfloor.sales.models import SalesOrder, SalesOrderLine


class SalesOrderFactory(TenantFactory):
    class Meta:
        model = SalesOrder

    number = factory.LazyFunction(lambda: numbering.next_number("sales_order"))
    plant = factory.SubFactory(PlantFactory, organization=factory.SelfAttribute("..organization"))
    customer = factory.SubFactory(CustomerFactory, organization=factory.SelfAttribute("..organization"))
    customer_reference = factory.Sequence(lambda n: f"PO-{4500 + n}")
    status = "draft"


class SalesOrderLineFactory(TenantFactory):
    class Meta:
        model = SalesOrderLine

    order = factory.SubFactory(SalesOrderFactory, organization=factory.SelfAttribute("..organization"))
    position = factory.Sequence(lambda n: (n + 1) * 10)
    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"), status="active")
    quantity = Decimal("5")
    unit = factory.SelfAttribute("item.stock_unit")
    unit_price = Decimal("1250.00")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))
    stock_quantity = factory.SelfAttribute("quantity")


def confirmed_order(*, item, quantity, plant=None, actor=None, due_date=None, **order_fields):
    """An order of one line, created and confirmed through the services (stock reserved as it can)."""
    from shopfloor.sales import services

    actor = actor or tenancy.current_user()
    order = services.create_order(
        actor=actor,
        data={
            "plant": plant or PlantFactory(),
            "customer": order_fields.pop("customer", None) or CustomerFactory(),
            **order_fields,
            "lines": [
                {
                    "item": item,
                    "quantity": quantity,
                    "unit_price": Decimal("100"),
                    "due_date": due_date or timezone.localdate() + dt.timedelta(days=7),
                }
            ],
        },
    )
    return services.confirm(actor=actor, order=order)
