"""Units of measure: exact conversions within a category and through an item's own units."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from shopfloor.catalog import services
from shopfloor.catalog.models import Item, Unit, UnitCategory
from shopfloor.catalog.tests.factories import ItemFactory, ItemUnitConversionFactory
from shopfloor.core import tenancy


@pytest.fixture
def units(tenant, org, admin_user):
    services.install_standard_units(org, admin_user)
    return {u.code: u for u in Unit.objects.all()}


def test_standard_units_are_installed_once_per_organization(units, org, admin_user):
    assert {"ea", "kg", "lb", "m", "mm", "in", "ft", "l", "gal", "h", "min"} <= set(units)
    assert services.install_standard_units(org, admin_user) == []
    assert UnitCategory.objects.count() == 5


def test_conversions_within_a_category_are_exact(units):
    assert services.convert("1", units["in"], units["mm"]) == Decimal("25.400000")
    assert services.convert("12", units["in"], units["ft"], exact=True) == Decimal("1.000000")
    assert services.convert("1", units["lb"], units["g"]) == Decimal("453.592370")
    assert services.convert("90", units["min"], units["h"]) == Decimal("1.500000")
    assert services.convert("3", units["dz"], units["ea"]) == Decimal("36.000000")


def test_a_conversion_that_cannot_be_held_exactly_is_refused_when_asked(units):
    assert services.convert("1", units["min"], units["s"]) == Decimal("60.000000")
    with pytest.raises(ValidationError, match="exactly"):
        services.convert("1", units["s"], units["h"], exact=True)
    assert services.convert("1", units["s"], units["h"]) == Decimal("0.000278")


def test_units_of_different_categories_do_not_convert_without_an_item(units):
    with pytest.raises(ValidationError) as exc:
        services.convert("1", units["kg"], units["m"])
    assert "does not convert" in exc.value.message_dict["unit"][0]


def test_an_items_own_conversions_bridge_categories_and_packs(units, admin_user):
    bar = services.create_item(
        actor=admin_user, data={"number": "4140-BAR", "name": "4140 bar 50mm", "stock_unit": units["m"]}
    )
    assert bar.status == "draft"
    box = Unit.objects.create(organization=bar.organization, category=units["ea"].category, code="box", name="box")
    ItemUnitConversionFactory(item=bar, unit=units["kg"], factor_numerator=10, factor_denominator=62)  # 6.2 kg/m
    ItemUnitConversionFactory(item=bar, unit=box, factor_numerator=6)  # a box holds 6 m of cut bar
    assert services.to_stock_units("62", units["kg"], bar) == Decimal("10.000000")
    assert services.convert("2", box, units["kg"], bar) == Decimal("74.400000")
    assert services.convert("3000", units["mm"], units["kg"], bar) == Decimal("18.600000")
    with pytest.raises(ValidationError, match="no conversion"):
        services.convert("1", units["l"], units["m"], bar)


def test_a_new_organization_gets_standard_units(db, django_capture_on_commit_callbacks):
    from shopfloor.core import services as core_services
    from shopfloor.core.tests.factories import UserFactory

    root = UserFactory(is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        org = core_services.create_organization(actor=root, name="Fresh Plant", slug="fresh-plant")
    with tenancy.use(org):
        assert Unit.objects.filter(code="kg").exists()


def test_items_move_through_their_workflow(units, admin_user):
    from shopfloor.workflows import services as workflow_services

    item = ItemFactory(stock_unit=units["ea"])
    workflow_services.transition(item, "active", admin_user)
    assert Item.objects.get(pk=item.pk).status == "active"
