"""Read queries of the catalog: bills of materials exploded, costed, traced upwards and compared.

Everything here loads rows with a few set-based queries (one per BOM level) and walks the
tree in memory, so a 10-level tree of 50,000 lines explodes in well under a second. All
arithmetic is exact (`Fraction`); results are rounded to QUANTITY/MONEY decimals only when
they are handed out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from .models import MONEY, QUANTITY, BomLine, BomVersion, Item, ItemUnitConversion, Unit

RELEASED = "released"
_LINE_FIELDS = (
    "id",
    "version_id",
    "version__item_id",
    "position",
    "component_id",
    "quantity",
    "unit_id",
    "scrap_factor",
    "is_phantom",
    "effective_from",
    "effective_to",
    "reference_designators",
)


def to_decimal(value: Fraction, places: int = QUANTITY["decimal_places"]) -> Decimal:
    """An exact fraction as a decimal of `places` decimals (half-even on the last one)."""
    scaled = value * 10**places
    return Decimal(round(scaled)).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def money(value: Fraction) -> Decimal:
    return to_decimal(value, MONEY["decimal_places"])


# --- Plain lists for the API and pages -----------------------------------------------------------


def bom_versions() -> QuerySet[BomVersion]:
    return BomVersion.objects.select_related("item", "item__stock_unit")


def bom_lines() -> QuerySet[BomLine]:
    return BomLine.objects.select_related("version", "component", "component__stock_unit", "unit")


def released_version(item: Item | int) -> BomVersion | None:
    item_id = item if isinstance(item, int) else item.pk
    return BomVersion.objects.filter(item_id=item_id, status=RELEASED).first()


# --- In-memory BOM graph ------------------------------------------------------------------------


def _effective(row: dict[str, Any], on: date | None) -> bool:
    if on is None:
        return True
    start, end = row["effective_from"], row["effective_to"]
    return (start is None or start <= on) and (end is None or on <= end)


@dataclass
class BomGraph:
    """Released BOM lines below some items, with what is needed to convert and cost them."""

    on: date | None
    children: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # parent item -> lines
    version_of: dict[int, int] = field(default_factory=dict)  # parent item -> released version id
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    units: dict[int, dict[str, Any]] = field(default_factory=dict)
    item_units: dict[tuple[int, int], Fraction] = field(default_factory=dict)

    def has_bom(self, item_id: int) -> bool:
        return bool(self.children.get(item_id))

    def factor(self, unit_id: int, item_id: int) -> Fraction:
        """Stock units of `item_id` in one `unit_id`, exactly (as services.convert with item=)."""
        item = self.items[item_id]
        stock_id = item["stock_unit_id"]
        if unit_id == stock_id:
            return Fraction(1)
        special = self.item_units.get((item_id, unit_id))
        if special is not None:
            return special
        unit, stock = self.units[unit_id], self.units[stock_id]
        if unit["category_id"] != stock["category_id"]:
            raise ValidationError(
                {"unit": [f"{item['number']} has no conversion from {unit['code']} to {stock['code']}."]}
            )
        return unit["factor"] / stock["factor"]


def load_graph(root_ids: Iterable[int], *, on: date | None = None, top: BomVersion | None = None) -> BomGraph:
    """Every released line reachable from `root_ids`, loaded level by level (two queries a level).

    With `top`, the root item's lines come from that version (a draft being reviewed, or an
    obsolete one) and released versions are used below it.
    """
    graph = BomGraph(on=on)
    graph.units = {
        u["id"]: {**u, "factor": Fraction(u["factor_numerator"], u["factor_denominator"])}
        for u in Unit.objects.values("id", "code", "category_id", "factor_numerator", "factor_denominator")
    }
    frontier = set(root_ids)
    seen: set[int] = set()
    _load_items(graph, frontier)
    first = True
    while frontier:
        seen |= frontier
        versions = BomVersion.objects.filter(item_id__in=frontier, status=RELEASED)
        if on is not None:
            versions = versions.filter(
                Q(effective_from__isnull=True) | Q(effective_from__lte=on),
                Q(effective_to__isnull=True) | Q(effective_to__gte=on),
            )
        if top is not None and first:
            versions = BomVersion.objects.filter(pk=top.pk)
        first = False
        rows = BomLine.objects.filter(version__in=versions).order_by("position", "id").values(*_LINE_FIELDS)
        next_frontier: set[int] = set()
        for row in rows:
            if not _effective(row, on):
                continue
            parent = row["version__item_id"]
            graph.version_of[parent] = row["version_id"]
            graph.children.setdefault(parent, []).append(row)
            if row["component_id"] not in seen:
                next_frontier.add(row["component_id"])
        _load_items(graph, next_frontier)
        frontier = next_frontier
    return graph


def _load_items(graph: BomGraph, ids: set[int]) -> None:
    missing = [i for i in ids if i not in graph.items]
    if not missing:
        return
    for chunk_start in range(0, len(missing), 20000):
        chunk = missing[chunk_start : chunk_start + 20000]
        for row in Item.objects.filter(pk__in=chunk).values(
            "id", "number", "name", "status", "item_type", "stock_unit_id", "standard_cost"
        ):
            graph.items[row["id"]] = row
        for conv in ItemUnitConversion.objects.filter(item_id__in=chunk).values(
            "item_id", "unit_id", "factor_numerator", "factor_denominator"
        ):
            graph.item_units[(conv["item_id"], conv["unit_id"])] = Fraction(
                conv["factor_numerator"], conv["factor_denominator"]
            )


def released_descendants(item_ids: Iterable[int]) -> set[int]:
    """Every item below `item_ids` through released BOMs, at any depth and any date (ids only)."""
    found: set[int] = set()
    frontier = set(item_ids)
    while frontier:
        below = set(
            BomLine.objects.filter(version__status=RELEASED, version__item_id__in=frontier).values_list(
                "component_id", flat=True
            )
        )
        frontier = below - found
        found |= below
    return found


# --- Explosion -----------------------------------------------------------------------------------


@dataclass
class ExplosionRow:
    """One line of an indented explosion; `extended` is in the component's stock unit."""

    level: int
    path: str
    line_id: int
    position: int
    component_id: int
    number: str
    name: str
    quantity: Decimal
    unit: str
    scrap_factor: Decimal
    is_phantom: bool
    has_bom: bool
    extended: Fraction
    stock_unit: str
    requirement: bool  # False for phantoms: built and consumed at once, never issued
    cycle: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "path": self.path,
            "line": self.line_id,
            "position": self.position,
            "component": self.component_id,
            "number": self.number,
            "name": self.name,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "scrap_factor": str(self.scrap_factor),
            "is_phantom": self.is_phantom,
            "has_bom": self.has_bom,
            "extended_quantity": str(to_decimal(self.extended)),
            "stock_unit": self.stock_unit,
            "requirement": self.requirement,
            "cycle": self.cycle,
        }


