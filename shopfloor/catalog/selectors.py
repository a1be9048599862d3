"""Read queries of the catalog: bills of materials exploded, costed, traced upwards and compared.

Everything here loads rows with a few set-based queries (a recursive CTE finds every item
below the top) and walks the tree in memory, never a query per line. Arithmetic is Decimal
at 40 significant digits (see CONTEXT), rounded to QUANTITY/MONEY decimals only when handed
out.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, localcontext
from fractions import Fraction
from operator import itemgetter
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

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
)
_ITEM_FIELDS = ("id", "number", "name", "stock_unit_id", "standard_cost")
_BY_PARENT_IN_ORDER = itemgetter(1, 2, 0)  # parent item, position, line id


def to_decimal(value: Decimal | Fraction, quantum: Decimal = _QUANTUM) -> Decimal:
    """A quantity rounded to the decimals the platform stores (half-even on the last one)."""
    if isinstance(value, Fraction):
        with localcontext(CONTEXT):
            value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(quantum, context=CONTEXT)


def money(value: Decimal | Fraction) -> Decimal:
    return to_decimal(value, _MONEY_QUANTUM)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a big BOM is loaded and walked.

    An explosion allocates a tuple per line and per row (100,000 on a 50,000-line tree), none of
    which can form a reference cycle; each 700 allocations wakes the collector, and the older
    generations' passes re-scan every object the process holds. Paused, the walk of 50,000 lines
    took 0.18 s of CPU instead of 0.32 s (bench/bom_explosion.py); the collector catches up
    afterwards. A no-op when already paused (a
    nested call, or another thread of the same worker).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
    """A released BOM line as the walk needs it, its component's columns carried alongside so the
    walk looks nothing up. `multiplier` is stock units of the component per stock unit of the
    parent, unit conversion and scrap included. The first ten fields are, in order, the first ten
    of ExplosionRow: the walk makes a row from a slice of the line and a few per-path values."""

    id: int
    position: int
    component_id: int
    number: str
    name: str
    quantity: Decimal
    unit: str  # code of the line's unit
    scrap_factor: Decimal
    is_phantom: bool
    stock_unit: str  # code of the component's stock unit
    multiplier: Decimal


_STATIC = 10  # GraphLine[:_STATIC] == the line's columns of an ExplosionRow


@dataclass
class BomGraph:
    """Released BOM lines below some items, and the standard cost of every item met."""

    on: date | None
    children: dict[int, list[GraphLine]] = field(default_factory=dict)  # parent item -> lines
    costs: dict[int, Decimal] = field(default_factory=dict)  # item -> standard cost

    def has_bom(self, item_id: int) -> bool:
        return bool(self.children.get(item_id))


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


def _id_list(ids: list[int]) -> RawSQL | list[int]:
    """`ids` as ONE bound parameter (a JSON array on SQLite, an array on PostgreSQL): a level of
    thousands of parents stays a short statement the database parses once and no driver limit
    on the number of parameters is met."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [_pg_array(ids)])
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])
    return ids


def _pg_array(ids: Iterable[int]) -> str:
    """An array literal of ids: Django's psycopg cursor binds on the client, and formatting a
    long list of ints there costs about twice as much CPU as this one join."""
    return "{" + ",".join(map(str, ids)) + "}"


def _line_columns() -> tuple[Any, ...]:
    """_LINE_COLUMNS, numbers as text on PostgreSQL: the walk keys its shapes by quantity and
    scrap factor, and a Decimal hashes several times slower than a short string (on a 50,000-line
    tree the dict lookups cost more than the queries); text skips the driver's Decimal too."""
    if connection.vendor != "postgresql":
        return _LINE_COLUMNS
    return tuple(Cast(name, TextField()) if name in {"quantity", "scrap_factor"} else name for name in _LINE_COLUMNS)


