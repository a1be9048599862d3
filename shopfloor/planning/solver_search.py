"""`solve()`: the whole-problem CP-SAT search, and a time-window search for large plants.

Small and medium problems (up to `WINDOW_ABOVE` operations to place) go to CP-SAT whole.
The objective "tardiness" is lexicographic in two solves: first minimise the weighted
tardiness, then fix it (<= the value found) and minimise the makespan with the time left.
Two solves, rather than one objective with a big-M weight, keep the objective
coefficients small, which CP-SAT's bounds and LP relaxation handle far better.

Large problems (a plant of thousands of operations with alternative machines) are beyond
what CP-SAT proves in a minute on two cores, and a whole model spends most of that minute
in presolve. For them `solve` runs a large-neighbourhood search: start from the better of
the dispatch rule's plan and the repaired previous plan, then repeatedly free the
operations of one time window (a slice of the plan in start order), keep everything else
as constants, let CP-SAT re-plan the window (machine choice and order) and keep the
result when the plan improves; after each accepted window a left shift pulls the rest of
the plan forward into the time freed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable

from ortools.sat.python import cp_model

from shopfloor.planning.solver_cpsat import build, solver_for
from shopfloor.planning.solver_dispatch import (
    dispatch_prepared,
    left_shift,
    repair_hint,
    solution_from,
)
from shopfloor.planning.solver_prep import Prepared, evaluate, prepare, violations
from shopfloor.planning.solver_types import Placement, Problem, ProblemError, Solution

#: Operations to place above which `solve` uses the time-window search (method "auto").
WINDOW_ABOVE = 1500
#: Operations freed per window at first; adapted to how fast windows solve.
WINDOW_SIZE = 200
#: Seconds CP-SAT gets per window.
WINDOW_SECONDS = 2.0

OBJECTIVES = ("tardiness", "makespan")


def solve(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    hint: dict[Hashable, Placement] | None = None,
    objective: str = "tardiness",
    method: str = "auto",
) -> Solution:
    """Solve with CP-SAT; objective "tardiness" (weighted tardiness, then makespan) or "makespan".

    `method`: "model" (CP-SAT on the whole problem), "window" (the time-window search) or
    "auto" (the window search above WINDOW_ABOVE operations to place).
    """
    started = time.monotonic()
    if objective not in OBJECTIVES:
        raise ProblemError(f"unknown objective {objective!r}: use one of {', '.join(OBJECTIVES)}")
    prepared = prepare(problem)
    free = [key for key, task in prepared.tasks.items() if task.fixed is None]
    if method == "auto":
        method = "window" if len(free) > WINDOW_ABOVE else "model"
    if method == "window":
        return _window_search(prepared, free, objective, time_limit, workers, hint, started)
    if method != "model":
        raise ProblemError(f"unknown method {method!r}: use auto, model or window")
    return _whole(prepared, free, objective, time_limit, workers, hint, started)


def _fixed_placements(prepared: Prepared) -> dict[Hashable, Placement]:
    placed = {}
    for key, task in prepared.tasks.items():
        if task.fixed is not None:
            machine, start = task.fixed
            placed[key] = Placement(machine, start, start + prepared.durations[key][machine])
    return placed


def _usable_hint(prepared: Prepared, hint: dict[Hashable, Placement]) -> dict[Hashable, Placement]:
    """The hint itself when it is a complete valid plan, else its repaired version."""
    if all(key in hint for key in prepared.tasks):
        plan = {key: hint[key] for key in prepared.tasks}
        candidate = solution_from(prepared, plan, "HINT", time.monotonic())
        if not violations(prepared.problem, candidate):
            return plan
    return repair_hint(prepared, hint)


def _cost(prepared: Prepared, plan: dict[Hashable, Placement], objective: str) -> tuple[int, ...]:
    makespan, weighted, _ = evaluate(prepared, plan)
    ends = sum(p.end for p in plan.values())
    return (weighted, makespan, ends) if objective == "tardiness" else (makespan, ends)


def _whole(
    prepared: Prepared,
    free: list[Hashable],
    objective: str,
    time_limit: float,
    workers: int,
    hint: dict[Hashable, Placement] | None,
    started: float,
) -> Solution:
    placed = _fixed_placements(prepared)
    built = build(prepared, free, placed)
    baseline = None
    if hint:
        built.hint(_usable_hint(prepared, hint))
    elif objective == "tardiness":
        # The dispatch plan as a first solution: CP-SAT starts from a plan at least as
        # good as the rule and the fallback comparison below is free.
        baseline = dispatch_prepared(prepared, started)
        built.hint(baseline.placements)
    model = built.model

    def remaining() -> float:
        return time_limit - (time.monotonic() - started)

    if objective == "makespan":
        model.minimize(built.makespan)
        solver = solver_for(remaining(), workers)
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return _not_solved(prepared, status, started)
        plan = {**placed, **built.placements(solver)}
        solution = solution_from(prepared, plan, _name(status), started)
        solution.lower_bound = math.ceil(solver.best_objective_bound - 1e-6)
        return solution

    # Phase 1: weighted tardiness, with most of the time; phase 2: makespan under it.
    model.minimize(built.weighted_tardiness)
    solver = solver_for(remaining() * 0.8, workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _not_solved(prepared, status, started)
    first = {**placed, **built.placements(solver)}
    weighted = round(solver.objective_value)
    bound = math.ceil(solver.best_objective_bound - 1e-6)
    optimal = status == cp_model.OPTIMAL
    if remaining() > 0.05:
        model.clear_hints()
        model.add(built.weighted_tardiness <= weighted)
        built.hint(first)
        model.minimize(built.makespan)
        solver2 = solver_for(remaining(), workers)
        status2 = solver2.solve(model)
        if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            first = {**placed, **built.placements(solver2)}
        optimal = optimal and status2 == cp_model.OPTIMAL
    else:
        optimal = False
    solution = solution_from(prepared, first, "OPTIMAL" if optimal else "FEASIBLE", started)
    solution.lower_bound = bound
    if baseline is not None and not optimal:
        if _cost(prepared, baseline.placements, objective) < _cost(prepared, first, objective):
            baseline.seconds = time.monotonic() - started
            return baseline
    return solution


def _name(status: int) -> str:
    return "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"


def _not_solved(prepared: Prepared, status: int, started: float) -> Solution:
    """UNKNOWN: the dispatch rule's plan; INFEASIBLE: an error saying what blocks."""
    if status == cp_model.UNKNOWN:
        return dispatch_prepared(prepared, started)
    if status == cp_model.INFEASIBLE:
        raise ProblemError(diagnose(prepared))
    raise ProblemError(f"the scheduling model is invalid (CP-SAT status {status})")