def _line_extended(graph: BomGraph, line: dict[str, Any], parent_extended: Fraction) -> Fraction:
    multiplier = line.get("_multiplier")
    if multiplier is None:
        # Stock units of the component per stock unit of the parent, scrap included; computed
        # once per line even when a shared sub-assembly is exploded many times.
        per = Fraction(line["quantity"]) * graph.factor(line["unit_id"], line["component_id"])
        multiplier = line["_multiplier"] = per / (1 - Fraction(line["scrap_factor"]))
    return multiplier * parent_extended


def explode(
    item: Item, *, quantity: Decimal | int | str = 1, on: date | None = None, graph: BomGraph | None = None
) -> list[ExplosionRow]:
    """The released BOM of `item` for `quantity` stock units, all levels, depth first.

    Extended quantity = quantity per (in the component's stock unit) x parent's extended
    quantity / (1 - scrap). Phantoms are exploded through: their children carry on with the
    phantom's extended quantity, and the phantom's own line is not a requirement.
    """
    graph = graph or load_graph([item.pk], on=on)
    rows: list[ExplosionRow] = []
    # Iterative depth-first walk: deep trees never hit the recursion limit.
    stack: list[tuple[int, str, dict[str, Any], Fraction, frozenset[int]]] = []
    top = Fraction(Decimal(str(quantity)))
    ancestors = frozenset({item.pk})
    for index, line in reversed(list(enumerate(graph.children.get(item.pk, []), 1))):
        stack.append((1, str(index), line, top, ancestors))
    while stack:
        level, path, line, parent_extended, above = stack.pop()
        component = graph.items[line["component_id"]]
        extended = _line_extended(graph, line, parent_extended)
        cycle = component["id"] in above
        has_bom = graph.has_bom(component["id"])
        rows.append(
            ExplosionRow(
                level=level,
                path=path,
                line_id=line["id"],
                position=line["position"],
                component_id=component["id"],
                number=component["number"],
                name=component["name"],
                quantity=line["quantity"],
                unit=graph.units[line["unit_id"]]["code"],
                scrap_factor=line["scrap_factor"],
                is_phantom=line["is_phantom"],
                has_bom=has_bom,
                extended=extended,
                stock_unit=graph.units[component["stock_unit_id"]]["code"],
                requirement=not (line["is_phantom"] and has_bom),
                cycle=cycle,
            )
        )
        if has_bom and not cycle:
            below = above | {component["id"]}
            for index, child in reversed(list(enumerate(graph.children[component["id"]], 1))):
                stack.append((level + 1, f"{path}.{index}", child, extended, below))
    return rows