def _fetch(queryset: QuerySet[Any], columns: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of `queryset` as the driver returns them: Django's per-value converters cost more
    than the whole walk on 50,000 lines, and load_graph converts the few columns it needs.
    Line effectivity is filtered in SQL, so no date column comes back. Unordered: sorting the
    lines in Python costs less than the database's sort, which spills to disk on a big level."""
    sql, params = queryset.order_by().values_list(*columns).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _item_rows(ids: set[int]) -> list[tuple[Any, ...]]:
    """(id, number, name, stock unit id, standard cost) of the organization's items among `ids`.

    Raw because of the plan: PostgreSQL reads `id IN (SELECT unnest(array))` as 200 rows and
    probes the primary key once per id (0.4 s for 50,000 items); `id = ANY(array)` is
    estimated from the array and filters one scan through a hash of it (tens of ms).
    """
    org = tenancy.require_organization().pk
    table = Item._meta.db_table
    columns = ", ".join(f'"{Item._meta.get_field(name).column}"' for name in _ITEM_FIELDS)
    if connection.vendor == "postgresql":
        columns += "::text"  # the standard cost, hashed as a key of the price cache (see _line_columns)
        condition, bound = "= ANY(%s::bigint[])", _pg_array(ids)
    else:
        condition, bound = "IN (SELECT value FROM json_each(%s))", json.dumps(list(ids))
    # Only names from the model are formatted in; values are parameters.
    sql = f'SELECT {columns} FROM "{table}" WHERE "organization_id" = %s AND "id" {condition}'  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [org, bound])
        return cursor.fetchall()