def diagnose(prepared: Prepared) -> str:
    """Why no plan exists, as precisely as cheap reasoning finds it."""
    horizon = prepared.horizon
    job_end: dict[Hashable, int] = {}
    for job_key in prepared.topo:
        job = prepared.jobs[job_key]
        at = max([job.release] + [job_end[o] for o in job.after])
        for task in prepared.chains[job_key]:
            if task.fixed is not None:
                if task.fixed[1] < at:
                    return (
                        f"fixed operation {task.key} starts at minute {task.fixed[1]}, but its job "
                        f"{job_key} cannot reach it before minute {at}"
                    )
                at = task.fixed[1] + prepared.durations[task.key][task.fixed[0]]
            else:
                at += min(prepared.durations[task.key].values())
        job_end[job_key] = at
        if prepared.problem.horizon is not None and at > horizon:
            return f"job {job_key} cannot end before minute {at}, after the horizon {horizon}"
    return (
        "no plan satisfies the constraints: closed time, fixed operations and the horizon "
        f"({horizon}) leave the operations no room"
    )


def _window_search(
    prepared: Prepared,
    free: list[Hashable],
    objective: str,
    time_limit: float,
    workers: int,
    hint: dict[Hashable, Placement] | None,
    started: float,
) -> Solution:
    deadline = started + time_limit
    candidates = [left_shift(prepared, dispatch_prepared(prepared, started).placements)]
    if hint:
        candidates.append(left_shift(prepared, _usable_hint(prepared, hint)))
    current = min(candidates, key=lambda plan: _cost(prepared, plan, objective))
    cost = _cost(prepared, current, objective)
    free_set = set(free)
    size = min(WINDOW_SIZE, len(free))
    cursor = 0
    longest = max((max(d.values()) for d in prepared.durations.values()), default=1)
    while free and deadline - time.monotonic() > 0.2:
        order = sorted(free_set, key=lambda k: (current[k].start, current[k].end))
        if cursor >= len(order):
            cursor = 0
        window = order[cursor : cursor + size]
        span = current[window[-1]].start - current[window[0]].start
        reach = max(current[k].end for k in window) + max(span, 4 * longest)
        placed = {k: p for k, p in current.items() if k not in set(window)}
        built = build(prepared, window, placed, horizon=reach)
        built.hint(current)
        scale = len(window) * reach + 1
        primary = built.weighted_tardiness if objective == "tardiness" else built.makespan
        built.model.minimize(scale * primary + built.sum_of_ends)
        seconds = min(WINDOW_SECONDS, deadline - time.monotonic())
        solver = solver_for(seconds, workers)
        status = solver.solve(built.model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            candidate = left_shift(prepared, {**current, **built.placements(solver)})
            candidate_cost = _cost(prepared, candidate, objective)
            if candidate_cost < cost:
                current, cost = candidate, candidate_cost
        # Windows that CP-SAT closes quickly grow, windows it cannot finish shrink.
        if status == cp_model.OPTIMAL and solver.wall_time < seconds / 2:
            size = min(len(free), int(size * 1.25) + 1)
        elif status != cp_model.OPTIMAL:
            size = max(20, int(size * 0.8))
        cursor += max(1, size // 2)
    return solution_from(prepared, current, "FEASIBLE", started)
