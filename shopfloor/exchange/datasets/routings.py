"""Routing operations (resources), one row per operation. Routings are created as drafts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from shopfloor.catalog.models import Item
from shopfloor.resources import services as resources_services
from shopfloor.resources.models import Machine, Operation, Routing, WorkCenter

from ..registry import Column, Dataset, Lookup, RowError, register

_OPERATION_COLUMNS = ["description", "setup_time_minutes", "run_time_per_unit_minutes", "required_skill"]


def machine_codes(text: str | None) -> list[str]:
    return [code for code in re.split(r"[\s,;]+", text or "") if code]


class RoutingOperations(Dataset):
    def validate(self, row: dict[str, Any]) -> None:
        errors = {
            name: "Must not be negative."
            for name in ("setup_time_minutes", "run_time_per_unit_minutes")
            if (row[name] or 0) < 0
        }
        if row["version"] is not None and row["version"] < 1:
            errors["version"] = "Versions start at 1."
        codes = machine_codes(row["eligible_machines"])
        if codes:
            found = {m.code: m for m in Machine.objects.filter(code__in=codes)}
            unknown = [c for c in codes if c not in found]
            if unknown:
                errors["eligible_machines"] = f"Unknown machine {', '.join(repr(c) for c in unknown)}."
            else:
                row["eligible_machines"] = [found[c] for c in codes]
        else:
            row["eligible_machines"] = []
        if errors:
            raise RowError(errors)

    def row_key(self, row: dict[str, Any]) -> tuple[Any, ...] | None:
        return (row["item"].pk, row["version"] or 0, row["sequence"])

    def _routing(self, *, actor: Any, row: dict[str, Any]) -> Routing:
        routings = Routing.objects.filter(item=row["item"])
        if row["version"] is None:
            found = routings.filter(status="draft").order_by("-version").first()
        else:
            found = routings.filter(version=row["version"]).first()
        if found is None:
            data = {"item": row["item"], "description": row["routing_description"] or ""}
            if row["version"] is not None:
                data["version"] = row["version"]
            return resources_services.create_routing(actor=actor, data=data)
        if row["routing_description"] and row["routing_description"] != found.description:
            found = resources_services.update_routing(
                actor=actor, routing=found, data={"description": row["routing_description"]}
            )
        return found

    def write(self, *, actor: Any, row: dict[str, Any]) -> Any:
        routing = self._routing(actor=actor, row=row)
        data: dict[str, Any] = {name: row[name] for name in _OPERATION_COLUMNS if row[name] is not None}
        data.update(
            work_center=row["work_center"],
            eligible_machines=row["eligible_machines"],
            work_instructions=row["work_instructions"] or "",
        )
        data.setdefault("required_skill", "")
        existing = Operation.objects.filter(routing=routing, sequence=row["sequence"]).first()
        if existing is not None:
            return resources_services.update_operation(actor=actor, operation=existing, data=data)
        return resources_services.create_operation(
            actor=actor, data={**data, "routing": routing, "sequence": row["sequence"]}
        )

    def export_rows(self) -> Iterable[list[Any]]:
        operations = (
            Operation.objects.select_related("routing__item", "work_center")
            .prefetch_related("eligible_machines")
            .order_by("routing__item__number", "routing__version", "sequence")
        )
        for op in operations:
            yield [
                op.routing.item.number,
                op.routing.version,
                op.routing.description,
                op.sequence,
                op.description,
                op.work_center.code,
                op.setup_time_minutes,
                op.run_time_per_unit_minutes,
                op.required_skill,
                " ".join(sorted(m.code for m in op.eligible_machines.all())),
                op.work_instructions,
            ]


register(
    RoutingOperations(
        name="routings",
        label="Routing operations",
        description=(
            "One row per operation. A routing version that does not exist yet is created as a draft; an empty "
            "version means the item's newest draft (created if none). Released routings cannot change."
        ),
        columns=[
            Column("item", required=True, lookup=Lookup(Item, "number", "item"), help="Item number."),
            Column("version", "integer", help="Routing version; empty = newest draft."),
            Column("routing_description", max_length=200),
            Column("sequence", "integer", required=True, help="10, 20...; an existing sequence is updated."),
            Column("description", required=True, max_length=200),
            Column("work_center", required=True, lookup=Lookup(WorkCenter, "code", "work center")),
            Column("setup_time_minutes", "decimal", help="Default 0."),
            Column("run_time_per_unit_minutes", "decimal", help="Default 0."),
            Column("required_skill", max_length=120),
            Column("eligible_machines", help="Machine codes of the work center, separated by spaces."),
            Column("work_instructions"),
        ],
        key=("sequence",),
        permission="resources.change_routing",
        view_permission="resources.view_routing",
    )
)
