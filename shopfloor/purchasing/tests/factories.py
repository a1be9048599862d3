"""factory_boy factories for purchasing. Orders are drafts; receipts are posted through the
receiving service (the ledger's only door), so a factory never makes books that do not add up."""

from __future__ import annotations

from decimal import Decimal

import factory

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import numbering, tenancy
from shopfloor.core.tests.factories import PlantFactory, TenantFactory
from shopfloor.inventory.models import Location
from shopfloor.inventory.tests.factories import LocationFactory
from shopfloor.partners.tests.factories import SupplierFactory
from shopfloor.purchasing import services
from shopfloor.purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchasingSettings, Receipt, ReceiptLine


def _actor():
    """The user in context, else a platform administrator (services check permissions)."""
    from shopfloor.core.tests.factories import UserFactory

    return tenancy.current_user() or UserFactory(is_superuser=True)


class PurchasingSettingsFactory(TenantFactory):
    class Meta:
        model = PurchasingSettings
        django_get_or_create = ("organization",)

    approval_threshold = Decimal("5000")
    receipt_tolerance_percent = Decimal("0")


class PurchaseOrderFactory(TenantFactory):
    """A draft order without lines."""

    class Meta:
        model = PurchaseOrder

    plant = factory.SubFactory(PlantFactory, organization=factory.SelfAttribute("..organization"))
    supplier = factory.SubFactory(SupplierFactory, organization=factory.SelfAttribute("..organization"))
    number = factory.LazyFunction(lambda: numbering.next_number("purchase_order"))
    status = "draft"
    currency = "USD"


class PurchaseOrderLineFactory(TenantFactory):
    class Meta:
        model = PurchaseOrderLine

    order = factory.SubFactory(PurchaseOrderFactory, organization=factory.SelfAttribute("..organization"))
    position = factory.Sequence(lambda n: (n + 1) * 10)
    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"), make_or_buy="buy")
    quantity = Decimal("10")
    unit = factory.SelfAttribute("item.stock_unit")
    unit_price = Decimal("12.50")


def sent_order(*, lines: list[dict] | None = None, **kwargs) -> PurchaseOrder:
    """A sent order with `lines` ({"item", "quantity", "unit_price", ...}), ready to receive,
    and a receiving and a quarantine location at its plant."""
    actor = _actor()
    plant = kwargs.pop("plant", None) or PlantFactory()
    for kind, prefix in ((Location.Type.RECEIVING, "RCV"), (Location.Type.QUARANTINE, "QUA")):
        if not Location.objects.filter(plant=plant, location_type=kind).exists():
            LocationFactory(plant=plant, code=f"{prefix}-{plant.code}", location_type=kind)
    supplier = kwargs.pop("supplier", None) or SupplierFactory()
    order = services.create_purchase_order(actor=actor, data={"plant": plant, "supplier": supplier, **kwargs})
    for line in lines or [
        {"item": ItemFactory(make_or_buy="buy"), "quantity": Decimal("10"), "unit_price": Decimal("5")}
    ]:
        services.add_line(actor=actor, order=order, data=line)
    services.submit(actor=actor, order=order)
    return services.send(actor=actor, order=order)


class ReceiptFactory(factory.django.DjangoModelFactory):
    """A receipt of a whole one-line order (posted through the service)."""

    class Meta:
        model = Receipt

    @classmethod
    def _create(cls, model_class, organization=None, **kwargs):
        org = organization or tenancy.current_organization()
        with tenancy.use(org, tenancy.current_user()):
            order = sent_order()
            line = order.lines.get()
            return services.receive(
                actor=_actor(), order=order, lines=[{"order_line": line.pk, "quantity": line.quantity}]
            )


class ReceiptLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReceiptLine

    @classmethod
    def _create(cls, model_class, organization=None, **kwargs):
        receipt = ReceiptFactory(organization=organization)
        return ReceiptLine.objects.unscoped().filter(receipt=receipt).first()
