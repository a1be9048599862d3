"""factory_boy factories for the inventory. Balances and moves are built through the services
(`post_move`), the only writer of the ledger, so a factory never makes books that do not add up."""

from __future__ import annotations

from decimal import Decimal

import factory

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory, TenantFactory
from shopfloor.inventory import services
from shopfloor.inventory.models import (
    CycleCount,
    CycleCountLine,
    Location,
    Lot,
    LowStockLatch,
    Reservation,
    SerialNumber,
    StockBalance,
    StockMove,
)


def _actor():
    """The user in context, else a platform administrator (services check permissions)."""
    from shopfloor.core.tests.factories import UserFactory

    user = tenancy.current_user()
    if user is not None:
        return user
    return UserFactory(is_superuser=True)


class LocationFactory(TenantFactory):
    class Meta:
        model = Location

    plant = factory.SubFactory(PlantFactory, organization=factory.SelfAttribute("..organization"))
    code = factory.Sequence(lambda n: f"BIN-{n:04d}")
    name = factory.Sequence(lambda n: f"Bin {n}")


class LotFactory(TenantFactory):
    class Meta:
        model = Lot

    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"), tracking="lot")
    number = factory.Sequence(lambda n: f"L{n:05d}")


class SerialNumberFactory(TenantFactory):
    class Meta:
        model = SerialNumber

    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"), tracking="serial")
    serial = factory.Sequence(lambda n: f"SN{n:06d}")


class LowStockLatchFactory(TenantFactory):
    class Meta:
        model = LowStockLatch

    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))


def _with_org(organization):
    """Run a service in the factory's organization (factories may build for another one)."""
    current = tenancy.current_organization()
    if current is not None and current.pk == organization.pk:
        return tenancy.use(current, _actor())
    return tenancy.use(organization, _actor())


class StockMoveFactory(factory.django.DjangoModelFactory):
    """A receipt of `quantity` of a new item into a new location, posted by the service."""

    class Meta:
        model = StockMove

    @classmethod
    def _create(cls, model_class, organization=None, quantity=Decimal("10"), item=None, location=None, **kwargs):
        from shopfloor.core.tests.factories import OrganizationFactory

        organization = organization or tenancy.current_organization() or OrganizationFactory()
        with _with_org(organization):
            location = location or LocationFactory(organization=organization)
            item = item or ItemFactory(organization=organization)
            return services.receive(actor=_actor(), item=item, quantity=quantity, location=location)


class StockBalanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockBalance

    @classmethod
    def _create(cls, model_class, organization=None, **kwargs):
        move = StockMoveFactory(organization=organization, **kwargs)
        return StockBalance.objects.unscoped().get(item=move.item, location=move.to_location, lot=None)


class ReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reservation

    @classmethod
    def _create(cls, model_class, organization=None, quantity=Decimal("2"), **kwargs):
        balance = StockBalanceFactory(organization=organization, **kwargs)
        with _with_org(balance.organization):
            return services.reserve(actor=_actor(), item=balance.item, location=balance.location, quantity=quantity)


class CycleCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CycleCount

    @classmethod
    def _create(cls, model_class, organization=None, **kwargs):
        balance = StockBalanceFactory(organization=organization, **kwargs)
        with _with_org(balance.organization):
            return services.start_count(actor=_actor(), location=balance.location)


class CycleCountLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CycleCountLine

    @classmethod
    def _create(cls, model_class, organization=None, **kwargs):
        count = CycleCountFactory(organization=organization, **kwargs)
        return CycleCountLine.objects.unscoped().filter(count=count).first()
