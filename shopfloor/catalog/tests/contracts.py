"""Catalog API contracts for the shared contract suite."""

from __future__ import annotations

from shopfloor.core.tests.contract import Contract, unique

from .factories import ItemFactory, ItemUnitConversionFactory, UnitCategoryFactory, UnitFactory


def _unit_payload() -> dict:
    return {"category": UnitCategoryFactory().pk, "code": unique("bx"), "name": "Box", "factor_numerator": 12}


def _item_payload() -> dict:
    return {
        "number": unique("BIT-"),
        "name": "PDC bit 8 1/2in",
        "stock_unit": UnitFactory().pk,
        "item_type": "finished_product",
        "tracking": "serial",
    }


def _conversion_payload() -> dict:
    item = ItemFactory()
    unit = UnitFactory(category=item.stock_unit.category)
    return {"item": item.pk, "unit": unit.pk, "factor_numerator": 25}


CONTRACTS: dict[str, Contract] = {
    "catalog/unit-categories": Contract(
        factory=UnitCategoryFactory,
        payload=lambda: {"name": unique("Area "), "description": "Base: square metre"},
        update={"description": "Base: m2"},
    ),
    "catalog/units": Contract(
        factory=UnitFactory,
        payload=_unit_payload,
        update={"name": "Carton", "factor_numerator": 24},
    ),
    "catalog/items": Contract(
        factory=ItemFactory,
        payload=_item_payload,
        update={"name": "PDC bit 12 1/4in", "standard_cost": "1520.500000"},
    ),
    "catalog/item-unit-conversions": Contract(
        factory=ItemUnitConversionFactory,
        payload=_conversion_payload,
        update={"factor_numerator": 50},
    ),
}

NOT_EXPOSED: dict[str, str] = {}
