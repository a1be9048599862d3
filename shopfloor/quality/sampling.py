"""ISO 2859-1:1999 (= ANSI/ASQ Z1.4) single sampling plans for normal inspection.

Table 1 gives the sample size code letter for a lot size and an inspection level; Table 2-A
gives, for the code letter and the AQL, the sample size and the acceptance (Ac) and rejection
(Re) numbers, or an arrow to follow to the first plan above or below it. The arrows are
followed here, so a plan always names the sample size that goes with the Ac/Re it found.

Table 2-A is regular: along each diagonal (one code letter down, one AQL step left) the
Ac/Re pair is the same, with the "0 1", arrow up, arrow down cells before the "1 2" cell.
It is encoded as that diagonal rule plus the table's staircase of arrows in the lower right
(pairs above "21 22" only in rows A-E), and pinned by tests against published cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
LETTERS = ("A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "Q", "R")
SAMPLE_SIZES = dict(zip(LETTERS, (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000), strict=True))
AQLS = tuple(
    Decimal(a)
    for a in (
        "0.010 0.015 0.025 0.040 0.065 0.10 0.15 0.25 0.40 0.65 1.0 1.5 2.5 4.0 6.5 "
        "10 15 25 40 65 100 150 250 400 650 1000"
    ).split()
)

# Table 1: upper bound of each lot size range, then the code letter per level
# (S-1, S-2, S-3, S-4, I, II, III).
_TABLE_1: tuple[tuple[int | None, str], ...] = (
    (8, "AAAAAAB"),
    (15, "AAAAABC"),
    (25, "AABBBCD"),
    (50, "ABBCCDE"),
    (90, "BBCCCEF"),
    (150, "BBCDDFG"),
    (280, "BCDEEGH"),
    (500, "BCDEFHJ"),
    (1200, "CCEFGJK"),
    (3200, "CDEGHKL"),
    (10000, "CDFGJLM"),
    (35000, "CDFHKMN"),
    (150000, "DEGJLNP"),
    (500000, "DEGJMPQ"),
    (None, "DEHKNQR"),
)

# Ac/Re pairs along the diagonals of Table 2-A, from the "1 2" diagonal on.
_PAIRS = ((1, 2), (2, 3), (3, 4), (5, 6), (7, 8), (10, 11), (14, 15), (21, 22), (30, 31), (44, 45))
_ZERO_ONE = 14  # letter index + AQL index of the "0 1" cells (A at 6.5 ... Q at 0.010)


class SamplingError(ValueError):
    """A lot size, level or AQL the tables do not have; `field` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SamplingPlan:
    """What to inspect: `sample_size` units, accept with at most `accept` nonconforming."""

    lot_size: int
    level: str
    aql: Decimal
    code_letter: str  # the letter Table 1 gives for the lot
    plan_letter: str  # the letter whose plan applies after following the arrows
    sample_size: int
    accept: int
    reject: int
    hundred_percent: bool  # the plan's sample is the whole lot (or more)

    def as_dict(self) -> dict[str, object]:
        return {
            "lot_size": self.lot_size,
            "level": self.level,
            "aql": str(self.aql),
            "code_letter": self.code_letter,
            "plan_letter": self.plan_letter,
            "sample_size": self.sample_size,
            "accept": self.accept,
            "reject": self.reject,
            "hundred_percent": self.hundred_percent,
        }


def code_letter(lot_size: int, level: str) -> str:
    """ISO 2859-1 Table 1: the sample size code letter of a lot at an inspection level."""
    if level not in LEVELS:
        raise SamplingError("inspection_level", f"Unknown inspection level {level!r}; use one of {', '.join(LEVELS)}.")
    if lot_size < 2:
        raise SamplingError("lot_size", "A lot to sample has at least 2 units.")
    column = LEVELS.index(level)
    for upper, letters in _TABLE_1:
        if upper is None or lot_size <= upper:
            return letters[column]
    raise AssertionError("unreachable")  # pragma: no cover


def _aql_index(aql: Decimal | str | float) -> int:
    try:
        value = Decimal(str(aql))
    except ArithmeticError:
        value = None
    for i, known in enumerate(AQLS):
        if value is not None and value == known:
            return i
    raise SamplingError("aql", f"AQL {aql} is not a column of ISO 2859-1 Table 2-A.")


def _cell(letter_index: int, aql_index: int) -> tuple[int, int] | str:
    """One cell of Table 2-A: an (Ac, Re) pair, "up" or "down"."""
    d = letter_index + aql_index
    if d < _ZERO_ONE:
        return "down"
    if d == _ZERO_ONE:
        return (0, 1)
    if d == _ZERO_ONE + 1:
        return "up"
    if d == _ZERO_ONE + 2:
        # Row R has no plan below it: ISO shows the arrow up there.
        return "down" if letter_index < len(LETTERS) - 1 else "up"
    k = d - (_ZERO_ONE + 3)
    if k >= len(_PAIRS) or (_PAIRS[k][0] > 21 and letter_index > LETTERS.index("E")):
        return "up"
    return _PAIRS[k]


def single_normal(lot_size: int, level: str, aql: Decimal | str | float) -> SamplingPlan:
    """The single sampling plan for normal inspection (ISO 2859-1 Tables 1 and 2-A).

    Arrows are followed to the first plan in their direction and its sample size is used;
    when that sample is the lot or more, the whole lot is inspected (100 %).
    """
    letter = code_letter(int(lot_size), level)
    j = _aql_index(aql)
    i = LETTERS.index(letter)
    cell = _cell(i, j)
    while isinstance(cell, str):
        i += 1 if cell == "down" else -1
        cell = _cell(i, j)
    accept, reject = cell
    plan_letter = LETTERS[i]
    n = SAMPLE_SIZES[plan_letter]
    return SamplingPlan(
        lot_size=int(lot_size),
        level=level,
        aql=AQLS[j],
        code_letter=letter,
        plan_letter=plan_letter,
        sample_size=min(n, int(lot_size)),
        accept=accept,
        reject=reject,
        hundred_percent=n >= int(lot_size),
    )
