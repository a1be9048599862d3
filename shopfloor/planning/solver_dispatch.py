"""List scheduling: the earliest-due-date dispatch rule, hint repair and the left shift.

The dispatch rule is the plan of last resort (CP-SAT found nothing in time) and the
baseline the optimiser must beat, so it is deliberately the rule a planner would apply by
hand: the most urgent order first, each operation where it finishes soonest.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Hashable

from shopfloor.planning.solver_prep import Prepared, Timeline, evaluate, prepare
from shopfloor.planning.solver_types import Placement, Problem, Solution


def _timelines(prepared: Prepared) -> dict[Hashable, Timeline]:
    """Each machine's closed time plus its fixed operations, as busy timelines."""
    fixed = prepared.fixed_spans()
    return {m: Timeline(list(prepared.closed.get(m, ())) + fixed.get(m, [])) for m in prepared.machines}


def list_schedule(
    prepared: Prepared,
    priority: Callable[[Hashable], tuple],
    machine_for: Callable[[Hashable], Hashable | None] | None = None,
) -> dict[Hashable, Placement]:
    """Serial schedule generation: jobs by `priority`, each task inserted at its earliest fit.

    Among jobs whose `after` jobs are all finished, the one with the smallest priority
    places its next operation, at the earliest time on the eligible machine where it
    finishes first (`machine_for` may impose a machine, e.g. the previous schedule's),
    filling earlier gaps when the operation fits there. Fixed operations stay put.
    """
    timelines = _timelines(prepared)
    placements: dict[Hashable, Placement] = {}
    ready_at = {key: job.release for key, job in prepared.jobs.items()}
    missing = {key: len(set(job.after)) for key, job in prepared.jobs.items()}
    position = dict.fromkeys(prepared.jobs, 0)
    heap = [(priority(k), prepared.rank[k], k) for k, n in missing.items() if n == 0]
    heapq.heapify(heap)
    while heap:
        prio, rank, key = heapq.heappop(heap)
        chain = prepared.chains[key]
        task = chain[position[key]]
        earliest = ready_at[key]
        if task.fixed is not None:
            machine, start = task.fixed
            place = Placement(machine, start, start + prepared.durations[task.key][machine])
        else:
            durations = prepared.durations[task.key]
            wanted = machine_for(task.key) if machine_for else None
            options = [wanted] if wanted in durations else list(durations)
            place = None
            for machine in options:
                start = timelines[machine].fit(earliest, durations[machine])
                end = start + durations[machine]
                if place is None or end < place.end:
                    place = Placement(machine, start, end)
            timelines[place.machine].add(place.start, place.end)
        placements[task.key] = place
        ready_at[key] = max(earliest, place.end)
        position[key] += 1
        if position[key] < len(chain):
            heapq.heappush(heap, (prio, rank, key))
            continue
        for other in set(prepared.waiting[key]):
            ready_at[other] = max(ready_at[other], place.end)
            missing[other] -= 1
            if missing[other] == 0:
                heapq.heappush(heap, (priority(other), prepared.rank[other], other))
    return placements


def edd_priority(prepared: Prepared) -> Callable[[Hashable], tuple]:
    """Earliest due date first; jobs without one after all dated jobs."""

    def priority(key: Hashable) -> tuple:
        due = prepared.jobs[key].due
        return (due is None, due if due is not None else 0)

    return priority


def solution_from(prepared: Prepared, placements: dict[Hashable, Placement], status: str, started: float) -> Solution:
    makespan, weighted, tardiness = evaluate(prepared, placements)
    return Solution(
        status=status,
        placements=placements,
        makespan=makespan,
        weighted_tardiness=weighted,
        lower_bound=0,
        seconds=time.monotonic() - started,
        tardiness=tardiness,
    )


def dispatch_prepared(prepared: Prepared, started: float | None = None) -> Solution:
    started = time.monotonic() if started is None else started
    placements = list_schedule(prepared, edd_priority(prepared))
    return solution_from(prepared, placements, "DISPATCH", started)


def dispatch(problem: Problem) -> Solution:
    """The earliest-due-date dispatch rule: the fallback and the baseline to beat.

    Deterministic: the same problem gives the same plan (ties go to the job key order).
    """
    return dispatch_prepared(prepare(problem))


def repair_hint(prepared: Prepared, hint: dict[Hashable, Placement]) -> dict[Hashable, Placement]:
    """A valid schedule as close as a list schedule gets to `hint` (a previous plan).

    Jobs go in the order their operations started in the hint (new jobs after, by due
    date) and operations keep their hinted machine when it is still eligible, so a warm
    start survives new orders, finished operations and machines that went down.
    """
    edd = edd_priority(prepared)
    first_start: dict[Hashable, int] = {}
    for key, chain in prepared.chains.items():
        starts = [hint[t.key].start for t in chain if t.key in hint]
        if starts:
            first_start[key] = min(starts)

    def priority(key: Hashable) -> tuple:
        if key in first_start:
            return (0, first_start[key], 0)
        return (1,) + edd(key)

    def machine_for(task_key: Hashable) -> Hashable | None:
        place = hint.get(task_key)
        return place.machine if place is not None else None

    return list_schedule(prepared, priority, machine_for)


def left_shift(prepared: Prepared, placements: dict[Hashable, Placement]) -> dict[Hashable, Placement]:
    """Every operation as early as its machine order and its job allow (never later).

    Machine assignments and the order on each machine are kept; each operation, taken in
    start order, moves to the earliest open fit after its job predecessor and the
    previous operation of its machine. Since the old position stays feasible, nothing
    ends later, so tardiness and makespan can only fall.
    """
    timelines = {m: Timeline(iv) for m, iv in prepared.closed.items()}
    for machine in prepared.machines:
        timelines.setdefault(machine, Timeline())
    for machine, spans in prepared.fixed_spans().items():
        for start, end in spans:
            timelines[machine].add(start, end)
    previous_task: dict[Hashable, Hashable] = {}
    for chain in prepared.chains.values():
        for before, after in zip(chain, chain[1:], strict=False):
            previous_task[after.key] = before.key
    order = sorted(placements, key=lambda k: (placements[k].start, placements[k].end, prepared.tasks[k].index))
    machine_free: dict[Hashable, int] = {}
    shifted: dict[Hashable, Placement] = {}
    for key in order:
        task = prepared.tasks[key]
        old = placements[key]
        if task.fixed is not None:
            shifted[key] = old
            continue
        job = prepared.jobs[task.job]
        earliest = job.release
        if key in previous_task:
            earliest = max(earliest, shifted[previous_task[key]].end)
        else:
            for other in job.after:
                earliest = max(earliest, shifted[prepared.chains[other][-1].key].end)
        earliest = max(earliest, machine_free.get(old.machine, earliest))
        duration = old.end - old.start
        start = min(timelines[old.machine].fit(earliest, duration), old.start)
        shifted[key] = Placement(old.machine, start, start + duration)
        machine_free[old.machine] = start + duration
    return shifted
