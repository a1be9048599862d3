"""Storage locations (inventory), as a tree per plant. Virtual locations are the system's own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shopfloor.core.models import Plant
from shopfloor.inventory import services as inventory_services
from shopfloor.inventory.models import Location

from ..registry import Column, Dataset, Lookup, RowError, register

REAL_TYPES = tuple(t for t in Location.Type.values if t not in Location.VIRTUAL_TYPES)


class Locations(Dataset):
    def row_key(self, row: dict[str, Any]) -> tuple[Any, ...] | None:
        return (row["plant"].pk, row["code"])

    def write(self, *, actor: Any, row: dict[str, Any]) -> Any:
        plant: Plant = row["plant"]
        parent = None
        if row["parent"]:
            # Looked up when written, so a parent on an earlier row of the same file is found.
            parent = Location.objects.filter(plant=plant, code=row["parent"]).first()
            if parent is None:
                raise RowError({"parent": f"Unknown location '{row['parent']}' in plant {plant.code}."})
        data = {
            "plant": plant,
            "code": row["code"],
            "name": row["name"],
            "parent": parent,
            "location_type": row["location_type"] or Location.Type.STORAGE,
            "allow_negative": bool(row["allow_negative"]),
            "is_active": True if row["is_active"] is None else row["is_active"],
        }
        existing = Location.objects.filter(plant=plant, code=row["code"]).first()
        if existing is None:
            return inventory_services.create_location(actor=actor, data=data)
        if existing.is_virtual:
            raise RowError({"code": f"{existing.code} is a virtual location of the system; pick another code."})
        changed = {k: v for k, v in data.items() if k != "plant" and getattr(existing, k) != v}
        if not changed:
            return existing
        return inventory_services.update_location(actor=actor, location=existing, data=changed)

    def export_rows(self) -> Iterable[list[Any]]:
        locations = list(
            Location.objects.exclude(location_type__in=list(Location.VIRTUAL_TYPES))
            .select_related("plant", "parent")
            .order_by("plant__code", "code")
        )
        # Parents before their children, so the file imports top-down in one pass.
        depth: dict[int, int] = {}
        by_id = {loc.pk: loc for loc in locations}

        def level(loc: Location) -> int:
            if loc.pk not in depth:
                parent = by_id.get(loc.parent_id) if loc.parent_id else None
                depth[loc.pk] = 0 if parent is None else level(parent) + 1
            return depth[loc.pk]

        for loc in sorted(locations, key=lambda loc: (loc.plant.code, level(loc), loc.code)):
            yield [
                loc.plant.code,
                loc.code,
                loc.name,
                loc.location_type,
                loc.parent.code if loc.parent else None,
                loc.allow_negative,
                loc.is_active,
            ]


register(
    Locations(
        name="locations",
        label="Locations",
        description=(
            "One row per location of a plant; a parent must be an existing location of the same plant or come "
            "on an earlier row. Virtual locations (supplier, customer, production, adjustments) are the system's."
        ),
        columns=[
            Column("plant", required=True, lookup=Lookup(Plant, "code", "plant"), help="Plant code."),
            Column("code", required=True, max_length=40, help="Unique within the plant, e.g. A-01-03."),
            Column("name", required=True, max_length=120),
            Column("location_type", "choice", choices=REAL_TYPES, help="Default storage."),
            Column("parent", help="Code of the parent location in the same plant; empty = top level."),
            Column("allow_negative", "bool", help="Default false."),
            Column("is_active", "bool", help="Default true."),
        ],
        key=("code",),
        permission="inventory.add_location",
        view_permission="inventory.view_location",
    )
)
