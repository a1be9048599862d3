"""The scheduling model: job-shop optimum, every constraint, the dispatch rule, bad input, the command.

Pure data in and out (no database) except the command test. Time limits are solver
parameters, never assertions: the results asserted are proven optima or exact values.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from shopfloor.planning import solver_search
from shopfloor.planning.solver import (
    Alternative,
    Job,
    Placement,
    Problem,
    ProblemError,
    Solution,
    Task,
    check,
    dispatch,
    parse_orlibrary,
    solve,
    violations,
)
from shopfloor.planning.solver_prep import evaluate, prepare

DATA = Path(__file__).parent / "data"


def ft06() -> Problem:
    return parse_orlibrary((DATA / "ft06.txt").read_text())


def op(key, job, index, *alternatives, fixed=None) -> Task:
    """A task from (machine, duration) pairs."""
    return Task(key, job, index, tuple(Alternative(m, d) for m, d in alternatives), fixed)


# --- the job-shop benchmark through the plant's model ---------------------------------


def test_ft06_is_solved_to_its_known_optimum_55_and_proven():
    solution = solve(ft06(), objective="makespan", time_limit=30, workers=2)
    check(ft06(), solution)
    assert (solution.status, solution.makespan, solution.lower_bound) == ("OPTIMAL", 55, 55)


def test_decision_rounds_prove_the_optimum_after_a_first_plan(monkeypatch):
    # The optimisation phase stops at its first plan; the "makespan <= best - 1" rounds
    # must then improve it and prove 55.
    real = solver_search.solver_for

    def first_plan_only(time_limit, workers, **options):
        solver = real(time_limit, workers, **options)
        if workers > 1:
            solver.parameters.stop_after_first_solution = True
        return solver

    monkeypatch.setattr(solver_search, "solver_for", first_plan_only)
    solution = solve(ft06(), objective="makespan", time_limit=30, workers=2)
    check(ft06(), solution)
    assert solution.stats["decision_rounds"] >= 1
    assert (solution.status, solution.makespan, solution.lower_bound) == ("OPTIMAL", 55, 55)


def test_tardiness_objective_without_due_dates_minimises_the_makespan():
    solution = solve(ft06(), objective="tardiness", time_limit=30)
    check(ft06(), solution)
    assert (solution.status, solution.weighted_tardiness, solution.makespan) == ("OPTIMAL", 0, 55)


def test_warm_start_from_an_optimal_plan_returns_the_same_objective():
    first = solve(ft06(), objective="makespan", time_limit=30)
    again = solve(ft06(), objective="makespan", time_limit=30, hint=first.placements)
    check(ft06(), again)
    assert (again.status, again.makespan) == ("OPTIMAL", 55)


def test_an_old_incomplete_hint_is_repaired_not_trusted():
    problem = ft06()
    hint = {key: Placement(99, 0, 1) for key in list(ft06_keys(problem))[:5]}  # a machine gone
    solution = solve(problem, objective="makespan", time_limit=30, hint=hint)
    check(problem, solution)
    assert solution.makespan == 55


def ft06_keys(problem: Problem):
    return [task.key for task in problem.tasks]


# --- each constraint ----------------------------------------------------------------


def test_operations_of_a_job_run_in_index_order():
    # Indices given out of order on purpose: the chain follows `index`, not list order.
    problem = Problem(
        jobs=[Job("J")],
        tasks=[op("c", "J", 30, ("M3", 2)), op("a", "J", 10, ("M1", 5)), op("b", "J", 20, ("M2", 3))],
    )
    solution = solve(problem, objective="makespan", time_limit=10)
    check(problem, solution)
    starts = {k: (p.start, p.end) for k, p in solution.placements.items()}
    assert starts == {"a": (0, 5), "b": (5, 8), "c": (8, 10)}
    assert solution.makespan == 10


def test_alternatives_pick_the_faster_free_machine():
    # M2 is faster but busy with a fixed operation until 20: M1 finishes first (10 < 24).
    problem = Problem(
        jobs=[Job("A"), Job("B", due=10)],
        tasks=[
            op("pinned", "A", 1, ("M2", 20), fixed=("M2", 0)),
            op("free", "B", 1, ("M1", 10), ("M2", 4)),
        ],
    )
    solution = solve(problem, time_limit=10)
    check(problem, solution)
    assert solution.placements["free"] == Placement("M1", 0, 10)
    # Without the pinned operation the faster machine wins.
    alone = Problem(jobs=[Job("B")], tasks=[op("free", "B", 1, ("M1", 10), ("M2", 4))])
    assert solve(alone, objective="makespan", time_limit=10).placements["free"] == Placement("M2", 0, 4)


def test_closed_time_is_never_used():
    # Shifts: M1 closed [5, 10) and [18, 30). An 8-minute operation cannot start before 10.
    problem = Problem(
        jobs=[Job("J"), Job("K")],
        tasks=[op("long", "J", 1, ("M1", 8)), op("short", "K", 1, ("M1", 4))],
        closed={"M1": [(5, 10), (18, 30)]},
    )
    solution = solve(problem, objective="makespan", time_limit=10)
    check(problem, solution)
    assert solution.placements["long"] == Placement("M1", 10, 18)
    assert solution.placements["short"].end <= 5
    for place in solution.placements.values():
        for start, end in problem.closed["M1"]:
            assert place.end <= start or place.start >= end


def test_a_fixed_operation_stays_where_it_is():
    problem = Problem(
        jobs=[Job("J"), Job("K")],
        tasks=[
            op("j1", "J", 1, ("M1", 5)),
            op("j2", "J", 2, ("M1", 5), ("M2", 5), fixed=("M2", 7)),
            op("k1", "K", 1, ("M2", 6)),
        ],
    )
    solution = solve(problem, objective="makespan", time_limit=10)
    check(problem, solution)
    assert solution.placements["j2"] == Placement("M2", 7, 12)
    assert solution.placements["k1"].end <= 7  # 6 minutes fit before the pinned operation
    assert solution.makespan == 12


def test_a_fixed_operation_ending_last_sets_the_makespan_and_its_bound():
    problem = Problem(
        jobs=[Job("J"), Job("K")],
        tasks=[op("j1", "J", 1, ("M1", 5)), op("k1", "K", 1, ("M2", 5), fixed=("M2", 50))],
    )
    solution = solve(problem, objective="makespan", time_limit=10)
    check(problem, solution)
    assert (solution.status, solution.makespan, solution.lower_bound) == ("OPTIMAL", 55, 55)


def test_a_late_fixed_order_counts_in_the_tardiness_bound():
    problem = Problem(
        jobs=[Job("J", due=10, weight=2), Job("K", due=40, weight=3)],
        tasks=[op("j1", "J", 1, ("M1", 5)), op("k1", "K", 1, ("M2", 5), fixed=("M2", 50))],
    )
    solution = solve(problem, time_limit=10)
    check(problem, solution)
    assert (solution.status, solution.weighted_tardiness, solution.lower_bound) == ("OPTIMAL", 45, 45)


def test_release_dates_and_after_links_are_respected():
    # Child work order C feeds parent P: P starts after C ends; C is released at 30.
    problem = Problem(
        jobs=[Job("P", after=("C",)), Job("C", release=30)],
        tasks=[op("p1", "P", 1, ("M1", 10)), op("c1", "C", 1, ("M2", 5)), op("c2", "C", 2, ("M3", 5))],
    )
    solution = solve(problem, objective="makespan", time_limit=10)
    check(problem, solution)
    assert solution.placements["c1"].start == 30
    assert solution.placements["p1"] == Placement("M1", 40, 50)


def test_weighted_tardiness_beats_earliest_due_date_with_the_exact_optimum():
    # One machine. EDD runs A (due 10) first: B ends at 12, 1 min late x weight 5 = 5.
    # The optimum runs B first: A ends at 12, 2 min late x weight 1 = 2.
    problem = Problem(
        jobs=[Job("A", due=10, weight=1), Job("B", due=11, weight=5)],
        tasks=[op("a", "A", 1, ("M", 10)), op("b", "B", 1, ("M", 2))],
    )
    baseline = dispatch(problem)
    check(problem, baseline)
    assert (baseline.status, baseline.weighted_tardiness) == ("DISPATCH", 5)
    solution = solve(problem, time_limit=10)
    check(problem, solution)
    assert (solution.status, solution.weighted_tardiness, solution.makespan) == ("OPTIMAL", 2, 12)
    assert solution.tardiness == {"A": 2, "B": 0}
    assert solution.lower_bound == 2


def test_makespan_is_minimised_second_without_giving_up_tardiness():
    # Both plans have zero tardiness; the lexicographic second phase shortens the plan
    # by running the long job's first operation on the fast machine.
    problem = Problem(
        jobs=[Job("A", due=100), Job("B", due=100)],
        tasks=[
            op("a1", "A", 1, ("M1", 10), ("M2", 3)),
            op("a2", "A", 2, ("M3", 20)),
            op("b1", "B", 1, ("M1", 2), ("M2", 9)),
        ],
    )
    solution = solve(problem, time_limit=10)
    check(problem, solution)
    assert (solution.weighted_tardiness, solution.makespan, solution.status) == (0, 23, "OPTIMAL")


# --- the dispatch rule -------------------------------------------------------------


def random_problem(seed: int, jobs: int = 12, machines: int = 4) -> Problem:
    """Alternatives, closed time, a fixed operation, releases, dues and after links."""
    rnd = random.Random(seed)
    job_list, tasks = [], []
    for j in range(jobs):
        after = (j - 1,) if j % 4 == 3 else ()
        job_list.append(
            Job(j, release=rnd.randint(0, 30), due=rnd.randint(30, 120), weight=rnd.randint(1, 3), after=after)
        )
        for i in range(rnd.randint(1, 3)):
            eligible = rnd.sample(range(machines), rnd.randint(1, 2))
            alternatives = tuple(Alternative(m, rnd.randint(1, 15)) for m in eligible)
            tasks.append(Task((j, i), j, i, alternatives))
    first = tasks[0]
    if not job_list[first.job].after:
        tasks[0] = Task(first.key, first.job, first.index, first.alternatives, (first.alternatives[0].machine, 200))
    closed = {m: [(40 + 10 * m, 50 + 10 * m), (150, 160)] for m in range(machines)}
    return Problem(jobs=job_list, tasks=tasks, closed=closed)


def test_dispatch_is_valid_and_deterministic():
    for seed in range(5):
        problem = random_problem(seed)
        first, second = dispatch(problem), dispatch(problem)
        check(problem, first)
        assert first.placements == second.placements
        assert first.status == "DISPATCH"


def test_dispatch_runs_the_earliest_due_job_first_and_breaks_ties_by_key():
    problem = Problem(
        jobs=[Job("late", due=50), Job("b", due=20), Job("a", due=20), Job("none")],
        tasks=[op(k, k, 1, ("M", 5)) for k in ("late", "b", "a", "none")],
    )
    solution = dispatch(problem)
    order = sorted(solution.placements, key=lambda k: solution.placements[k].start)
    assert order == ["a", "b", "late", "none"]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_dispatch_plans_keep_every_rule(seed):
    problem = random_problem(seed)
    check(problem, dispatch(problem))


def test_solve_never_does_worse_than_the_dispatch_rule():
    for seed in range(3):
        problem = random_problem(seed, jobs=10)
        solution = solve(problem, time_limit=10)
        check(problem, solution)
        assert solution.weighted_tardiness <= dispatch(problem).weighted_tardiness


def test_the_window_search_keeps_every_rule_and_improves_on_dispatch(monkeypatch):
    monkeypatch.setattr(solver_search, "WINDOW_SIZE", 15)
    problem = random_problem(7, jobs=40, machines=3)
    baseline = dispatch(problem)
    solution = solve(problem, time_limit=4, method="window")
    check(problem, solution)
    assert solution.status == "FEASIBLE"
    assert solution.weighted_tardiness <= baseline.weighted_tardiness


def test_no_solution_in_time_falls_back_to_the_dispatch_rule(monkeypatch):
    from ortools.sat.python import cp_model

    def no_time(time_limit, workers, **options):
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = 0.0
        return solver

    monkeypatch.setattr(solver_search, "solver_for", no_time)
    problem = random_problem(1)
    solution = solve(problem, time_limit=10)
    check(problem, solution)
    assert solution.status == "DISPATCH"
    assert solution.placements == dispatch(problem).placements


def test_check_reports_broken_rules():
    problem = Problem(jobs=[Job("J")], tasks=[op("a", "J", 1, ("M", 5)), op("b", "J", 2, ("M", 5))])
    bad = Solution("FEASIBLE", {"a": Placement("M", 0, 5), "b": Placement("M", 3, 8)}, 8, 0, 0, 0.0)
    found = violations(problem, bad)
    assert "operation b starts before a of job J ends" in found
    assert "operations a and b overlap on machine M" in found
    with pytest.raises(AssertionError):
        check(problem, bad)


# --- bad problems ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (Problem(jobs=[Job("J")], tasks=[Task("op10", "J", 1, ())]), "operation op10 has no eligible machine"),
        (
            Problem(jobs=[Job("J")], tasks=[op("x", "J", 1, ("M", 1)), op("y", "J", 1, ("M", 1))]),
            "job J has two operations with index 1 (x and y)",
        ),
        (
            Problem(
                jobs=[Job("A", after=("B",)), Job("B", after=("A",))],
                tasks=[op("a", "A", 1, ("M", 1)), op("b", "B", 1, ("M", 1))],
            ),
            "jobs wait for each other in a cycle: A -> B -> A",
        ),
        (
            Problem(jobs=[Job("J")], tasks=[op("x", "J", 1, ("M1", 3), fixed=("M9", 0))]),
            "operation x is fixed on machine M9, which is not one of its eligible machines",
        ),
        (
            Problem(jobs=[Job("J", after=("ghost",))], tasks=[op("x", "J", 1, ("M", 1))]),
            "job J waits for unknown job ghost",
        ),
        (
            Problem(
                jobs=[Job("J")],
                tasks=[op("x", "J", 1, ("M1", 600), ("M2", 700))],
                closed={"M1": [(480, 960)], "M2": [(0, 100), (500, 960)]},
                horizon=960,
            ),
            "operation x is longer than every open window of its machines "
            "(M1: 600 min vs longest open window 480 min, M2: 700 min vs longest open window 400 min)",
        ),
    ],
)
def test_bad_problems_are_refused_naming_the_culprit(problem, message):
    with pytest.raises(ProblemError) as error:
        solve(problem, time_limit=5)
    assert str(error.value) == message
    with pytest.raises(ProblemError):
        dispatch(problem)


def test_an_infeasible_problem_is_an_error_not_a_plan():
    # Each job fits the horizon alone; together they do not.
    problem = Problem(
        jobs=[Job("A"), Job("B")],
        tasks=[op("a", "A", 1, ("M", 6)), op("b", "B", 1, ("M", 6))],
        horizon=10,
    )
    with pytest.raises(ProblemError, match="horizon"):
        solve(problem, time_limit=5)


def test_a_fixed_operation_its_job_cannot_reach_is_explained():
    problem = Problem(
        jobs=[Job("J")],
        tasks=[op("first", "J", 1, ("M1", 10)), op("pinned", "J", 2, ("M2", 5), fixed=("M2", 4))],
    )
    with pytest.raises(ProblemError, match="fixed operation pinned starts at minute 4, but its job J"):
        solve(problem, time_limit=5)


# --- the OR-Library format ---------------------------------------------------------


def test_parse_reads_the_orlibrary_file_with_its_header():
    problem = ft06()
    assert len(problem.jobs) == 6 and len(problem.tasks) == 36
    first = problem.tasks[0]
    assert (first.key, first.job, first.index, first.alternatives) == ((0, 0), 0, 0, (Alternative(2, 1),))


def test_parse_reads_a_bare_file_with_comments():
    problem = parse_orlibrary("# two jobs\n2 2\n0 3 1 2\n\n1 4 0 1\n")
    assert [(t.key, t.alternatives[0].machine, t.alternatives[0].duration) for t in problem.tasks] == [
        ((0, 0), 0, 3),
        ((0, 1), 1, 2),
        ((1, 0), 1, 4),
        ((1, 1), 0, 1),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no 'jobs machines' line: the file holds no instance"),
        ("2\n0 1 1 1\n", "line 1: expected 'jobs machines' (two integers), got '2'"),
        ("2 x\n0 1 1 1\n", "line 1: 'x' is not an integer"),
        ("2 2\n0 1 1 1\n1 1 0\n", "line 3: job 1 has 3 numbers, expected 4 (2 machine/duration pairs)"),
        ("2 2\n0 1 1 1\n1 1 0 z\n", "line 3: 'z' is not an integer"),
        ("2 2\n0 1 1 -4\n1 1 0 1\n", "line 2: job 0 operation 1 has a negative duration (-4)"),
        ("2 2\n0 1 2 1\n1 1 0 1\n", "line 2: job 0 operation 1 uses machine 2; machines are numbered 0 to 1"),
        ("2 2\n0 1 1 1\n", "line 2: expected 2 job lines, found 1 (missing lines)"),
        ("1 2\n0 1 1 1\n1 1 0 1\n", "line 3: unexpected data after the last job: '1 1 0 1'"),
        ("0 2\n", "line 1: jobs and machines must be at least 1, got '0 2'"),
    ],
)
def test_malformed_files_say_which_line_and_what(text, message):
    with pytest.raises(ProblemError) as error:
        parse_orlibrary(text)
    assert str(error.value) == message


# --- manage.py jobshop -------------------------------------------------------------


def test_the_command_prints_the_result_as_json(tmp_path, capsys):
    instance = tmp_path / "ft06.txt"
    instance.write_text((DATA / "ft06.txt").read_text())
    call_command("jobshop", str(instance), "--time-limit", "30")
    result = json.loads(capsys.readouterr().out)
    assert result.pop("seconds") >= 0
    assert result == {
        "instance": "ft06",
        "jobs": 6,
        "machines": 6,
        "makespan": 55,
        "status": "OPTIMAL",
        "lower_bound": 55,
    }


def test_the_command_names_file_and_line_of_a_bad_file(tmp_path):
    instance = tmp_path / "broken.txt"
    instance.write_text("2 2\n0 1 1 1\n1 1 0 q\n")
    with pytest.raises(CommandError) as error:
        call_command("jobshop", str(instance))
    assert str(error.value) == f"{instance}: line 3: 'q' is not an integer"


def test_the_priority_search_promotes_the_late_heavy_order():
    # The one-machine pair of the exact-optimum test: EDD runs A first (B 1 min late x 5);
    # one squeaky-wheel round moves B ahead of A (11 - 0.3 x 5 < 10): A 2 min late x 1.
    problem = Problem(
        jobs=[Job("A", due=10, weight=1), Job("B", due=11, weight=5), Job("undated")],
        tasks=[op("a", "A", 1, ("M", 10)), op("b", "B", 1, ("M", 2)), op("u", "undated", 1, ("M", 1))],
    )
    plan, rounds = solver_search._priority_search(prepare(problem), time.monotonic() + 30)
    assert plan == {"b": Placement("M", 0, 2), "a": Placement("M", 2, 12), "u": Placement("M", 12, 13)}
    # Stops by itself: one better round, then PATIENCE rounds per restart with nothing better.
    assert rounds == 2 + solver_search.PRIORITY_PATIENCE * solver_search.PRIORITY_RESTARTS


def test_the_window_search_starts_from_the_priority_search(monkeypatch):
    problem = random_problem(3, jobs=30, machines=3)
    prepared = prepare(problem)
    searched, _ = solver_search._priority_search(prepared, time.monotonic() + 30)
    # Only the start: no window is re-planned, and the priority search has the time.
    monkeypatch.setattr(solver_search, "_solve_window", lambda *args, **kwargs: None)
    monkeypatch.setattr(solver_search, "PRIORITY_SHARE", 0.95)
    solution = solve(problem, time_limit=6, method="window")
    check(problem, solution)
    assert solution.stats["priority_rounds"] > 0
    assert solution.weighted_tardiness == min(evaluate(prepared, searched)[1], solution.stats["start_cost"][0])
    assert solution.weighted_tardiness <= dispatch(problem).weighted_tardiness
