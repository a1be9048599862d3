"""BOM lines (catalog), one row per line. Versions are created as drafts; releasing is a workflow step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shopfloor.catalog import services as catalog_services
from shopfloor.catalog.models import BomLine, BomVersion, Item, Unit

from ..registry import Column, Dataset, Lookup, RowError, register

_LINE_COLUMNS = [
    "component",
    "quantity",
    "unit",
    "scrap_factor",
    "is_phantom",
    "effective_from",
    "effective_to",
    "reference_designators",
    "notes",
]


class BomLines(Dataset):
    def validate(self, row: dict[str, Any]) -> None:
        if row["quantity"] <= 0:
            raise RowError({"quantity": "Must be more than 0."})
        scrap = row["scrap_factor"]
        if scrap is not None and not (0 <= scrap < 1):
            raise RowError({"scrap_factor": "A fraction: 0 or more and less than 1 (0.05 = 5 %)."})
        if row["component"].pk == row["parent"].pk:
            raise RowError({"component": "An item cannot be a component of itself."})

    def row_key(self, row: dict[str, Any]) -> tuple[Any, ...] | None:
        if row["position"] is None:
            return None  # appended at the end of the version: never the same line twice
        return (row["parent"].pk, row["version"], row["position"])

    def _version(self, *, actor: Any, parent: Item, number: int | None) -> BomVersion:
        versions = BomVersion.objects.filter(item=parent)
        if number is None:
            found = versions.filter(status="draft").order_by("-version").first()
            return found or catalog_services.create_bom_version(actor=actor, item=parent)
        found = versions.filter(version=number).first()
        if found is not None:
            return found
        following = (versions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        if number != following:
            raise RowError(
                {"version": f"{parent.number} has no BOM version {number}; its next new version is {following}."}
            )
        return catalog_services.create_bom_version(actor=actor, item=parent)

    def write(self, *, actor: Any, row: dict[str, Any]) -> Any:
        version = self._version(actor=actor, parent=row["parent"], number=row["version"])
        data = {name: row[name] for name in _LINE_COLUMNS if row[name] is not None}
        for name in ("reference_designators", "notes"):
            data.setdefault(name, "")
        data.setdefault("is_phantom", False)
        line = None
        if row["position"] is not None:
            data["position"] = row["position"]
            line = BomLine.objects.filter(version=version, position=row["position"]).first()
        return catalog_services.save_bom_line(actor=actor, version=version, data=data, line=line)

    def export_rows(self) -> Iterable[list[Any]]:
        lines = BomLine.objects.select_related("version__item", "component", "unit").order_by(
            "version__item__number", "version__version", "position", "id"
        )
        for line in lines:
            yield [
                line.version.item.number,
                line.version.version,
                line.position,
                line.component.number,
                line.quantity,
                line.unit.code,
                line.scrap_factor,
                line.is_phantom,
                line.effective_from,
                line.effective_to,
                line.reference_designators,
                line.notes,
            ]


register(
    BomLines(
        name="boms",
        label="BOM lines",
        description=(
            "One row per BOM line. A version that does not exist yet is created as a draft (numbers follow "
            "on: 1, 2...); an empty version means the item's newest draft. Lines of released versions "
            "cannot change."
        ),
        columns=[
            Column("parent", required=True, lookup=Lookup(Item, "number", "item"), help="Item number of the parent."),
            Column("version", "integer", help="BOM version number; empty = newest draft (created if none)."),
            Column("position", "integer", help="10, 20...; an existing position is updated, empty = appended."),
            Column("component", required=True, lookup=Lookup(Item, "number", "item"), help="Item number."),
            Column("quantity", "decimal", required=True, help="Per one stock unit of the parent."),
            Column("unit", required=True, lookup=Lookup(Unit, "code", "unit"), help="Unit code of the quantity."),
            Column("scrap_factor", "decimal", help="Fraction lost, 0.05 = 5 %. Default 0."),
            Column("is_phantom", "bool", help="Default false."),
            Column("effective_from", "date"),
            Column("effective_to", "date"),
            Column("reference_designators", help='E.g. "C1, C2, R5".'),
            Column("notes", max_length=200),
        ],
        key=("position",),
        permission="catalog.change_bomversion",
        view_permission="catalog.view_bomversion",
    )
)
