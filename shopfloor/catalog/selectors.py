"""Read queries of the catalog: bills of materials exploded, costed, traced upwards and compared.

Everything here loads rows with a few set-based queries (a recursive CTE finds every item
below the top) and walks the tree in memory, never a query per line. Arithmetic is Decimal
at 40 significant digits (see CONTEXT), rounded to QUANTITY/MONEY decimals only when handed
out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, localcontext
from fractions import Fraction
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from shopfloor.core import tenancy

from .models import MONEY, QUANTITY, BomLine, BomVersion, Item, ItemUnitConversion, Unit

RELEASED = "released"
# Extended quantities multiply up to a dozen factors: 40 significant digits keep every
# terminating product exact (unit factors such as 127/5000 are) and put the rounding of
# non-terminating ones (1 / (1 - 0.02), 1/60 h) some 25 digits below the sixth decimal.
CONTEXT = Context(prec=40)
_QUANTUM = Decimal(1).scaleb(-QUANTITY["decimal_places"])
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY["decimal_places"])
_LINE_COLUMNS = (
    "id",
    "version__item_id",
    "position",
    "component_id",
    "quantity",
    "unit_id",
    "scrap_factor",
    "is_phantom",
    "component__number",
    "component__name",
    "component__stock_unit_id",
    "component__standard_cost",
)
_ITEM_FIELDS = ("id", "number", "name", "stock_unit_id", "standard_cost")


def to_decimal(value: Decimal | Fraction, quantum: Decimal = _QUANTUM) -> Decimal:
    """A quantity rounded to the decimals the platform stores (half-even on the last one)."""
    if isinstance(value, Fraction):
        with localcontext(CONTEXT):
            value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(quantum, context=CONTEXT)


def money(value: Decimal | Fraction) -> Decimal:
    return to_decimal(value, _MONEY_QUANTUM)


# --- Plain lists for the API and pages -----------------------------------------------------------


def bom_versions() -> QuerySet[BomVersion]:
    return BomVersion.objects.select_related("item", "item__stock_unit")


def bom_lines() -> QuerySet[BomLine]:
    return BomLine.objects.select_related("version", "component", "component__stock_unit", "unit")


def released_version(item: Item | int) -> BomVersion | None:
    item_id = item if isinstance(item, int) else item.pk
    return BomVersion.objects.filter(item_id=item_id, status=RELEASED).first()


# --- In-memory BOM graph ------------------------------------------------------------------------


class GraphLine(NamedTuple):
    """A released BOM line as the walk needs it; `multiplier` is stock units of the component
    per stock unit of the parent, unit conversion and scrap included."""

    id: int
    position: int
    component_id: int
    quantity: Decimal
    unit_id: int
    scrap_factor: Decimal
    is_phantom: bool
    multiplier: Decimal


@dataclass
class BomGraph:
    """Released BOM lines below some items, with what is needed to convert and cost them."""

    on: date | None
    children: dict[int, list[GraphLine]] = field(default_factory=dict)  # parent item -> lines
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    units: dict[int, dict[str, Any]] = field(default_factory=dict)
    item_units: dict[tuple[int, int], Decimal] = field(default_factory=dict)

    def has_bom(self, item_id: int) -> bool:
        return bool(self.children.get(item_id))

    def factor(self, unit_id: int, item_id: int) -> Decimal:
        """Stock units of `item_id` in one `unit_id`, exactly (as services.convert with item=)."""
        item = self.items[item_id]
        stock_id = item["stock_unit_id"]
        if unit_id == stock_id:
            return Decimal(1)
        special = self.item_units.get((item_id, unit_id))
        if special is not None:
            return special
        unit, stock = self.units[unit_id], self.units[stock_id]
        if unit["category_id"] != stock["category_id"]:
            raise ValidationError(
                {"unit": [f"{item['number']} has no conversion from {unit['code']} to {stock['code']}."]}
            )
        return unit["factor"] / stock["factor"]


def _reachable_items_sql(roots: Iterable[int], on: date | None) -> RawSQL:
    """A subquery of every item at or below `roots` through released BOM versions (recursive CTE).

    One statement on SQLite and PostgreSQL alike; UNION (not UNION ALL) makes it stop on a
    cycle. Versions not effective on `on` are not followed.
    """
    roots = sorted(set(roots)) or [0]
    org = tenancy.require_organization().pk
    line, version = BomLine._meta.db_table, BomVersion._meta.db_table
    effective = ""
    params: list[Any] = [*roots, org, org, RELEASED]
    if on is not None:
        effective = (
            " AND (v.effective_from IS NULL OR v.effective_from <= %s)"
            " AND (v.effective_to IS NULL OR v.effective_to >= %s)"
        )
        params += [on, on]
    placeholders = ", ".join(["%s"] * len(roots))
    # Only table names (from the models) and placeholders are formatted in; values are parameters.
    return RawSQL(  # noqa: S611
        f"WITH RECURSIVE tree(item_id) AS ("  # noqa: S608
        f" SELECT i.id FROM {Item._meta.db_table} i WHERE i.id IN ({placeholders}) AND i.organization_id = %s"
        f" UNION"
        f" SELECT l.component_id FROM {line} l"
        f" JOIN {version} v ON v.id = l.version_id"
        f" JOIN tree t ON t.item_id = v.item_id"
        f" WHERE v.organization_id = %s AND v.status = %s{effective}"
        f") SELECT item_id FROM tree",
        params,
    )


def _released_on(on: date | None) -> Q:
    condition = Q(version__status=RELEASED)
    if on is not None:
        condition &= Q(version__effective_from__isnull=True) | Q(version__effective_from__lte=on)
        condition &= Q(version__effective_to__isnull=True) | Q(version__effective_to__gte=on)
    return condition


class _DecimalCache(dict):
    """Raw database numbers as Decimal, each distinct value converted once.

    SQLite hands NUMERIC columns back as int or float (a six-decimal value round-trips
    exactly through its shortest repr); PostgreSQL as Decimal already.
    """

    def __call__(self, value: Any) -> Decimal:
        if isinstance(value, Decimal):
            return value
        found = self.get(value)
        if found is None:
            found = self[value] = Decimal(str(value)).quantize(_QUANTUM, context=CONTEXT)
        return found


def _fetch(queryset: QuerySet[BomLine]) -> list[tuple[Any, ...]]:
    """Rows of `queryset` as the driver returns them: Django's per-value converters cost more
    than the whole walk on 50,000 lines, and load_graph converts the few columns it needs.
    Line effectivity is filtered in SQL, so no date column comes back."""
    sql, params = queryset.order_by().values_list(*_LINE_COLUMNS).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_graph(root_ids: Iterable[int], *, on: date | None = None, top: BomVersion | None = None) -> BomGraph:
    """Every released line reachable from `root_ids`, with its component, in four queries.

    With `top`, the root item's lines come from that version (a draft being reviewed, or an
    obsolete one) and released versions are used below it.
    """
    graph = BomGraph(on=on)
    with localcontext(CONTEXT):
        graph.units = {
            pk: {"id": pk, "code": code, "category_id": category, "factor": Decimal(num) / Decimal(den)}
            for pk, code, category, num, den in Unit.objects.values_list(
                "id", "code", "category_id", "factor_numerator", "factor_denominator"
            )
        }
    roots = set(root_ids)
    for row in Item.objects.filter(pk__in=roots).values(*_ITEM_FIELDS):
        graph.items[row["id"]] = row
    lines: list[tuple[Any, ...]] = []
    effective = Q()
    if on is not None:
        effective = (Q(effective_from__isnull=True) | Q(effective_from__lte=on)) & (
            Q(effective_to__isnull=True) | Q(effective_to__gte=on)
        )
    if top is not None:
        lines += _fetch(BomLine.objects.filter(effective, version=top))
        roots = {row[3] for row in lines}
    if roots:
        below = BomLine.objects.filter(
            effective, _released_on(on), version__item_id__in=_reachable_items_sql(roots, on)
        )
        if top is not None:
            below = below.exclude(version__item_id=top.item_id)
        lines += _fetch(below)
    lines.sort(key=lambda values: (values[2], values[0]))  # position, id
    decimal_of = _DecimalCache()
    components: set[int] = set()
    units_needed: set[int] = set()
    pending: list[tuple[list[GraphLine], int]] = []  # lines whose multiplier still needs a unit conversion
    items, children = graph.items, graph.children
    one, zero = Decimal(1), Decimal(0)
    with localcontext(CONTEXT):
        for values in lines:
            (line_id, parent, position, component, quantity, unit_id, scrap, phantom) = values[:8]
            number, name, stock_unit_id, cost = values[8:]
            if component not in items:
                items[component] = {
                    "id": component,
                    "number": number,
                    "name": name,
                    "stock_unit_id": stock_unit_id,
                    "standard_cost": decimal_of(cost),
                }
            quantity, scrap = decimal_of(quantity), decimal_of(scrap)
            multiplier = quantity if scrap == zero else quantity / (one - scrap)
            siblings = children.get(parent)
            if siblings is None:
                siblings = children[parent] = []
            if unit_id != stock_unit_id:
                pending.append((siblings, len(siblings)))
                components.add(component)
                units_needed.add(unit_id)
            siblings.append(
                GraphLine(line_id, position, component, quantity, unit_id, scrap, bool(phantom), multiplier)
            )
        if components:
            # Only items used in another unit than their stock unit can need their own
            # conversions; filtering by those few units avoids a second walk or a huge IN list.
            conversions = ItemUnitConversion.objects.filter(unit_id__in=units_needed)
            if len(components) <= 1000:
                conversions = conversions.filter(item_id__in=components)
            for item_id, unit_id, num, den in conversions.values_list(
                "item_id", "unit_id", "factor_numerator", "factor_denominator"
            ):
                graph.item_units[(item_id, unit_id)] = Decimal(num) / Decimal(den)
        for siblings, index in pending:
            line = siblings[index]
            factor = graph.factor(line.unit_id, line.component_id)
            siblings[index] = line._replace(multiplier=line.multiplier * factor)
    return graph


def released_descendants(item_ids: Iterable[int]) -> set[int]:
    """Every item below `item_ids` through released BOMs, at any depth and any date (one query)."""
    ids = set(item_ids)
    if not ids:
        return set()
    return set(
        BomLine.objects.filter(
            version__status=RELEASED, version__item_id__in=_reachable_items_sql(ids, None)
        ).values_list("component_id", flat=True)
    )


# --- Explosion -----------------------------------------------------------------------------------


@dataclass(slots=True)
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
    extended: Decimal
    stock_unit: str
    requirement: bool  # False for phantoms: built and consumed at once, never issued
    cycle: bool = False

    @property
    def extended_quantity(self) -> Decimal:
        return to_decimal(self.extended)

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


def _quantity(value: Decimal | int | str) -> Decimal:
    return Decimal(str(value))


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
    units, items, children = graph.units, graph.items, graph.children
    with localcontext(CONTEXT):
        # Iterative depth-first walk: deep trees never hit the recursion limit.
        stack: list[tuple[int, str, GraphLine, Decimal, frozenset[int]]] = []
        top = _quantity(quantity)
        ancestors = frozenset({item.pk})
        for index, line in reversed(list(enumerate(children.get(item.pk, []), 1))):
            stack.append((1, str(index), line, top, ancestors))
        while stack:
            level, path, line, parent_extended, above = stack.pop()
            component_id = line.component_id
            component = items[component_id]
            extended = line.multiplier * parent_extended
            cycle = component_id in above
            below_lines = children.get(component_id)
            has_bom = bool(below_lines)
            rows.append(
                ExplosionRow(
                    level,
                    path,
                    line.id,
                    line.position,
                    component_id,
                    component["number"],
                    component["name"],
                    line.quantity,
                    units[line.unit_id]["code"],
                    line.scrap_factor,
                    line.is_phantom,
                    has_bom,
                    extended,
                    units[component["stock_unit_id"]]["code"],
                    not (line.is_phantom and has_bom),
                    cycle,
                )
            )
            if below_lines and not cycle:
                below = above | {component_id}
                for index in range(len(below_lines), 0, -1):
                    stack.append((level + 1, f"{path}.{index}", below_lines[index - 1], extended, below))
    return rows


def explode_version(
    version: BomVersion, *, quantity: Decimal | int | str = 1, on: date | None = None
) -> list[ExplosionRow]:
    """Explosion of `version` itself (whatever its status), released BOMs below it."""
    graph = load_graph([version.item_id], on=on, top=version)
    return explode(version.item, quantity=quantity, on=on, graph=graph)


def requirements(item: Item, *, quantity: Decimal | int | str = 1, on: date | None = None) -> dict[int, Decimal]:
    """Total extended quantity per component that is actually issued (phantoms left out)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    with localcontext(CONTEXT):
        for row in explode(item, quantity=quantity, on=on):
            if row.requirement:
                totals[row.component_id] += row.extended
    return {component: to_decimal(total) for component, total in totals.items()}


