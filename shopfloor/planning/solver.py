"""The scheduling model on OR-Tools CP-SAT, shared by the plant scheduler and `manage.py jobshop`.

Time is integer minutes from an origin chosen by the caller (minute 0). The plant scheduler
turns work orders, routings, calendars and downtime into a `Problem`; the job-shop command
turns an OR-Library file into one. Both call `solve()`, so the benchmark instances exercise
the very code that schedules the plant.

This module knows nothing of Django: it is pure data in, pure data out. It is the one place
callers import from; the work is split by concept:

- `solver_types`: the data classes below;
- `solver_prep`: validation (`ProblemError` naming the culprit), closed-time arithmetic,
  `check()` / `violations()` that every scheduler's tests use;
- `solver_dispatch`: the earliest-due-date rule, hint repair and the left shift;
- `solver_cpsat`: the CP-SAT model of a whole problem or of a time window;
- `solver_search`: `solve()` itself (whole model, or time-window search for large plants);
- `solver_orlib`: the OR-Library job-shop format.

Conventions callers rely on:
- a task occupies its machine for `Alternative.duration` minutes; `setup` is the part of
  those minutes that is setup (reported, never added a second time);
- closed time under a fixed operation is ignored (a started operation stays where it is);
- without `Problem.horizon` each machine is open for ever after its last closed interval;
  set the horizon to the calendar's end so that an operation longer than every shift is
  refused instead of being planned after the calendar.
"""

from __future__ import annotations

from shopfloor.planning.solver_dispatch import dispatch
from shopfloor.planning.solver_orlib import parse_named, parse_orlibrary
from shopfloor.planning.solver_prep import check, violations
from shopfloor.planning.solver_search import WINDOW_ABOVE, solve
from shopfloor.planning.solver_types import (
    Alternative,
    Job,
    Placement,
    Problem,
    ProblemError,
    Solution,
    Task,
)

__all__ = [
    "WINDOW_ABOVE",
    "Alternative",
    "Job",
    "Placement",
    "Problem",
    "ProblemError",
    "Solution",
    "Task",
    "check",
    "dispatch",
    "parse_named",
    "parse_orlibrary",
    "solve",
    "violations",
]
