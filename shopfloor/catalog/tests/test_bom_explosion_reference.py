"""The fast explosion and roll-up (tuples, one query per level, collector paused) against a
straightforward reference on random trees: one ORM query per item, exact Fractions, recursion.

The fast path rounds to 40 significant digits between steps; the reference is exact. Both are
compared as the API and the pages show them (quantities to 6 decimals, money to its decimals),
row by row: every extended quantity, every rolled-up cost, the total and the cost per level.
"""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest

from shopfloor.catalog import selectors, services
from shopfloor.catalog.models import BomLine, Item, ItemUnitConversion, Unit
from shopfloor.catalog.tests.factories import BomLineFactory, BomVersionFactory, ItemFactory

# A stock unit and the units its lines may be written in (same category, exact factors).
LINE_UNITS = {"ea": ["ea", "pr", "dz"], "m": ["m", "mm", "cm", "in", "ft"], "kg": ["kg", "g", "lb"]}
QUANTITIES = ["1", "2", "3", "0.5", "3.333333", "250", "0.125", "7"]
SCRAP = ["0", "0", "0.02", "0.05", "0.1", "0.333"]
COSTS = ["0", "1.25", "10", "0.3333", "99.99", "7"]


def random_tree(org, units: dict[str, Unit], seed: int) -> Item:
    """A random released BOM graph of 30 items below TOP: shared sub-assemblies (a DAG), phantoms,
    scrap, lines in other units of the stock unit's category and item-specific conversions (an
    'ea' part used by the kg)."""
    rnd = random.Random(seed)
    items = [
        ItemFactory(
            organization=org,
            number="TOP" if n == 0 else f"R{seed}-{n:02d}",
            stock_unit=units[rnd.choice(list(LINE_UNITS))],
            standard_cost=Decimal(rnd.choice(COSTS)),
            status="active",
        )
        for n in range(30)
    ]
    by_weight = {}
    for item in items[1:]:
        if item.stock_unit.code == "ea" and rnd.random() < 0.3:
            ItemUnitConversion.objects.create(
                organization=org, item=item, unit=units["kg"], factor_numerator=rnd.randint(1, 40), factor_denominator=7
            )
            by_weight[item.pk] = True
    for index, parent in enumerate(items[:20]):
        if index > 5 and rnd.random() < 0.3:
            continue  # a bought part: no BOM
        version = BomVersionFactory(organization=org, item=parent, version=1, status="released")
        for position in range(rnd.randint(3 if index == 0 else 1, 4)):
            # Only items further down the list: no cycle. The top uses the first few (assemblies).
            component = items[rnd.randint(index + 1, 6 if index == 0 else len(items) - 1)]
            stock = component.stock_unit.code
            unit = "kg" if component.pk in by_weight and rnd.random() < 0.5 else rnd.choice(LINE_UNITS[stock])
            BomLineFactory(
                organization=org,
                version=version,
                position=10 * (position + 1),
                component=component,
                unit=units[unit],
                quantity=Decimal(rnd.choice(QUANTITIES)),
                scrap_factor=Decimal(rnd.choice(SCRAP)),
                is_phantom=rnd.random() < 0.15,
            )
    return items[0]


def reference(item: Item, quantity: Fraction) -> tuple[list[tuple], Fraction, dict[int, Fraction]]:
    """Rows (level, path, number, unit, has_bom, requirement, extended, cost) depth first, the
    total cost and the leaves' cost per level, exactly, the plain way."""
    rows: list[tuple] = []
    per_level: dict[int, Fraction] = defaultdict(Fraction)

    def lines_of(parent: Item) -> list[BomLine]:
        return list(
            BomLine.objects.filter(version__item=parent, version__status="released")
            .select_related("component__stock_unit", "unit")
            .order_by("position", "id")
        )

    def walk(parent: Item, extended: Fraction, level: int, prefix: str) -> Fraction:
        total = Fraction(0)
        for index, line in enumerate(lines_of(parent), 1):
            component = line.component
            factor = services.conversion_factor(line.unit, component.stock_unit, component)
            mine = Fraction(line.quantity) / (1 - Fraction(line.scrap_factor)) * factor * extended
            below = lines_of(component)
            at = len(rows)
            rows.append(None)
            if below:
                cost = walk(component, mine, level + 1, f"{prefix}{index}.")
            else:
                cost = Fraction(component.standard_cost) * mine
                per_level[level] += cost
            requirement = not (line.is_phantom and bool(below))
            rows[at] = (
                level,
                f"{prefix}{index}",
                component.number,
                line.unit.code,
                bool(below),
                requirement,
                mine,
                cost,
            )
            total += cost
        return total

    total = walk(item, quantity, 1, "")
    return rows, total, dict(per_level)


@pytest.mark.parametrize("seed", range(5))
def test_fast_explosion_and_rollup_equal_an_exact_reference_on_a_random_tree(tenant, org, admin_user, seed):
    services.install_standard_units(org, admin_user)
    units = {u.code: u for u in Unit.objects.all()}
    top = random_tree(org, units, seed)
    quantity = ["1", "3", "0.75", "12"][seed % 4]

    expected, total, per_level = reference(top, Fraction(quantity))
    rolled = selectors.rollup(top, quantity=quantity)
    exploded = selectors.explode(top, quantity=quantity)

    assert len(expected) > 5
    assert [r.as_dict() for r in exploded] == [r.as_dict() for r in rolled.exploded]
    assert [
        (r.level, r.path, r.number, r.unit, r.has_bom, r.requirement, r.extended_quantity, selectors.money(c))
        for r, c in zip(rolled.exploded, rolled.costs, strict=True)
    ] == [
        (level, path, number, unit, has_bom, req, selectors.to_decimal(ext), selectors.money(cost))
        for level, path, number, unit, has_bom, req, ext, cost in expected
    ]
    assert selectors.money(rolled.total) == selectors.money(total)
    assert {level: selectors.money(c) for level, c in rolled.per_level.items()} == {
        level: selectors.money(c) for level, c in per_level.items()
    }
    requirements = defaultdict(Fraction)
    numbers = dict(Item.objects.values_list("number", "id"))
    for _, _, number, _, _, requirement, ext, _ in expected:
        if requirement:
            requirements[numbers[number]] += ext
    assert selectors.requirements(top, quantity=quantity) == {
        pk: selectors.to_decimal(q) for pk, q in requirements.items()
    }