def explode_version(
    version: BomVersion, *, quantity: Decimal | int | str = 1, on: date | None = None
) -> list[ExplosionRow]:
    """Explosion of `version` itself (whatever its status), released BOMs below it."""
    graph = load_graph([version.item_id], on=on, top=version)
    return explode(version.item, quantity=quantity, on=on, graph=graph)


def requirements(item: Item, *, quantity: Decimal | int | str = 1, on: date | None = None) -> dict[int, Fraction]:
    """Total extended quantity per component that is actually issued (phantoms left out)."""
    totals: dict[int, Fraction] = defaultdict(Fraction)
    for row in explode(item, quantity=quantity, on=on):
        if row.requirement:
            totals[row.component_id] += row.extended
    return dict(totals)


# --- Costed roll-up ------------------------------------------------------------------------------


@dataclass
class Rollup:
    item_id: int
    quantity: Fraction
    total: Fraction
    per_level: dict[int, Fraction]
    rows: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        unit_cost = self.total / self.quantity if self.quantity else Fraction(0)
        return {
            "item": self.item_id,
            "quantity": str(to_decimal(self.quantity)),
            "total_cost": str(money(self.total)),
            "unit_cost": str(money(unit_cost)),
            "per_level": [{"level": lvl, "cost": str(money(c))} for lvl, c in sorted(self.per_level.items())],
            "rows": self.rows,
        }


def rollup_version(version: BomVersion, *, quantity: Decimal | int | str = 1, on: date | None = None) -> Rollup:
    """Costed roll-up of `version` itself (whatever its status), released BOMs below it."""
    return rollup(version.item, quantity=quantity, on=on, graph=load_graph([version.item_id], on=on, top=version))


def rollup(
    item: Item, *, quantity: Decimal | int | str = 1, on: date | None = None, graph: BomGraph | None = None
) -> Rollup:
    """Standard cost of the leaves x their extended quantity, summed per level and in total.

    An item with an effective released BOM is costed from its components (its own standard
    cost is ignored); a leaf is costed at its standard cost. Each row carries the rolled-up
    cost of its subtree.
    """
    graph = graph or load_graph([item.pk], on=on)
    exploded = explode(item, quantity=quantity, on=on, graph=graph)
    per_level: dict[int, Fraction] = defaultdict(Fraction)
    leaf_cost: list[Fraction | None] = []
    for row in exploded:
        if row.has_bom and not row.cycle:
            leaf_cost.append(None)
        else:
            cost = Fraction(graph.items[row.component_id]["standard_cost"]) * row.extended
            leaf_cost.append(cost)
            per_level[row.level] += cost
    # Rows come depth first: the parent of a row is the last row one level up before it.
    # Walking backwards, each row hands its subtree's cost to its parent: one addition a row.
    parent_of: list[int] = []
    chain: list[int] = []
    for index, row in enumerate(exploded):
        del chain[row.level - 1 :]
        parent_of.append(chain[-1] if chain else -1)
        chain.append(index)
    subtree = [cost or Fraction(0) for cost in leaf_cost]
    total = Fraction(0)
    for index in range(len(exploded) - 1, -1, -1):
        parent = parent_of[index]
        if parent < 0:
            total += subtree[index]
        else:
            subtree[parent] += subtree[index]
    rows = [
        {
            **row.as_dict(),
            "standard_cost": str(graph.items[row.component_id]["standard_cost"]),
            "costed_from": "components" if leaf_cost[i] is None else "standard cost",
            "cost": str(money(subtree[i])),
        }
        for i, row in enumerate(exploded)
    ]
    if not exploded:
        total = Fraction(graph.items[item.pk]["standard_cost"]) * Fraction(Decimal(str(quantity)))
    return Rollup(item.pk, Fraction(Decimal(str(quantity))), total, dict(per_level), rows)


