"""Checking a `Problem` before any solver sees it, and the small time arithmetic they share.

Every solver (CP-SAT, the dispatch rule, the neighbourhood search) works on a `Prepared`
problem: validated once, chains sorted, closed time merged, a safe horizon chosen. Bad input
raises `ProblemError` here with the culprit named, so no solver builds a model that can only
come back INFEASIBLE without saying why.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from shopfloor.planning.solver_types import Job, Placement, Problem, ProblemError, Solution, Task

INFINITY = float("inf")


def merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping, non-touching [start, end) intervals; empty ones dropped."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`intervals` minus `holes` (both merged lists)."""
    result: list[tuple[int, int]] = []
    for start, end in intervals:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            if h_end <= start or h_start >= end:
                continue
            next_pieces = []
            for p_start, p_end in pieces:
                if h_end <= p_start or h_start >= p_end:
                    next_pieces.append((p_start, p_end))
                    continue
                if p_start < h_start:
                    next_pieces.append((p_start, h_start))
                if h_end < p_end:
                    next_pieces.append((h_end, p_end))
            pieces = next_pieces
        result.extend(pieces)
    return result


class Timeline:
    """A machine's busy time as merged intervals, with first-fit search and insertion.

    Used by the dispatch rule (insertion into gaps) and the left shift; both need "the
    earliest start >= t where d minutes fit", which a bisect over merged intervals answers
    without scanning the whole calendar.
    """

    def __init__(self, busy: Iterable[tuple[int, int]] = ()) -> None:
        merged = merge(busy)
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def fit(self, earliest: int, duration: int) -> int:
        """The earliest start >= `earliest` where [start, start + duration) is free."""
        i = bisect.bisect_right(self.starts, earliest) - 1
        if i >= 0 and self.ends[i] > earliest:
            earliest = self.ends[i]
        i += 1
        while i < len(self.starts) and earliest + duration > self.starts[i]:
            if duration == 0 and earliest <= self.starts[i]:
                break
            earliest = self.ends[i]
            i += 1
        return earliest

    def add(self, start: int, end: int) -> None:
        """Mark [start, end) busy, merging with touching neighbours."""
        if end <= start:
            return
        i = bisect.bisect_left(self.starts, start)
        lo = i
        if lo > 0 and self.ends[lo - 1] >= start:
            lo -= 1
        hi = i
        while hi < len(self.starts) and self.starts[hi] <= end:
            hi += 1
        if lo < hi:
            start = min(start, self.starts[lo])
            end = max(end, self.ends[hi - 1])
        self.starts[lo:hi] = [start]
        self.ends[lo:hi] = [end]


@dataclass
class Prepared:
    """A validated problem in the shapes the solvers want."""

    problem: Problem
    jobs: dict[Hashable, Job]
    chains: dict[Hashable, list[Task]]
    tasks: dict[Hashable, Task]
    closed: dict[Hashable, list[tuple[int, int]]]
    horizon: int
    origin: int
    topo: list[Hashable]
    waiting: dict[Hashable, list[Hashable]]
    machines: list[Hashable]
    rank: dict[Hashable, int]
    durations: dict[Hashable, dict[Hashable, int]] = field(default_factory=dict)

    def fixed_spans(self) -> dict[Hashable, list[tuple[int, int]]]:
        spans: dict[Hashable, list[tuple[int, int]]] = {}
        for task in self.tasks.values():
            if task.fixed is not None:
                machine, start = task.fixed
                spans.setdefault(machine, []).append((start, start + self.durations[task.key][machine]))
        return spans


def _key_rank(keys: list[Hashable]) -> dict[Hashable, int]:
    """Job key order for ties; keys of mixed types fall back to (type name, text)."""
    try:
        ordered = sorted(keys)  # type: ignore[type-var]
    except TypeError:
        ordered = sorted(keys, key=lambda k: (type(k).__name__, str(k)))
    return {key: i for i, key in enumerate(ordered)}


def _cycle(after: dict[Hashable, tuple[Hashable, ...]], stuck: set[Hashable]) -> list[Hashable]:
    """One cycle among `stuck` jobs (each waits for another stuck job), for the message."""
    node = next(iter(sorted(stuck, key=str)))
    seen: list[Hashable] = []
    while node not in seen:
        seen.append(node)
        node = next(a for a in after[node] if a in stuck)
    return seen[seen.index(node) :] + [node]


