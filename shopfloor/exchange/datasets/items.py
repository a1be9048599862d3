"""Items (catalog). Status is not imported: releasing an item goes through its workflow."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.models import Item, Unit

from ..registry import Column, Dataset, Lookup, RowError, register
from .units import upsert

_DECIMALS = [
    "fixed_lot_size",
    "minimum_lot_size",
    "maximum_lot_size",
    "lot_multiple",
    "safety_stock",
    "reorder_point",
    "minimum_stock",
    "maximum_stock",
    "standard_cost",
]
_INTEGERS = ["purchase_lead_time_days", "manufacturing_lead_time_days", "period_days"]


def _default(name: str) -> Any:
    field = Item._meta.get_field(name)
    return field.get_default() if not field.null else None


class Items(Dataset):
    def validate(self, row: dict[str, Any]) -> None:
        errors = {name: "Must not be negative." for name in _DECIMALS + _INTEGERS if (row[name] or 0) < 0}
        if errors:
            raise RowError(errors)

    def prefetch(self, rows: list[dict[str, Any]]) -> dict[Any, Any]:
        numbers = [row["number"] for row in rows]
        known: dict[Any, Any] = {}
        for start in range(0, len(numbers), 500):  # short IN lists whatever the database
            for item in Item.objects.filter(number__in=numbers[start : start + 500]):
                known[item.number] = item
        return known

    def write(self, *, actor: Any, row: dict[str, Any], known: dict[Any, Any] | None = None) -> Any:
        data: dict[str, Any] = {}
        for column in self.columns:
            value = row[column.name]
            # An empty cell means the field's default (or nothing, where the field may be empty).
            data[column.name] = _default(column.name) if value is None else value
        if known is None:
            existing = Item.objects.filter(number=row["number"]).first()
        else:
            existing = known.get(row["number"])
        return upsert(actor=actor, model=Item, existing=existing, data=data, create=catalog_services.create_item)

    def export_rows(self) -> Iterable[list[Any]]:
        for item in Item.objects.select_related("stock_unit").order_by("number"):
            yield [item.stock_unit.code if c.name == "stock_unit" else getattr(item, c.name) for c in self.columns]


register(
    Items(
        name="items",
        label="Items",
        description="One row per item; an existing number is updated. New items start as draft.",
        columns=[
            Column("number", required=True, max_length=40, help="Unique item number."),
            Column("name", required=True, max_length=200),
            Column("description"),
            Column("item_type", "choice", choices=tuple(Item.Type.values), help="Default manufactured_part."),
            Column("make_or_buy", "choice", choices=tuple(Item.MakeOrBuy.values), help="Default make."),
            Column("stock_unit", required=True, lookup=Lookup(Unit, "code", "unit"), help="Code of a unit."),
            Column("tracking", "choice", choices=tuple(Item.Tracking.values), help="Default none."),
            Column("revision", max_length=16),
            Column("purchase_lead_time_days", "integer"),
            Column("manufacturing_lead_time_days", "integer"),
            Column("lot_size_rule", "choice", choices=tuple(Item.LotSizeRule.values), help="Default lot_for_lot."),
            Column("fixed_lot_size", "decimal"),
            Column("minimum_lot_size", "decimal"),
            Column("maximum_lot_size", "decimal"),
            Column("lot_multiple", "decimal"),
            Column("period_days", "integer"),
            Column("safety_stock", "decimal"),
            Column("reorder_point", "decimal"),
            Column("minimum_stock", "decimal"),
            Column("maximum_stock", "decimal"),
            Column("standard_cost", "decimal"),
        ],
        key=("number",),
        permission="catalog.add_item",
        view_permission="catalog.view_item",
    )
)
