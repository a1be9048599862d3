"""Unit categories and units of measure (catalog)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.models import Unit, UnitCategory
from shopfloor.core import services as core_services

from ..registry import Column, Dataset, Lookup, RowError, register


def upsert(*, actor: Any, model: type, existing: Any, data: dict[str, Any], create: Any) -> Any:
    """Update `existing` when its values differ, else create through `create`; both audited."""
    if existing is None:
        return create(actor=actor, data=data)
    changed = {k: v for k, v in data.items() if getattr(existing, k) != v}
    if not changed:
        return existing
    return core_services.update_object(actor=actor, obj=existing, data=changed)


class UnitCategories(Dataset):
    def write(self, *, actor: Any, row: dict[str, Any]) -> Any:
        data = {"name": row["name"], "description": row["description"] or ""}
        existing = UnitCategory.objects.filter(name=row["name"]).first()
        return upsert(
            actor=actor,
            model=UnitCategory,
            existing=existing,
            data=data,
            create=catalog_services.create_unit_category,
        )

    def export_rows(self) -> Iterable[list[Any]]:
        for category in UnitCategory.objects.order_by("name"):
            yield [category.name, category.description]


class Units(Dataset):
    def validate(self, row: dict[str, Any]) -> None:
        for name in ("factor_numerator", "factor_denominator"):
            if row[name] is not None and row[name] < 1:
                raise RowError({name: "Must be 1 or more."})

    def write(self, *, actor: Any, row: dict[str, Any]) -> Any:
        data = {
            "code": row["code"],
            "name": row["name"],
            "category": row["category"],
            "factor_numerator": row["factor_numerator"] or 1,
            "factor_denominator": row["factor_denominator"] or 1,
            "is_active": True if row["is_active"] is None else row["is_active"],
        }
        existing = Unit.objects.filter(code=row["code"]).first()
        return upsert(actor=actor, model=Unit, existing=existing, data=data, create=catalog_services.create_unit)

    def export_rows(self) -> Iterable[list[Any]]:
        for unit in Unit.objects.select_related("category").order_by("code"):
            yield [
                unit.code,
                unit.name,
                unit.category.name,
                unit.factor_numerator,
                unit.factor_denominator,
                unit.is_active,
            ]


register(
    UnitCategories(
        name="unit-categories",
        label="Unit categories",
        description="What units measure (count, mass, length...). Load before units.",
        columns=[
            Column("name", required=True, max_length=60, help="Unique name, e.g. Mass."),
            Column("description", max_length=200),
        ],
        key=("name",),
        permission="catalog.add_unitcategory",
        view_permission="catalog.view_unitcategory",
    )
)

register(
    Units(
        name="units",
        label="Units of measure",
        description="One row per unit: factor_numerator/factor_denominator base units of its category make one.",
        columns=[
            Column("code", required=True, max_length=16, help="Short symbol, unique: kg, m, ea."),
            Column("name", required=True, max_length=60),
            Column(
                "category",
                required=True,
                lookup=Lookup(UnitCategory, "name", "unit category"),
                help="Name of an existing unit category.",
            ),
            Column("factor_numerator", "integer", help="Default 1."),
            Column("factor_denominator", "integer", help="Default 1. 1 g = 1/1000 kg."),
            Column("is_active", "bool", help="Default true."),
        ],
        key=("code",),
        permission="catalog.add_unit",
        view_permission="catalog.view_unit",
    )
)
