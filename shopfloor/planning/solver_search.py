"""`solve()`: the whole-problem CP-SAT search, and a time-window search for large plants.

Small and medium problems (up to `WINDOW_ABOVE` operations to place) go to CP-SAT whole:

- objective "tardiness" is lexicographic in two solves: first minimise the weighted
  tardiness (80 % of the time left), then fix it (<= the value found) and minimise the
  makespan with the rest. Two solves rather than one big-M objective keep the objective
  coefficients small, which CP-SAT's bounds handle far better. The best of four dispatch
  rules' plans is the complete first solution (hint), so the answer is never worse than
  the rules.
- objective "makespan" optimises for half the time, then proves by decision rounds
  ("a plan of makespan <= best - 1?"), see `_makespan`.

Large problems (a plant of thousands of operations with alternative machines) are beyond
what CP-SAT solves whole in a minute on two cores: on the 5,000-operation synthetic plant
the whole model does not even reproduce its warm start in 50 s. For them `solve` runs a
large-neighbourhood search: start from the best dispatch-rule plan (or the repaired
previous plan), then repeatedly free the operations of one window, keep everything else
as constants, let CP-SAT re-plan the window (machine choice and order, warm-started from
the current plan) and keep the result when the plan improves; a left shift then pulls the
rest of the plan forward into the time freed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable

from ortools.sat.python import cp_model

from shopfloor.planning.solver_cpsat import Built, build, solver_for
from shopfloor.planning.solver_dispatch import (
    dispatch_prepared,
    left_shift,
    list_schedule,
    repair_hint,
    solution_from,
)
from shopfloor.planning.solver_prep import Prepared, evaluate, prepare, violations
from shopfloor.planning.solver_types import Placement, Problem, ProblemError, Solution

#: Share of the time the makespan optimisation gets before the decision rounds.
MAKESPAN_SEARCH_SHARE = 0.4
#: Operations to place above which `solve` uses the time-window search (method "auto").
WINDOW_ABOVE = 1500
#: Operations freed per window at first; adapted to how fast windows solve.
WINDOW_SIZE = 25
WINDOW_MIN = 15
#: How many of a late order's last operations a window follows.
ROUTE_DEPTH = 3
#: Seconds CP-SAT gets per window.
WINDOW_SECONDS = 0.5
#: Priority search: share of the time limit, how far a late order's priority moves per
#: weighted minute late, and how many rounds without a better plan before going back to
#: the best priorities (and after RESTARTS such returns in a row, stopping).
PRIORITY_SHARE = 0.4
PRIORITY_STEP = 0.3
PRIORITY_PATIENCE = 6
PRIORITY_RESTARTS = 3

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
        # The best dispatch-rule plan as a complete first solution: CP-SAT starts from a
        # plan at least as good as the rules, and the comparison below is free.
        plans = _start_plans(prepared, started)
        best_rule = min(plans, key=lambda plan: _cost(prepared, plan, objective))
        baseline = solution_from(prepared, best_rule, "DISPATCH", started)
        built.hint(best_rule)
    model = built.model

    def remaining() -> float:
        return time_limit - (time.monotonic() - started)

    if objective == "makespan":
        return _makespan(prepared, built, placed, remaining, workers, started)

    # Phase 1: weighted tardiness, with most of the time; phase 2: makespan under it.
    model.minimize(built.weighted_tardiness)
    solver = solver_for(remaining() * 0.8, workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _not_solved(prepared, status, started)
    first = {**placed, **built.placements(solver)}
    weighted = round(solver.objective_value)
    # Orders whose last operation is fixed have a tardiness no solve changes: add it.
    bound = math.ceil(solver.best_objective_bound - 1e-6) + sum(
        job.weight * max(0, placed[prepared.chains[key][-1].key].end - job.due)
        for key, job in prepared.jobs.items()
        if job.due is not None and prepared.chains[key][-1].key in placed
    )
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


def _makespan(
    prepared: Prepared,
    built: Built,
    placed: dict[Hashable, Placement],
    remaining: Callable[[], float],
    workers: int,
    started: float,
) -> Solution:
    """Minimum makespan: optimise for a part of the time, then improve and prove by decisions.

    CP-SAT's optimisation finds good plans fast (its LNS workers), but on job shops its
    proven bound barely moves: on ft10 it stays at the one-machine bound 808 for minutes.
    The question "is there a plan shorter than the best one found?" is a pure search that
    CP-SAT settles far sooner (ft10, makespan <= 929: infeasible in about 2.5 CPU
    seconds). So after the first phase each round asks for a plan of makespan <= best - 1
    with one search thread (a second would only take CPU from it), guided by the best
    plan (hinted): a plan found is kept and the question repeated, INFEASIBLE proves the
    best plan optimal. The guided rounds also descend fast (ft10 from 974 to 930 in 48 s
    on a machine loaded 8x over its cores), so the first phase needs only a share.
    """
    model = built.model
    model.minimize(built.makespan)
    solver = solver_for(remaining() * MAKESPAN_SEARCH_SHARE, workers, disjunctive=True)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _not_solved(prepared, status, started)
    plan = {**placed, **built.placements(solver)}
    best = round(solver.objective_value)
    bound = math.ceil(solver.best_objective_bound - 1e-6)
    rounds = 0
    if status != cp_model.OPTIMAL:
        model.clear_objective()
        model.clear_hints()
        while remaining() > 0.1 and bound < best:
            model.add(built.makespan <= best - 1)
            # Solution-guided: the best plan as the branching preference (it is itself
            # too long now), so each round searches near it first.
            model.clear_hints()
            built.hint(plan)
            rounds += 1
            decision = solver_for(remaining(), 1, disjunctive=True)
            outcome = decision.solve(model)
            if outcome == cp_model.INFEASIBLE:
                bound = best
            elif outcome in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                plan = {**placed, **built.placements(decision)}
                best = decision.value(built.makespan)
            else:
                break
    solution = solution_from(prepared, plan, "OPTIMAL" if bound >= best else "FEASIBLE", started)
    # The model's makespan covers the free operations; fixed ones ending later count too.
    solution.lower_bound = max([bound] + [p.end for p in placed.values()])
    solution.stats = {"method": "model", "decision_rounds": rounds}
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


def _start_plans(prepared: Prepared, started: float) -> list[dict[Hashable, Placement]]:
    """First plans for the window search: earliest due date and three weighted rules.

    Earliest due date ignores weights. Weighted EDD (due / weight), weighted slack
    ((due - work) / weight) and weighted shortest processing time (work / weight) put
    heavy orders first; in an overloaded plant that is where most of the gain lies, so
    the search starts from the best of the four (each a list schedule of about a second).
    """
    work = {key: sum(min(prepared.durations[t.key].values()) for t in chain) for key, chain in prepared.chains.items()}
    jobs = prepared.jobs

    def due(key: Hashable) -> int:
        job = jobs[key]
        return job.due if job.due is not None else prepared.horizon

    def weight(key: Hashable) -> int:
        return max(jobs[key].weight, 1)

    rules = [
        lambda k: (due(k) / weight(k),),
        lambda k: ((due(k) - work[k]) / weight(k),),
        lambda k: (jobs[k].due is None, work[k] / weight(k)),
    ]
    plans = [dispatch_prepared(prepared, started).placements]
    plans.extend(list_schedule(prepared, rule) for rule in rules)
    return [left_shift(prepared, plan) for plan in plans]


def _priority_search(prepared: Prepared, deadline: float) -> tuple[dict[Hashable, Placement] | None, int]:
    """Squeaky-wheel search over order priorities for the list schedule; the best plan found.

    The list schedule places whole orders in priority order, so a priority per order is a
    complete plan, built in a fraction of a second. Starting from the due dates (EDD),
    each round moves every late order forward by PRIORITY_STEP x its weighted minutes
    late and schedules again: the orders that hurt get the earlier slots, the orders with
    slack absorb the wait. On a plant loaded like a real one (the realistic synthetic
    plant, 88 % of two-shift capacity) this takes the weighted tardiness far below what
    re-planning windows of 25 operations reaches, because one round moves many orders
    across the whole plan at once. Rounds without a better plan return to the best
    priorities with half the step; after PRIORITY_RESTARTS such returns in a row (an
    overloaded plant, where promoting one late order only delays another) the search
    stops and leaves the rest of the time to the window search.
    """
    jobs = prepared.jobs
    if not any(job.due is not None for job in jobs.values()):
        return None, 0
    priority = {key: float(job.due) if job.due is not None else 0.0 for key, job in jobs.items()}
    undated = {key for key, job in jobs.items() if job.due is None}
    best_plan, best_cost, best_priority, best_tardiness = None, None, dict(priority), {}
    stalled = restarts = rounds = 0
    step = PRIORITY_STEP
    while time.monotonic() < deadline and restarts < PRIORITY_RESTARTS:
        plan = left_shift(prepared, list_schedule(prepared, lambda k, p=priority: (k in undated, p[k])))
        rounds += 1
        _, weighted, tardiness = evaluate(prepared, plan)
        if best_cost is None or weighted < best_cost:
            best_plan, best_cost, best_priority, best_tardiness = plan, weighted, dict(priority), tardiness
            stalled = restarts = 0
        else:
            stalled += 1
        if weighted == 0:
            break
        if stalled >= PRIORITY_PATIENCE:
            # Back to the best priorities with half the step: the same step would only
            # replay the rounds that found nothing better.
            priority, tardiness = dict(best_priority), best_tardiness
            stalled = 0
            restarts += 1
            step /= 2
        for key, late in tardiness.items():
            if late > 0:
                priority[key] -= step * late * max(jobs[key].weight, 1)
    return best_plan, rounds


def _machine_groups(prepared: Prepared) -> list[set[Hashable]]:
    """Machines that share operations (alternatives of one another), as neighbourhoods."""
    groups: list[set[Hashable]] = []
    for machine in prepared.machines:
        group = {machine}
        for key, durations in prepared.durations.items():
            if machine in durations and prepared.tasks[key].fixed is None:
                group.update(durations)
        if group not in groups:
            groups.append(group)
    return groups


def _window_search(
    prepared: Prepared,
    free: list[Hashable],
    objective: str,
    time_limit: float,
    workers: int,
    hint: dict[Hashable, Placement] | None,
    started: float,
) -> Solution:
    """Large-neighbourhood search over windows of the plan (see the module docstring).

    While orders are late, each window is a slice of one machine group (machines that
    are alternatives of one another) around the last operation of one of the costliest
    late orders, taken in turn: re-sequencing and re-assigning there changes those
    orders' tardiness directly, and CP-SAT minimises exactly that. Otherwise (makespan,
    or nothing late) windows slide along the plan in start order and minimise the
    makespan then the sum of ends. Every kept window is followed by a left shift.
    """
    deadline = started + time_limit
    candidates = _start_plans(prepared, started)
    if hint:
        candidates.append(left_shift(prepared, _usable_hint(prepared, hint)))
    current = min(candidates, key=lambda plan: _cost(prepared, plan, objective))
    cost = _cost(prepared, current, objective)
    stats: dict[str, object] = {"method": "window", "start_cost": list(cost), "windows": 0, "kept": 0}
    if objective == "tardiness" and cost[0] > 0:
        budget = started + time_limit * PRIORITY_SHARE
        improved, rounds = _priority_search(prepared, budget)
        stats["priority_rounds"] = rounds
        if improved is not None and _cost(prepared, improved, objective) < cost:
            current = improved
            cost = _cost(prepared, current, objective)
        stats["priority_cost"] = list(cost)
    free_set = set(free)
    groups = _machine_groups(prepared)
    size = min(WINDOW_SIZE, len(free))
    cursor = turn = 0
    while free and deadline - time.monotonic() > 0.3:
        late = _late_jobs(prepared, current, objective)
        if late:
            costly = sorted(late, key=lambda j: (-late[j], prepared.rank[j]))
            chain = prepared.chains[costly[turn % len(costly)]]
            turn += 1
            # The late order's last ROUTE_DEPTH operations, each with its neighbours on
            # its machine group: the order can move forward on every one of them.
            anchors = [t.key for t in chain[-ROUTE_DEPTH:] if t.key in free_set]
            if not anchors:
                continue
            share = max(3, size // len(anchors))
            chosen: dict[Hashable, None] = {}
            for anchor in anchors:
                group = next(g for g in groups if current[anchor].machine in g)
                pool = sorted(
                    (k for k in free_set if current[k].machine in group),
                    key=lambda k: (current[k].start, current[k].end),
                )
                first = max(0, pool.index(anchor) - (3 * share) // 4)
                chosen.update(dict.fromkeys(pool[first : first + share]))
            window = list(chosen)
        else:
            pool = sorted(free_set, key=lambda k: (current[k].start, current[k].end))
            cursor = cursor if cursor < len(pool) else 0
            window = pool[cursor : cursor + size]
            cursor += max(1, size // 2)
        solved = _solve_window(prepared, current, window, objective, workers, deadline, compact=not late)
        stats["windows"] += 1
        if solved is None:
            continue
        plan, status, fast = solved
        candidate_cost = _cost(prepared, plan, objective)
        if candidate_cost < cost:
            current = left_shift(prepared, plan)
            cost = _cost(prepared, current, objective)
            stats["kept"] += 1
        # Windows that CP-SAT closes quickly grow, windows it cannot finish shrink.
        if status == cp_model.OPTIMAL and fast:
            size = min(len(free), int(size * 1.2) + 1)
        elif status != cp_model.OPTIMAL:
            size = max(WINDOW_MIN, int(size * 0.85))
    solution = solution_from(prepared, current, "FEASIBLE", started)
    stats["last_window_size"] = size
    solution.stats = stats
    return solution


def _solve_window(
    prepared: Prepared,
    current: dict[Hashable, Placement],
    window: list[Hashable],
    objective: str,
    workers: int,
    deadline: float,
    *,
    compact: bool,
) -> tuple[dict[Hashable, Placement], int, bool] | None:
    """Re-plan `window` with the rest of `current` fixed and `current` as the hint.

    The objective is the primary one (weighted tardiness or makespan of the window's
    orders); with `compact`, lexicographically followed by the sum of ends, which is what
    moves work forward when the primary cannot change inside the window.
    """
    in_window = set(window)
    low = min(current[k].start for k in window)
    high = max(current[k].end for k in window)
    longest = max(max(prepared.durations[k].values()) for k in window)
    reach = high + max(high - low, 4 * longest)
    placed = {k: p for k, p in current.items() if k not in in_window}
    built = build(prepared, window, placed, horizon=reach)
    built.hint(current)
    primary = built.weighted_tardiness if objective == "tardiness" else built.makespan
    if compact:
        built.model.minimize((len(window) * reach + 1) * primary + built.sum_of_ends)
    else:
        built.model.minimize(primary)
    seconds = min(WINDOW_SECONDS, deadline - time.monotonic())
    if seconds <= 0.05:
        return None
    solver = solver_for(seconds, workers, presolve=False)
    status = solver.solve(built.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {**current, **built.placements(solver)}, status, solver.wall_time < seconds / 2


def _late_jobs(prepared: Prepared, plan: dict[Hashable, Placement], objective: str) -> dict[Hashable, int]:
    """Late orders and their weighted tardiness."""
    if objective != "tardiness":
        return {}
    _, _, tardiness = evaluate(prepared, plan)
    return {key: prepared.jobs[key].weight * late for key, late in tardiness.items() if late > 0}
