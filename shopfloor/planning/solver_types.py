"""The data the scheduling model speaks: jobs, tasks, machines' closed time, placements.

Kept apart from the algorithms so every solver module imports the same classes without
cycles; `shopfloor.planning.solver` re-exports them, which is where callers take them from.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Alternative:
    """One machine a task may run on, and how long it takes there (setup included)."""

    machine: Hashable
    duration: int
    setup: int = 0


@dataclass(frozen=True)
class Task:
    """One operation: it runs on exactly one of its alternatives, without interruption.

    `fixed` = (machine, start) keeps a started or pinned operation where it is.
    """

    key: Hashable
    job: Hashable
    index: int
    alternatives: tuple[Alternative, ...]
    fixed: tuple[Hashable, int] | None = None


@dataclass(frozen=True)
class Job:
    """A chain of tasks in `index` order (a work order's routing).

    `after` names jobs that must end before this one starts (child work orders feeding a
    parent). `due` is a minute or None; `weight` multiplies its tardiness in the objective.
    """

    key: Hashable
    release: int = 0
    due: int | None = None
    weight: int = 1
    after: tuple[Hashable, ...] = ()


@dataclass
class Problem:
    """Jobs, their tasks, and when each machine cannot work ([start, end) minute intervals)."""

    jobs: list[Job]
    tasks: list[Task]
    closed: dict[Hashable, list[tuple[int, int]]] = field(default_factory=dict)
    horizon: int | None = None


@dataclass(frozen=True)
class Placement:
    machine: Hashable
    start: int
    end: int


@dataclass
class Solution:
    """`status`: OPTIMAL, FEASIBLE, DISPATCH (the fallback rule's plan) or INFEASIBLE."""

    status: str
    placements: dict[Hashable, Placement]
    makespan: int
    weighted_tardiness: int
    lower_bound: int
    seconds: float
    tardiness: dict[Hashable, int] = field(default_factory=dict)
    #: How the plan was found (method, windows tried and kept...), for logs and benchmarks.
    stats: dict[str, object] = field(default_factory=dict)


class ProblemError(ValueError):
    """The problem cannot be scheduled as given; the message names the culprit."""
