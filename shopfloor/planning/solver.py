"""The scheduling model on OR-Tools CP-SAT, shared by the plant scheduler and `manage.py jobshop`.

Time is integer minutes from an origin chosen by the caller (minute 0). The plant scheduler
turns work orders, routings, calendars and downtime into a `Problem`; the job-shop command
turns an OR-Library file into one. Both call `solve()`, so the benchmark instances exercise
the very code that schedules the plant.

This module knows nothing of Django: it is pure data in, pure data out.
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


class ProblemError(ValueError):
    """The problem cannot be scheduled as given; the message names the culprit."""


def solve(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    hint: dict[Hashable, Placement] | None = None,
    objective: str = "tardiness",
) -> Solution:
    """Solve with CP-SAT; objective "tardiness" (weighted tardiness, then makespan) or "makespan"."""
    raise NotImplementedError


def dispatch(problem: Problem) -> Solution:
    """The earliest-due-date dispatch rule: the fallback and the baseline to beat."""
    raise NotImplementedError


def parse_orlibrary(text: str) -> Problem:
    """An OR-Library job-shop instance: "jobs machines" then per job machine/duration pairs."""
    raise NotImplementedError