# --- Costed roll-up ------------------------------------------------------------------------------


@dataclass
class Rollup:
    """A costed explosion: `costs[i]` is the rolled-up cost of `exploded[i]`'s subtree."""

    item_id: int
    quantity: Decimal
    total: Decimal
    per_level: dict[int, Decimal]
    exploded: list[ExplosionRow]
    costs: list[Decimal]
    from_components: list[bool]
    standard_costs: dict[int, Decimal]

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                **row.as_dict(),
                "standard_cost": str(self.standard_costs[row.component_id]),
                "costed_from": "components" if self.from_components[i] else "standard cost",
                "cost": str(money(self.costs[i])),
            }
            for i, row in enumerate(self.exploded)
        ]

    def as_dict(self) -> dict[str, Any]:
        with localcontext(CONTEXT):
            unit_cost = self.total / self.quantity if self.quantity else Decimal(0)
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
    items = graph.items
    zero = Decimal(0)
    with localcontext(CONTEXT):
        per_level: dict[int, Decimal] = defaultdict(Decimal)
        costs: list[Decimal] = []
        from_components: list[bool] = []
        # Rows come depth first: the parent of a row is the last row one level up before it.
        parent_of: list[int] = []
        chain: list[int] = []
        for index, row in enumerate(exploded):
            del chain[row.level - 1 :]
            parent_of.append(chain[-1] if chain else -1)
            chain.append(index)
            if row.has_bom and not row.cycle:
                costs.append(zero)
                from_components.append(True)
            else:
                cost = items[row.component_id]["standard_cost"] * row.extended
                costs.append(cost)
                from_components.append(False)
                per_level[row.level] += cost
        # Walking backwards, each row hands its subtree's cost to its parent: one addition a row.
        total = zero
        for index in range(len(exploded) - 1, -1, -1):
            parent = parent_of[index]
            if parent < 0:
                total += costs[index]
            else:
                costs[parent] += costs[index]
        if not exploded:
            total = items[item.pk]["standard_cost"] * _quantity(quantity)
    standard_costs = {pk: row["standard_cost"] for pk, row in items.items()}
    return Rollup(
        item.pk, _quantity(quantity), total, dict(per_level), exploded, costs, from_components, standard_costs
    )


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
