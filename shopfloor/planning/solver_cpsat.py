"""The CP-SAT model: operations as intervals on machines, built for a whole problem or a window.

One builder serves both uses. For the whole problem every unfixed operation is free; for a
neighbourhood (see `solver_lns`) only the operations of a time window are free and the rest
of the current plan is passed in as constants, so the same constraints schedule ft10 and a
plant of thousands of operations.

Formulation notes (why it is fast on the job-shop instances):
- an operation with one eligible machine is a single fixed-size interval whose end is the
  expression start + duration: no optional intervals, no presence literals, no end
  variable (the classic job-shop model);
- an operation with several machines has a start and an end variable and one optional
  fixed-size interval per machine, exactly one present;
- closed time and operations that do not move are constant intervals in the machines'
  no-overlap constraints.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from shopfloor.planning.solver_prep import Prepared
from shopfloor.planning.solver_types import Placement

STATUS_NAMES = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}


@dataclass
class _Op:
    key: Hashable
    start: cp_model.IntVar
    end: cp_model.LinearExprT
    choices: dict[Hashable, cp_model.IntVar | None] = field(default_factory=dict)


@dataclass
class Built:
    """A CP-SAT model and the handles needed to read a plan back from it."""

    model: cp_model.CpModel
    ops: dict[Hashable, _Op]
    weighted_tardiness: cp_model.LinearExprT
    makespan: cp_model.IntVar
    sum_of_ends: cp_model.LinearExprT
    durations: dict[Hashable, dict[Hashable, int]]
    #: (job's last operation, due, tardiness variable) per job whose last operation is free.
    lateness: list[tuple[Hashable, int, cp_model.IntVar]] = field(default_factory=list)
    last_ops: list[Hashable] = field(default_factory=list)

    def placements(self, solver: cp_model.CpSolver) -> dict[Hashable, Placement]:
        result: dict[Hashable, Placement] = {}
        for key, op in self.ops.items():
            start = solver.value(op.start)
            if len(op.choices) == 1:
                machine = next(iter(op.choices))
            else:
                machine = next(m for m, lit in op.choices.items() if solver.boolean_value(lit))
            result[key] = Placement(machine, start, start + self.durations[key][machine])
        return result

    def hint(self, placements: dict[Hashable, Placement]) -> None:
        """Warm start: the previous plan's machines and starts (partial hints are fine).

        When the plan covers every free operation the hint is made complete (ends,
        tardiness, makespan too): CP-SAT then takes it as its first solution at once
        instead of searching for a completion.
        """
        complete = True
        for key, op in self.ops.items():
            place = placements.get(key)
            if place is None or place.machine not in op.choices:
                complete = False
                continue
            self.model.add_hint(op.start, place.start)
            if len(op.choices) > 1:
                self.model.add_hint(op.end, place.start + self.durations[key][place.machine])
            for machine, literal in op.choices.items():
                if literal is not None:
                    self.model.add_hint(literal, machine == place.machine)
        if not complete:
            return
        for last, due, late in self.lateness:
            self.model.add_hint(late, max(0, placements[last].end - due))
        self.model.add_hint(self.makespan, max((placements[k].end for k in self.last_ops), default=0))


def build(
    prepared: Prepared,
    free: list[Hashable],
    placed: dict[Hashable, Placement],
    *,
    horizon: int | None = None,
    end_weights: dict[Hashable, int] | None = None,
) -> Built:
    """A model where `free` operations are variables and every other one sits at `placed`.

    `placed` must hold a placement for every operation not in `free` (fixed operations
    included). `horizon` caps the end of free operations (the window's reach).
    `end_weights` weighs each free operation's end in `sum_of_ends` (default 1).
    """
    model = cp_model.CpModel()
    free_set = set(free)
    horizon = prepared.horizon if horizon is None else horizon
    durations = {k: prepared.durations[k] for k in free}

    previous: dict[Hashable, Hashable] = {}
    following: dict[Hashable, Hashable] = {}
    for chain in prepared.chains.values():
        for before, after in zip(chain, chain[1:], strict=False):
            previous[after.key] = before.key
            following[before.key] = after.key

    def last_of(job: Hashable) -> Hashable:
        return prepared.chains[job][-1].key

    def first_of(job: Hashable) -> Hashable:
        return prepared.chains[job][0].key

    # Bounds from what does not move: releases, placed neighbours in the job and jobs
    # linked by `after`; and, within a chain of free operations, the minimum work before.
    lower: dict[Hashable, int] = {}
    upper_end: dict[Hashable, int] = {}
    for key in free:
        task = prepared.tasks[key]
        job = prepared.jobs[task.job]
        low = max(job.release, prepared.origin)
        before = previous.get(key)
        if before is not None:
            if before not in free_set:
                low = max(low, placed[before].end)
        else:
            for other in job.after:
                other_last = last_of(other)
                if other_last not in free_set:
                    low = max(low, placed[other_last].end)
        lower[key] = low
        high = horizon
        after_key = following.get(key)
        if after_key is not None and after_key not in free_set:
            high = min(high, placed[after_key].start)
        if after_key is None:
            for waiting in prepared.waiting[task.job]:
                waiting_first = first_of(waiting)
                if waiting_first not in free_set:
                    high = min(high, placed[waiting_first].start)
        upper_end[key] = high
    for chain in prepared.chains.values():
        running = None
        for task in chain:
            if task.key not in free_set:
                running = None
                continue
            if running is not None:
                lower[task.key] = max(lower[task.key], running)
            running = lower[task.key] + min(durations[task.key].values())
        running = None
        for task in reversed(chain):
            if task.key not in free_set:
                running = None
                continue
            if running is not None:
                upper_end[task.key] = min(upper_end[task.key], running)
            running = upper_end[task.key] - min(durations[task.key].values())

    ops: dict[Hashable, _Op] = {}
    on_machine: dict[Hashable, list[cp_model.IntervalVar]] = {}
    for key in free:
        per_machine = durations[key]
        low, high = lower[key], upper_end[key]
        shortest, longest = min(per_machine.values()), max(per_machine.values())
        start = model.new_int_var(low, max(low, high - shortest), f"s{key}")
        if len(per_machine) == 1:
            machine, duration = next(iter(per_machine.items()))
            interval = model.new_fixed_size_interval_var(start, duration, f"i{key}")
            on_machine.setdefault(machine, []).append(interval)
            ops[key] = _Op(key, start, start + duration, {machine: None})
            if high - duration < low:  # no room: say so instead of hiding it in the domain
                model.add(start + duration <= high)
            continue
        end = model.new_int_var(low + shortest, max(low + shortest, high), f"e{key}")
        if high < low + shortest:
            model.add(end <= high)
        model.add(end - start >= shortest)
        model.add(end - start <= longest)
        choices: dict[Hashable, cp_model.IntVar | None] = {}
        for machine, duration in per_machine.items():
            literal = model.new_bool_var(f"p{key}@{machine}")
            interval = model.new_optional_fixed_size_interval_var(start, duration, literal, f"i{key}@{machine}")
            model.add(end == start + duration).only_enforce_if(literal)
            on_machine.setdefault(machine, []).append(interval)
            choices[machine] = literal
        model.add_exactly_one(choices.values())
        ops[key] = _Op(key, start, end, choices)

    # Constant intervals: closed time and operations that stay, only near the free ones.
    reach_low = min(lower.values(), default=0)
    reach_high = max(upper_end.values(), default=0)
    constants: dict[Hashable, list[tuple[int, int]]] = {}
    for machine in on_machine:
        spans = [iv for iv in prepared.closed.get(machine, ()) if iv[1] > reach_low and iv[0] < reach_high]
        constants[machine] = spans
    for place in placed.values():
        if place.machine in constants and place.end > reach_low and place.start < reach_high:
            if place.end > place.start:
                constants[place.machine].append((place.start, place.end))
    for machine, spans in constants.items():
        for i, (start, end) in enumerate(spans):
            on_machine[machine].append(model.new_fixed_size_interval_var(start, end - start, f"c{machine}_{i}"))
    for intervals in on_machine.values():
        if len(intervals) > 1:
            model.add_no_overlap(intervals)

    for key in free:
        after_key = following.get(key)
        if after_key is not None and after_key in free_set:
            model.add(ops[key].end <= ops[after_key].start)
    for job_key, job in prepared.jobs.items():
        first = first_of(job_key)
        for other in job.after:
            other_last = last_of(other)
            if first in free_set and other_last in free_set:
                model.add(ops[other_last].end <= ops[first].start)

    weights = end_weights or {}
    ends = [weights.get(k, 1) * ops[k].end for k in free]
    makespan = model.new_int_var(0, max(horizon, 0), "makespan")
    job_ends = []
    tardiness_terms = []
    lateness = []
    last_ops = []
    for job_key, job in prepared.jobs.items():
        last = last_of(job_key)
        if last not in free_set:
            continue
        job_ends.append(ops[last].end)
        last_ops.append(last)
        if job.due is not None and job.weight > 0:
            late = model.new_int_var(0, max(0, horizon - job.due), f"t{job_key}")
            model.add(late >= ops[last].end - job.due)
            tardiness_terms.append(job.weight * late)
            lateness.append((last, job.due, late))
    if job_ends:
        model.add_max_equality(makespan, job_ends)
    else:
        model.add(makespan == 0)
    return Built(
        model=model,
        ops=ops,
        weighted_tardiness=sum(tardiness_terms),
        makespan=makespan,
        sum_of_ends=sum(ends),
        durations=durations,
        lateness=lateness,
        last_ops=last_ops,
    )


def solver_for(
    time_limit: float, workers: int, *, presolve: bool = True, disjunctive: bool = False
) -> cp_model.CpSolver:
    """A solver with the time limit and workers.

    `presolve=False` for small warm-started windows, where presolve (probing above all)
    costs more than the search it saves. `disjunctive=True` turns on the stronger
    no-overlap propagation: slower per node, but on the job-shop instances it finds ft10's
    930 and proves it in a fraction of the nodes.
    """
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.num_workers = max(1, workers)
    if not presolve:
        solver.parameters.cp_model_presolve = False
    if disjunctive:
        solver.parameters.use_strong_propagation_in_disjunctive = True
    return solver