def prepare(problem: Problem) -> Prepared:
    """Validate `problem` and index it; raises ProblemError naming the culprit."""
    jobs: dict[Hashable, Job] = {}
    for job in problem.jobs:
        if job.key in jobs:
            raise ProblemError(f"job {job.key} appears twice")
        if job.weight < 0:
            raise ProblemError(f"job {job.key} has a negative weight ({job.weight})")
        jobs[job.key] = job

    tasks: dict[Hashable, Task] = {}
    chains: dict[Hashable, list[Task]] = {key: [] for key in jobs}
    durations: dict[Hashable, dict[Hashable, int]] = {}
    for task in problem.tasks:
        if task.key in tasks:
            raise ProblemError(f"operation {task.key} appears twice")
        if task.job not in jobs:
            raise ProblemError(f"operation {task.key} belongs to unknown job {task.job}")
        if not task.alternatives:
            raise ProblemError(f"operation {task.key} has no eligible machine")
        per_machine: dict[Hashable, int] = {}
        for alt in task.alternatives:
            if alt.duration < 0 or alt.setup < 0:
                raise ProblemError(f"operation {task.key} has a negative duration or setup on machine {alt.machine}")
            # The same machine listed twice: the faster way of running it is the one kept.
            per_machine[alt.machine] = min(alt.duration, per_machine.get(alt.machine, alt.duration))
        if task.fixed is not None and task.fixed[0] not in per_machine:
            raise ProblemError(
                f"operation {task.key} is fixed on machine {task.fixed[0]}, which is not one of its eligible machines"
            )
        durations[task.key] = per_machine
        tasks[task.key] = task
        chains[task.job].append(task)

    for key, chain in chains.items():
        if not chain:
            raise ProblemError(f"job {key} has no operations")
        chain.sort(key=lambda t: t.index)
        for before, after in zip(chain, chain[1:], strict=False):
            if before.index == after.index:
                raise ProblemError(
                    f"job {key} has two operations with index {after.index} ({before.key} and {after.key})"
                )

    # Jobs waiting for other jobs: unknown names and cycles are refused, then a
    # topological order is kept for the list schedulers.
    waiting: dict[Hashable, list[Hashable]] = {key: [] for key in jobs}
    missing: dict[Hashable, int] = {}
    for job in jobs.values():
        for other in job.after:
            if other not in jobs:
                raise ProblemError(f"job {job.key} waits for unknown job {other}")
            waiting[other].append(job.key)
        missing[job.key] = len(set(job.after))
    rank = _key_rank(list(jobs))
    ready = sorted((k for k, n in missing.items() if n == 0), key=rank.__getitem__)
    topo: list[Hashable] = []
    while ready:
        key = ready.pop()
        topo.append(key)
        for other in set(waiting[key]):
            missing[other] -= 1
            if missing[other] == 0:
                ready.append(other)
    if len(topo) < len(jobs):
        stuck = {k for k, n in missing.items() if n > 0}
        cycle = _cycle({k: j.after for k, j in jobs.items()}, stuck)
        raise ProblemError("jobs wait for each other in a cycle: " + " -> ".join(map(str, cycle)))

    machines_seen: dict[Hashable, None] = {}
    for task in tasks.values():
        for machine in durations[task.key]:
            machines_seen.setdefault(machine, None)
    for machine in problem.closed:
        machines_seen.setdefault(machine, None)
    machines = list(machines_seen)

    for machine, intervals in problem.closed.items():
        for start, end in intervals:
            if end < start:
                raise ProblemError(f"closed time ({start}, {end}) of machine {machine} ends before it starts")

    # Fixed operations stay where they are; two on one machine at once is a data error.
    fixed_by_machine: dict[Hashable, list[tuple[int, int, Hashable]]] = {}
    for task in tasks.values():
        if task.fixed is not None:
            machine, start = task.fixed
            end = start + durations[task.key][machine]
            fixed_by_machine.setdefault(machine, []).append((start, end, task.key))
    for machine, spans in fixed_by_machine.items():
        spans.sort(key=lambda s: (s[0], s[1]))
        for (s1, e1, k1), (s2, e2, k2) in zip(spans, spans[1:], strict=False):
            if s2 < e1 and e2 > s2 and e1 > s1:
                raise ProblemError(f"fixed operations {k1} and {k2} overlap on machine {machine}")

    # Closed time under a fixed (started or pinned) operation is ignored: the operation is
    # where it is, the solvers only plan around it.
    closed: dict[Hashable, list[tuple[int, int]]] = {}
    for machine in machines:
        merged = merge(problem.closed.get(machine, ()))
        holes = merge((s, e) for s, e, _ in fixed_by_machine.get(machine, ()))
        closed[machine] = subtract(merged, holes) if holes else merged

    starts = [0] + [j.release for j in jobs.values()]
    starts += [t.fixed[1] for t in tasks.values() if t.fixed is not None]
    origin = min(starts)
    if problem.horizon is not None:
        horizon = int(problem.horizon)
    else:
        latest = max(
            [0]
            + [j.release for j in jobs.values()]
            + [iv[-1][1] for iv in closed.values() if iv]
            + [e for spans in fixed_by_machine.values() for _, e, _ in spans]
        )
        horizon = latest + sum(max(d.values()) for k, d in durations.items() if tasks[k].fixed is None)

    prepared = Prepared(
        problem=problem,
        jobs=jobs,
        chains=chains,
        tasks=tasks,
        closed=closed,
        horizon=horizon,
        origin=origin,
        topo=topo,
        waiting=waiting,
        machines=machines,
        rank=rank,
        durations=durations,
    )
    _check_windows(prepared)
    return prepared


