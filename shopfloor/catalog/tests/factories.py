import factory

from shopfloor.catalog.models import BomLine, BomVersion, Item, ItemUnitConversion, Unit, UnitCategory
from shopfloor.core.tests.factories import TenantFactory


class UnitCategoryFactory(TenantFactory):
    class Meta:
        model = UnitCategory

    name = factory.Sequence(lambda n: f"Category {n}")


class UnitFactory(TenantFactory):
    class Meta:
        model = Unit

    category = factory.SubFactory(UnitCategoryFactory, organization=factory.SelfAttribute("..organization"))
    code = factory.Sequence(lambda n: f"u{n}")
    name = factory.Sequence(lambda n: f"Unit {n}")


class ItemFactory(TenantFactory):
    class Meta:
        model = Item

    number = factory.Sequence(lambda n: f"IT-{n + 1:05d}")
    name = factory.Sequence(lambda n: f"Part {n}")
    stock_unit = factory.SubFactory(UnitFactory, organization=factory.SelfAttribute("..organization"))


class ItemUnitConversionFactory(TenantFactory):
    class Meta:
        model = ItemUnitConversion

    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))
    unit = factory.SubFactory(
        UnitFactory,
        organization=factory.SelfAttribute("..organization"),
        category=factory.SelfAttribute("..item.stock_unit.category"),
    )
    factor_numerator = 12


class BomVersionFactory(TenantFactory):
    class Meta:
        model = BomVersion

    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))
    version = factory.Sequence(lambda n: n + 1)


class BomLineFactory(TenantFactory):
    class Meta:
        model = BomLine

    version = factory.SubFactory(BomVersionFactory, organization=factory.SelfAttribute("..organization"))
    position = factory.Sequence(lambda n: (n + 1) * 10)
    component = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))
    unit = factory.SelfAttribute("component.stock_unit")
    quantity = 1