def _number(value: Any) -> Decimal:
    """A raw database number as Decimal: PostgreSQL hands NUMERIC back as Decimal (or text where
    cast); SQLite as int or float (a six-decimal value round-trips exactly through its shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):  # PostgreSQL's text of a NUMERIC: exact, its scale kept as a Decimal's would be
        return Decimal(value)
    return Decimal(str(value)).quantize(_QUANTUM, context=CONTEXT)


@_collector_paused()
def load_graph(root_ids: Iterable[int], *, on: date | None = None, top: BomVersion | None = None) -> BomGraph:
    """Every released line reachable from `root_ids`, with its component, one query per level.

    Walking level by level from Python, each level's parents bound as one array, reads every
    line once; a recursive CTE makes the database walk the tree and then join it back, twice
    the work. Items already seen are not walked again, so a shared sub-assembly is read once
    and a cycle ends. With `top`, the root item's lines come from that version (a draft being
    reviewed, or an obsolete one) and released versions are used below it.
    """
    graph = BomGraph(on=on)
    with localcontext(CONTEXT):
        units = {
            pk: (code, category, Decimal(num) / Decimal(den))
            for pk, code, category, num, den in Unit.objects.values_list(
                "id", "code", "category_id", "factor_numerator", "factor_denominator"
            )
        }
    seen = set(root_ids)
    costs = graph.costs
    effective = Q()
    if on is not None:
        effective = (Q(effective_from__isnull=True) | Q(effective_from__lte=on)) & (
            Q(effective_to__isnull=True) | Q(effective_to__gte=on)
        )
    lines: list[tuple[Any, ...]] = []
    frontier = set(seen)
    if top is not None:
        lines = _fetch(BomLine.objects.filter(effective, version=top), _line_columns())
        seen.add(top.item_id)  # its released lines, if any, are not the ones asked for
        frontier = {row[3] for row in lines} - seen
        seen |= frontier
    while frontier:
        level = _fetch(
            BomLine.objects.filter(effective, _released_on(on), version__item_id__in=_id_list(sorted(frontier))),
            _line_columns(),
        )
        lines += level
        frontier = {row[3] for row in level} - seen
        seen |= frontier
    # The columns of every item met, in one query after the walk: joined into each level's
    # query instead, the item table was scanned and hashed once per level.
    items = {row[0]: row for row in _item_rows(seen)}
    prices: dict[Any, Decimal] = {}
    for pk, _, _, _, cost in items.values():
        price = prices.get(cost)
        if price is None:
            price = prices[cost] = _number(cost)
        costs[pk] = price
    lines.sort(key=_BY_PARENT_IN_ORDER)  # each parent's lines together, in order

    # Distinct (quantity, scrap, unit, stock unit, phantom) shapes and costs are few: each is
    # converted once and every line of that shape shares the result.
    shapes: dict[tuple[Any, ...], tuple[Decimal, str, Decimal, bool, str, Decimal]] = {}
    pending: list[tuple[list[GraphLine], int, int, int, int, str]] = []  # lines needing a conversion
    children = graph.children
    one, zero = Decimal(1), Decimal(0)
    new_line = tuple.__new__  # GraphLine(...) would run a Python-level __new__ for every line
    siblings: list[GraphLine] = []
    add = siblings.append
    last_parent = None
    with localcontext(CONTEXT):
        for line_id, parent, position, component, quantity, unit_id, scrap, phantom in lines:
            _, number, name, stock_id, _ = items[component]
            key = (quantity, scrap, unit_id, stock_id, phantom)
            shape = shapes.get(key)
            if shape is None:
                q, s = _number(quantity), _number(scrap)
                shape = shapes[key] = (
                    q,
                    units[unit_id][0],
                    s,
                    bool(phantom),
                    units[stock_id][0],
                    q if s == zero else q / (one - s),
                )
            if parent != last_parent:  # rows come grouped by parent: each parent is read once
                siblings = children[parent] = []
                add = siblings.append
                last_parent = parent
            if unit_id != stock_id:
                pending.append((siblings, len(siblings), component, unit_id, stock_id, number))
            # Tuple concatenation, not (..., *shape): a starred display builds a list first.
            add(new_line(GraphLine, (line_id, position, component, number, name) + shape))
        if pending:
            special = _item_conversions(pending)
            for siblings, index, component, unit_id, stock_id, number in pending:
                factor = special.get((component, unit_id))
                if factor is None:
                    (code, category, unit_factor), (stock_code, stock_category, stock_factor) = (
                        units[unit_id],
                        units[stock_id],
                    )
                    if category != stock_category:
                        raise ValidationError({"unit": [f"{number} has no conversion from {code} to {stock_code}."]})
                    factor = unit_factor / stock_factor
                line = siblings[index]
                siblings[index] = new_line(GraphLine, line[:_STATIC] + (line[_STATIC] * factor,))
    return graph


def _item_conversions(pending: list[tuple[Any, ...]]) -> dict[tuple[int, int], Decimal]:
    """Item-specific factors (stock units in one unit) for the lines used in another unit than
    their component's stock unit, exactly (as services.convert with item=)."""
    components = {entry[2] for entry in pending}
    conversions = ItemUnitConversion.objects.filter(unit_id__in={entry[3] for entry in pending})
    # Filtering by the few units used avoids a huge IN list when many components qualify.
    if len(components) <= 1000:
        conversions = conversions.filter(item_id__in=components)
    return {
        (item_id, unit_id): Decimal(num) / Decimal(den)
        for item_id, unit_id, num, den in conversions.values_list(
            "item_id", "unit_id", "factor_numerator", "factor_denominator"
        )
    }


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


class ExplosionRow(NamedTuple):
    """One line of an indented explosion; `extended` is in the component's stock unit.

    A tuple (not a dataclass) because an explosion makes tens of thousands of them: the walk
    builds each from a slice of its GraphLine plus the per-path values, in C."""

    line_id: int
    position: int
    component_id: int
    number: str
    name: str
    quantity: Decimal
    unit: str
    scrap_factor: Decimal
    is_phantom: bool
    stock_unit: str
    has_bom: bool
    requirement: bool  # False for phantoms: built and consumed at once, never issued
    level: int
    path: str
    extended: Decimal
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


