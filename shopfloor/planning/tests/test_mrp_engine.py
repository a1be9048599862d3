"""The MRP calculation on its own (no database): lot sizes, low-level codes, calendars."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from shopfloor.planning import mrp_engine as engine

D = Decimal
MONDAY = date(2027, 1, 4)


def _item(**fields) -> engine.ItemPlan:
    return engine.ItemPlan(id=1, number="X", make=True, lead_days=0, **fields)


@pytest.mark.parametrize(
    ("fields", "need", "later", "expected"),
    [
        ({}, D(7), D(0), [D(7)]),
        ({"lot_rule": "fixed", "fixed_lot": D(10)}, D(25), D(0), [D(10), D(10), D(10)]),
        ({"lot_rule": "fixed"}, D(25), D(0), [D(25)]),  # no size set: lot for lot
        ({"lot_rule": "min_max", "minimum_lot": D(12), "lot_multiple": D(5)}, D(3), D(0), [D(15)]),
        (
            {"lot_rule": "min_max", "minimum_lot": D(12), "maximum_lot": D(30), "lot_multiple": D(4)},
            D(70),
            D(0),
            [D(28), D(28), D(16)],
        ),
        ({"lot_rule": "period", "period_days": 14}, D(5), D(20), [D(25)]),
    ],
)
def test_lot_sizes(fields, need, later, expected):
    assert engine.lot_sizes(_item(**fields), need, later) == expected


def test_low_level_code_is_the_deepest_level():
    edge = lambda c: engine.BomEdge.of(c, D(1), False)  # noqa: E731
    bom = {1: [edge(2), edge(3)], 2: [edge(3)], 3: [edge(4)]}
    assert engine.low_level_codes([1, 2, 3, 4], bom, {}) == {1: 0, 2: 1, 3: 2, 4: 3}


def test_cycle_is_named_from_its_lowest_number():
    edge = lambda c: engine.BomEdge.of(c, D(1), False)  # noqa: E731
    bom = {1: [edge(2)], 2: [edge(3)], 3: [edge(4)], 4: [edge(2)]}
    numbers = {1: "TOP", 2: "B-2", 3: "C-3", 4: "A-4"}
    with pytest.raises(engine.MrpError, match=r"^BOM cycle: A-4 -> B-2 -> C-3 -> A-4$"):
        engine.low_level_codes([1, 2, 3, 4], bom, numbers)


def test_working_days_skip_weekends_holidays_and_use_extra_shifts():
    calendar = engine.Calendar(
        "Plant", frozenset(range(5)), closed=frozenset({date(2027, 1, 13)}), extra=frozenset({date(2027, 1, 9)})
    )
    friday = date(2027, 1, 15)
    assert calendar.minus_working_days(friday, 0) == friday
    assert calendar.minus_working_days(friday, 2) == date(2027, 1, 12)  # Thursday, then Tuesday (13th closed)
    assert calendar.minus_working_days(date(2027, 1, 11), 1) == date(2027, 1, 9)  # the extra Saturday


def test_calendar_without_working_day_is_an_error():
    with pytest.raises(engine.MrpError, match="Calendar Idle has no working day"):
        engine.Calendar("Idle", frozenset()).check()


def test_whole_multipliers_need_no_rounding_and_fractions_round_up():
    assert engine.BomEdge.of(1, D("2.000000"), False) == engine.BomEdge(1, D(2), False, True)
    data = engine.MrpInput(
        plan_date=MONDAY,
        horizon_end=MONDAY + timedelta(days=30),
        items={
            1: engine.ItemPlan(1, "TOP", True, 0),
            2: engine.ItemPlan(2, "PART", False, 0),
        },
        bom={1: [engine.BomEdge.of(2, D(1) / D("0.97"), False)]},
        on_hand={},
        demands=[engine.Demand(1, MONDAY + timedelta(days=3), D(10), engine.SALES_ORDER, ref=1)],
        forecasts=[],
        receipts=[],
        calendar=engine.Calendar("Plant", frozenset(range(5))),
    )
    plan = engine.plan(data)
    part = [o for o in plan.orders if o.item_id == 2]
    assert [o.quantity for o in part] == [D("10.309279")]  # 10 / 0.97 = 10.3092783..., rounded up
