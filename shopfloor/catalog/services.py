"""Every write of the catalog, and the one place quantities change unit.

Units convert exactly (fractions); a conversion that would need more than the six decimals a
quantity holds is refused rather than silently rounded.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError

from shopfloor.core import services as core_services

from .models import QUANTITY, Item, ItemUnitConversion, Unit, UnitCategory

_QUANTUM = Fraction(1, 10 ** QUANTITY["decimal_places"])


def _to_fraction(quantity: Decimal | int | str) -> Fraction:
    try:
        return Fraction(Decimal(str(quantity)))
    except (ArithmeticError, ValueError) as exc:
        raise ValidationError({"quantity": [f"'{quantity}' is not a number."]}) from exc


def _to_decimal(value: Fraction, *, exact: bool) -> Decimal:
    scaled = value / _QUANTUM
    if exact and scaled.denominator != 1:
        raise ValidationError(
            {"quantity": [f"{float(value):g} cannot be held exactly with {QUANTITY['decimal_places']} decimals."]}
        )
    whole = round(scaled)  # banker's rounding on the last decimal when not exact
    return (Decimal(whole) / Decimal(10 ** QUANTITY["decimal_places"])).quantize(
        Decimal(1).scaleb(-QUANTITY["decimal_places"])
    )


def unit_factor(unit: Unit, item: Item | None = None) -> tuple[Fraction, int | None]:
    """(stock- or base-units per one `unit`, category) for conversions through `item` or the unit's category."""
    if item is not None:
        if unit.pk == item.stock_unit_id:
            return Fraction(1), None
        special = ItemUnitConversion.objects.filter(item=item, unit=unit).first()
        if special is not None:
            return special.factor, None
    return unit.factor, unit.category_id


def conversion_factor(from_unit: Unit, to_unit: Unit, item: Item | None = None) -> Fraction:
    """How many `to_unit` make one `from_unit`, exactly; for `item`, its own conversions count.

    Within a category: the units' factors. Through an item: each unit is expressed in the
    item's stock unit, by the item's own conversion if it has one, else through the stock
    unit's category.
    """
    if from_unit.pk == to_unit.pk:
        return Fraction(1)
    if item is None:
        if from_unit.category_id != to_unit.category_id:
            raise ValidationError(
                {"unit": [f"{from_unit} ({from_unit.category}) does not convert to {to_unit} ({to_unit.category})."]}
            )
        return from_unit.factor / to_unit.factor
    return _in_stock_units(from_unit, item) / _in_stock_units(to_unit, item)


def _in_stock_units(unit: Unit, item: Item) -> Fraction:
    if unit.pk == item.stock_unit_id:
        return Fraction(1)
    special = ItemUnitConversion.objects.filter(item=item, unit=unit).first()
    if special is not None:
        return special.factor
    stock = item.stock_unit
    if unit.category_id == stock.category_id:
        return unit.factor / stock.factor
    raise ValidationError(
        {"unit": [f"{item.number} has no conversion from {unit} to its stock unit {stock}; add one on the item."]}
    )


def convert(
    quantity: Decimal | int | str, from_unit: Unit, to_unit: Unit, item: Item | None = None, *, exact: bool = False
) -> Decimal:
    """`quantity` of `from_unit` in `to_unit`, as a QUANTITY decimal (exact=True refuses rounding)."""
    return _to_decimal(_to_fraction(quantity) * conversion_factor(from_unit, to_unit, item), exact=exact)


def to_stock_units(quantity: Decimal | int | str, unit: Unit, item: Item, *, exact: bool = False) -> Decimal:
    return convert(quantity, unit, item.stock_unit, item, exact=exact)


# --- Writes ----------------------------------------------------------------------------------------


def create_unit_category(*, actor: Any, data: dict[str, Any]) -> UnitCategory:
    return core_services.create_object(actor=actor, model=UnitCategory, data=data)


def create_unit(*, actor: Any, data: dict[str, Any]) -> Unit:
    return core_services.create_object(actor=actor, model=Unit, data=data)


def create_item(*, actor: Any, data: dict[str, Any]) -> Item:
    """A new item starts in its workflow's initial state (draft)."""
    from shopfloor.workflows import services as workflow_services

    return core_services.create_object(
        actor=actor, model=Item, data={**data, "status": workflow_services.initial_state(Item)}
    )


def save_item_unit_conversion(*, actor: Any, data: dict[str, Any]) -> ItemUnitConversion:
    item, unit = data["item"], data["unit"]
    if unit.pk == item.stock_unit_id:
        raise ValidationError({"unit": ["The stock unit converts to itself; pick another unit."]})
    return core_services.create_object(actor=actor, model=ItemUnitConversion, data=data, perm="catalog.change_item")


STANDARD_UNITS: list[tuple[str, str, list[tuple[str, str, int, int]]]] = [
    ("Count", "Pieces and packs", [("ea", "each", 1, 1), ("pr", "pair", 2, 1), ("dz", "dozen", 12, 1)]),
    (
        "Mass",
        "Base: kilogram",
        [
            ("kg", "kilogram", 1, 1),
            ("g", "gram", 1, 1000),
            ("t", "tonne", 1000, 1),
            ("lb", "pound", 45359237, 100000000),
        ],
    ),
    (
        "Length",
        "Base: metre",
        [
            ("m", "metre", 1, 1),
            ("mm", "millimetre", 1, 1000),
            ("cm", "centimetre", 1, 100),
            ("in", "inch", 127, 5000),
            ("ft", "foot", 381, 1250),
        ],
    ),
    (
        "Volume",
        "Base: litre",
        [
            ("l", "litre", 1, 1),
            ("ml", "millilitre", 1, 1000),
            ("m3", "cubic metre", 1000, 1),
            ("gal", "US gallon", 473176473, 125000000),
        ],
    ),
    ("Time", "Base: hour", [("h", "hour", 1, 1), ("min", "minute", 1, 60), ("s", "second", 1, 3600)]),
]


def install_standard_units(organization: Any, actor: Any = None) -> list[Unit]:
    """The units every plant needs, installed once per organization (idempotent, audited)."""
    from shopfloor.core import audit, tenancy

    created: list[Unit] = []
    with tenancy.use(organization, actor):
        for cat_name, description, units in STANDARD_UNITS:
            category = UnitCategory.objects.filter(name=cat_name).first()
            if category is None:
                category = UnitCategory.objects.create(
                    organization=organization, name=cat_name, description=description
                )
                audit.record(
                    actor, category, action="create", changes={"name": [None, cat_name]}, reason="standard units"
                )
            for code, name, num, den in units:
                if Unit.objects.filter(code=code).exists():
                    continue
                unit = Unit.objects.create(
                    organization=organization,
                    category=category,
                    code=code,
                    name=name,
                    factor_numerator=num,
                    factor_denominator=den,
                )
                audit.record(
                    actor,
                    unit,
                    action="create",
                    changes={"code": [None, code], "factor": [None, f"{num}/{den}"]},
                    reason="standard units",
                )
                created.append(unit)
    return created