@_collector_paused()
def _walk(
    item_id: int, top: Decimal, graph: BomGraph, costed: bool = False
) -> tuple[list[ExplosionRow], list[int], list[Decimal], dict[int, Decimal]]:
    """Depth-first rows below `item_id` for `top` stock units, each row's parent row index and,
    when `costed`, each row's own cost (standard cost x extended for a leaf, 0 for a row costed
    from its components, filled in by rollup) and the leaves' cost per level, in one pass.

    Iterative (deep trees never hit the recursion limit): the stack holds one frame per open
    sub-assembly, its children's iterator resumed where it stopped, so a leaf (most rows) costs
    one multiplication, one tuple and two appends, and nothing is pushed for it.
    """
    rows: list[ExplosionRow] = []
    parents: list[int] = []
    costs: list[Decimal] = []
    per_level: dict[int, Decimal] = defaultdict(Decimal)
    children, standard = graph.children, graph.costs
    below_of = children.get
    add_row, add_parent, add_cost = rows.append, parents.append, costs.append
    new_row, row_type = tuple.__new__, ExplosionRow
    zero, m = Decimal(0), _STATIC
    first = children.get(item_id)
    if not first:
        return rows, parents, costs, per_level
    with localcontext(CONTEXT):
        stack: list[tuple[Iterator[tuple[int, GraphLine]], int, str, Decimal, frozenset[int], int]] = [
            (enumerate(first, 1), 1, "", top, frozenset({item_id}), -1)
        ]
        push, pop = stack.append, stack.pop
        while stack:
            lines, level, prefix, parent_extended, above, parent = stack[-1]
            for index, line in lines:
                extended = line[m] * parent_extended
                component = line[2]
                below = below_of(component)
                if below is None:  # a leaf
                    add_row(new_row(row_type, line[:m] + (False, True, level, f"{prefix}{index}", extended, False)))
                    add_parent(parent)
                    if costed:
                        cost = standard[component] * extended
                        add_cost(cost)
                        per_level[level] += cost
                    continue
                path, cycle = f"{prefix}{index}", component in above
                me = len(rows)
                add_row(new_row(row_type, line[:m] + (True, not line[8], level, path, extended, cycle)))
                add_parent(parent)
                if cycle:  # shown, costed at its standard cost, not walked again
                    if costed:
                        cost = standard[component] * extended
                        add_cost(cost)
                        per_level[level] += cost
                    continue
                if costed:
                    add_cost(zero)
                push((enumerate(below, 1), level + 1, f"{path}.", extended, above | {component}, me))
                break
            else:
                pop()
    return rows, parents, costs, per_level


@_collector_paused()
def explode(
    item: Item, *, quantity: Decimal | int | str = 1, on: date | None = None, graph: BomGraph | None = None
) -> list[ExplosionRow]:
    """The released BOM of `item` for `quantity` stock units, all levels, depth first.

    Extended quantity = quantity per (in the component's stock unit) x parent's extended
    quantity / (1 - scrap). Phantoms are exploded through: their children carry on with the
    phantom's extended quantity, and the phantom's own line is not a requirement.
    """
    graph = graph or load_graph([item.pk], on=on)
    return _walk(item.pk, _quantity(quantity), graph)[0]


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


@_collector_paused()
def rollup(
    item: Item, *, quantity: Decimal | int | str = 1, on: date | None = None, graph: BomGraph | None = None
) -> Rollup:
    """Standard cost of the leaves x their extended quantity, summed per level and in total.

    An item with an effective released BOM is costed from its components (its own standard
    cost is ignored); a leaf is costed at its standard cost. Each row carries the rolled-up
    cost of its subtree.
    """
    graph = graph or load_graph([item.pk], on=on)
    top = _quantity(quantity)
    exploded, parents, costs, per_level = _walk(item.pk, top, graph, costed=True)
    with localcontext(CONTEXT):
        # Rows come depth first, so walking backwards each row's subtree is complete when it
        # hands its cost to its parent: one addition a row.
        # (reversed() reads each cost when reached, after its subtree has added to it.)
        total = Decimal(0)
        for parent, cost in zip(reversed(parents), reversed(costs), strict=True):
            if parent < 0:
                total += cost
            else:
                costs[parent] += cost
        if not exploded:
            total = graph.costs[item.pk] * top
    from_components = [row[10] and not row[15] for row in exploded]  # has_bom and not cycle
    return Rollup(item.pk, top, total, dict(per_level), exploded, costs, from_components, dict(graph.costs))


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
