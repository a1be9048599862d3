"""ISO 2859-1:1999 Table 1 (code letters) and Table 2-A (single sampling, normal inspection).

Cells checked against the published tables (identical in ANSI/ASQ Z1.4-2008 Tables I and II-A).
"""

from decimal import Decimal

import pytest

from shopfloor.quality import sampling


@pytest.mark.parametrize(
    ("lot", "level", "letter"),
    [
        (1000, "II", "J"),
        (500, "II", "H"),
        (501, "II", "J"),
        (8, "II", "A"),
        (8, "III", "B"),
        (9, "I", "A"),
        (150, "III", "G"),
        (3200, "S-4", "G"),
        (10000, "I", "J"),
        (35001, "S-1", "D"),
        (500001, "III", "R"),
        (2, "S-1", "A"),
    ],
)
def test_table_1_code_letters(lot, level, letter):
    assert sampling.code_letter(lot, level) == letter


@pytest.mark.parametrize(
    ("lot", "level", "aql", "plan_letter", "n", "ac", "re"),
    [
        (1000, "II", "1.0", "J", 80, 2, 3),  # straight cell
        (1000, "II", "0.65", "J", 80, 1, 2),
        (1000, "II", "2.5", "J", 80, 5, 6),
        (1000, "II", "4.0", "J", 80, 7, 8),
        (500, "II", "0.65", "J", 80, 1, 2),  # H at 0.65 is an arrow down to J
        (500, "II", "0.40", "G", 32, 0, 1),  # H at 0.40 is an arrow up to G
        (500, "II", "0.25", "H", 50, 0, 1),
        (500, "II", "0.10", "K", 125, 0, 1),  # arrow down, several rows
        (5, "II", "6.5", "A", 2, 0, 1),
        (5, "II", "1.0", "E", 13, 0, 1),  # A at 1.0: down to E (n 13 > lot 5: 100 %)
        (20000, "II", "10", "K", 125, 21, 22),  # M at 10 is past the table's staircase: up to K
        (50, "II", "250", "D", 8, 30, 31),
        (3000, "II", "1.5", "K", 125, 5, 6),
        (100000, "III", "0.010", "Q", 1250, 0, 1),
    ],
)
def test_table_2a_single_normal_with_arrows_followed(lot, level, aql, plan_letter, n, ac, re):
    plan = sampling.single_normal(lot, level, aql)
    assert (plan.plan_letter, plan.accept, plan.reject) == (plan_letter, ac, re)
    assert plan.sample_size == min(n, lot)
    assert plan.hundred_percent is (n >= lot)


def test_the_code_letter_is_kept_when_an_arrow_moves_the_plan():
    plan = sampling.single_normal(500, "II", Decimal("0.65"))
    assert plan.code_letter == "H" and plan.plan_letter == "J"


@pytest.mark.parametrize(
    ("args", "field"),
    [((1000, "IV", "1.0"), "inspection_level"), ((1, "II", "1.0"), "lot_size"), ((1000, "II", "0.7"), "aql")],
)
def test_inputs_outside_the_tables_name_their_field(args, field):
    with pytest.raises(sampling.SamplingError) as caught:
        sampling.single_normal(*args)
    assert caught.value.field == field