def longest_window(prepared: Prepared, machine: Hashable) -> float:
    """The longest open stretch of `machine` before the horizon (infinite when none is set)."""
    closed = prepared.closed.get(machine, [])
    bounded = prepared.problem.horizon is not None
    end_of_time = prepared.horizon if bounded else INFINITY
    longest: float = 0
    cursor: float = prepared.origin
    for start, end in closed:
        longest = max(longest, min(start, end_of_time) - cursor)
        cursor = max(cursor, end)
    return max(longest, end_of_time - cursor)


def _check_windows(prepared: Prepared) -> None:
    """An operation longer than every open window of all its machines can never be placed."""
    cache: dict[Hashable, float] = {}
    for task in prepared.tasks.values():
        if task.fixed is not None:
            continue
        fits = False
        for machine, duration in prepared.durations[task.key].items():
            if machine not in cache:
                cache[machine] = longest_window(prepared, machine)
            if duration <= cache[machine]:
                fits = True
                break
        if not fits:
            detail = ", ".join(
                f"{m}: {d} min vs longest open window {int(cache[m])} min"
                for m, d in prepared.durations[task.key].items()
            )
            raise ProblemError(f"operation {task.key} is longer than every open window of its machines ({detail})")


def evaluate(prepared: Prepared, placements: dict[Hashable, Placement]) -> tuple[int, int, dict[Hashable, int]]:
    """(makespan, weighted tardiness, tardiness per job with a due date) of a placement set."""
    makespan = max((p.end for p in placements.values()), default=0)
    weighted = 0
    tardiness: dict[Hashable, int] = {}
    for key, job in prepared.jobs.items():
        if job.due is None:
            continue
        late = max(0, placements[prepared.chains[key][-1].key].end - job.due)
        tardiness[key] = late
        weighted += job.weight * late
    return makespan, weighted, tardiness


def violations(problem: Problem, solution: Solution) -> list[str]:
    """Every broken rule of `solution` for `problem`, in words (empty when it is valid)."""
    prepared = prepare(problem)
    found: list[str] = []
    placements = solution.placements
    by_machine: dict[Hashable, list[tuple[int, int, Hashable]]] = {}
    for key, task in prepared.tasks.items():
        place = placements.get(key)
        if place is None:
            found.append(f"operation {key} is not placed")
            continue
        durations = prepared.durations[key]
        if place.machine not in durations:
            found.append(f"operation {key} is on machine {place.machine}, not an eligible one")
        elif place.end - place.start != durations[place.machine]:
            found.append(
                f"operation {key} lasts {place.end - place.start} min on {place.machine}, "
                f"expected {durations[place.machine]}"
            )
        if task.fixed is not None and (place.machine, place.start) != tuple(task.fixed):
            found.append(f"fixed operation {key} moved to {place.machine} at {place.start}")
        if place.start < prepared.jobs[task.job].release:
            found.append(f"operation {key} starts at {place.start}, before its job's release")
        if problem.horizon is not None and place.end > problem.horizon:
            found.append(f"operation {key} ends at {place.end}, after the horizon {problem.horizon}")
        by_machine.setdefault(place.machine, []).append((place.start, place.end, key))
        if task.fixed is None and place.end > place.start:
            for c_start, c_end in prepared.closed.get(place.machine, ()):
                if c_start < place.end and place.start < c_end:
                    found.append(
                        f"operation {key} [{place.start}, {place.end}) overlaps closed time "
                        f"[{c_start}, {c_end}) of machine {place.machine}"
                    )
    if found:
        return found
    for machine, spans in by_machine.items():
        spans.sort()
        busy_until, busy_key = None, None
        for start, end, key in spans:
            if end == start:
                continue
            if busy_until is not None and start < busy_until:
                found.append(f"operations {busy_key} and {key} overlap on machine {machine}")
            if busy_until is None or end > busy_until:
                busy_until, busy_key = end, key
    for key, chain in prepared.chains.items():
        for before, after in zip(chain, chain[1:], strict=False):
            if placements[after.key].start < placements[before.key].end:
                found.append(f"operation {after.key} starts before {before.key} of job {key} ends")
        first = placements[chain[0].key].start
        for other in prepared.jobs[key].after:
            if first < placements[prepared.chains[other][-1].key].end:
                found.append(f"job {key} starts before job {other} ends")
    makespan, weighted, tardiness = evaluate(prepared, placements)
    if solution.makespan != makespan:
        found.append(f"makespan says {solution.makespan}, the placements give {makespan}")
    if solution.weighted_tardiness != weighted:
        found.append(f"weighted tardiness says {solution.weighted_tardiness}, the placements give {weighted}")
    for key, late in tardiness.items():
        if solution.tardiness.get(key, 0) != late:
            found.append(f"tardiness of job {key} says {solution.tardiness.get(key)}, expected {late}")
    return found


def check(problem: Problem, solution: Solution) -> None:
    """Assert that `solution` keeps every rule of `problem` (for tests of every scheduler)."""
    found = violations(problem, solution)
    if found:
        more = f"\n... and {len(found) - 20} more" if len(found) > 20 else ""
        raise AssertionError("invalid schedule:\n" + "\n".join(found[:20]) + more)