# --- Where used ----------------------------------------------------------------------------------


def where_used(item: Item, *, all_levels: bool = False) -> list[dict[str, Any]]:
    """The BOMs that use `item`.

    Single level: every version (any status) with a line of `item`. All levels: upwards
    through released versions only, as far as it goes, one query per level.
    """
    if not all_levels:
        lines = (
            BomLine.objects.filter(component=item)
            .select_related("version__item", "unit")
            .order_by("version__item__number", "-version__version", "position")
        )
        return [
            {
                "level": 1,
                "item": line.version.item_id,
                "number": line.version.item.number,
                "name": line.version.item.name,
                "version": line.version_id,
                "version_number": line.version.version,
                "status": line.version.status,
                "via": item.number,
                "quantity": str(line.quantity),
                "unit": line.unit.code,
            }
            for line in lines
        ]
    rows: list[dict[str, Any]] = []
    frontier = {item.pk}
    seen = {item.pk}
    numbers = {item.pk: item.number}
    level = 0
    while frontier:
        level += 1
        found = list(
            BomLine.objects.filter(component_id__in=frontier, version__status=RELEASED)
            .order_by("version__item__number", "position")
            .values(
                "component_id",
                "quantity",
                "unit__code",
                "version_id",
                "version__version",
                "version__status",
                "version__item_id",
                "version__item__number",
                "version__item__name",
            )
        )
        next_frontier: set[int] = set()
        for row in found:
            parent = row["version__item_id"]
            numbers[parent] = row["version__item__number"]
            rows.append(
                {
                    "level": level,
                    "item": parent,
                    "number": row["version__item__number"],
                    "name": row["version__item__name"],
                    "version": row["version_id"],
                    "version_number": row["version__version"],
                    "status": row["version__status"],
                    "via": numbers[row["component_id"]],
                    "quantity": str(row["quantity"]),
                    "unit": row["unit__code"],
                }
            )
            if parent not in seen:
                seen.add(parent)
                next_frontier.add(parent)
        frontier = next_frontier
    return rows


# --- Diff ----------------------------------------------------------------------------------------

DIFF_FIELDS = (
    "position",
    "quantity",
    "unit",
    "scrap_factor",
    "is_phantom",
    "effective_from",
    "effective_to",
    "reference_designators",
    "notes",
)


def _line_view(line: BomLine) -> dict[str, Any]:
    return {
        "line": line.pk,
        "component": line.component_id,
        "number": line.component.number,
        "name": line.component.name,
        "position": line.position,
        "quantity": str(line.quantity),
        "unit": line.unit.code,
        "scrap_factor": str(line.scrap_factor),
        "is_phantom": line.is_phantom,
        "effective_from": line.effective_from.isoformat() if line.effective_from else None,
        "effective_to": line.effective_to.isoformat() if line.effective_to else None,
        "reference_designators": line.reference_designators,
        "notes": line.notes,
    }


def diff(old: BomVersion, new: BomVersion) -> dict[str, Any]:
    """Lines added, removed and changed from `old` to `new`, matched by component.

    A component that appears on several lines is paired in position order.
    """

    def by_component(version: BomVersion) -> dict[int, list[dict[str, Any]]]:
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in BomLine.objects.filter(version=version).select_related("component", "unit"):
            grouped[line.component_id].append(_line_view(line))
        return grouped

    before, after = by_component(old), by_component(new)
    added: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged = 0
    for component in sorted(set(before) | set(after)):
        olds, news = before.get(component, []), after.get(component, [])
        for o, n in zip(olds, news, strict=False):
            changes = {f: [o[f], n[f]] for f in DIFF_FIELDS if o[f] != n[f]}
            if changes:
                changed.append({"component": component, "number": n["number"], "old": o, "new": n, "changes": changes})
            else:
                unchanged += 1
        removed.extend(olds[len(news) :])
        added.extend(news[len(olds) :])
    return {
        "old": {"id": old.pk, "version": old.version, "status": old.status},
        "new": {"id": new.pk, "version": new.version, "status": new.status},
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": unchanged,
    }
