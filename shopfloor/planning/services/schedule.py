"""Finite-capacity schedule runs and the planner's pins.

A run moves queued -> running -> done | failed, like an MRP run: `request_schedule` creates it
and queues the Celery task once the caller's transaction commits; `run_schedule` (the task's
body, never a web request's) builds the plant's problem, solves it with CP-SAT warm-started
from the plan in force, computes the earliest-due-date baseline on the same data for
comparison, and writes every placement, the conflict report and the run's figures in ONE
transaction. A run that fails (no eligible machine, a calendar with no working time...)
saves nothing but its status `failed` and an `error` naming the culprit.

Progress is saved in its own short autocommitted writes so the page polling the run sees it
move (inside a surrounding transaction, as in a test, other connections see it at commit).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shopfloor.core import access, audit, events, tenancy
from shopfloor.core.models import Plant
from shopfloor.planning import schedule_conflicts, scheduling, solver
from shopfloor.planning.models import OperationPin, ScheduleConflict, ScheduledOperation, ScheduleRun
from shopfloor.planning.services import runs
from shopfloor.production.models import Operation as JobCard
from shopfloor.resources.models import Machine

logger = logging.getLogger(__name__)

RUN_SCHEDULE = "planning.add_schedulerun"
PIN = "planning.add_operationpin"
UNPIN = "planning.delete_operationpin"
FINISHED_EVENT = "planning.schedule.finished"
MAX_TIME_LIMIT = 3600


def current_run(plant: Plant) -> ScheduleRun | None:
    """The schedule in force: the plant's newest finished run."""
    return (
        ScheduleRun.objects.filter(plant=plant, status=ScheduleRun.Status.DONE).order_by("-finished_at", "-id").first()
    )


@transaction.atomic
def request_schedule(
    *,
    actor: Any,
    plant: Plant,
    time_limit: int = 60,
    include_planned_orders: bool = True,
    trigger: str = ScheduleRun.Trigger.MANUAL,
) -> ScheduleRun:
    """Queue a schedule run of `plant`; the Celery task starts once this transaction commits.

    A run asked for by the system (a machine went down: `actor` None) needs no permission.
    While a run of the plant is still queued, asking again returns that run: it will read
    the plant as it is when it starts, so a second one would only repeat it.
    """
    if actor is not None:
        access.require(actor, RUN_SCHEDULE, plant=plant)
    if plant.organization_id != tenancy.require_organization().pk:
        raise ValidationError({"plant": ["Unknown plant."]})
    try:
        limit = int(time_limit)
    except (TypeError, ValueError):
        raise ValidationError({"time_limit": ["Give the time limit in whole seconds."]}) from None
    if not 1 <= limit <= MAX_TIME_LIMIT:
        raise ValidationError({"time_limit": [f"Give the solver between 1 and {MAX_TIME_LIMIT} seconds."]})
    if trigger not in ScheduleRun.Trigger.values:
        raise ValidationError({"trigger": [f"'{trigger}' is not a trigger of a schedule run."]})
    waiting = (
        ScheduleRun.objects.select_for_update()
        .filter(plant=plant, status=ScheduleRun.Status.QUEUED)
        .order_by("-id")
        .first()
    )
    if waiting is not None:
        return waiting
    user = actor if getattr(actor, "is_authenticated", False) else None
    run = ScheduleRun.objects.create(
        organization=plant.organization,
        plant=plant,
        trigger=trigger,
        time_limit_seconds=limit,
        include_planned_orders=bool(include_planned_orders),
        requested_by=user,
        created_by=user,
        message="Waiting for a worker",
    )
    audit.record(actor, run, action="create", changes=audit.diff({}, audit.snapshot(run)))
    run_id = run.pk
    transaction.on_commit(lambda: _queue(run_id))
    return run


def _queue(run_id: int) -> None:
    from shopfloor.planning import tasks_schedule

    runs.queue(tasks_schedule.run_schedule_task, run_id, "schedule run")


def _save_progress(run_id: int, percent: int, message: str) -> None:
    runs.save_progress(ScheduleRun, run_id, percent, message)


def run_schedule(run_id: int, *, now: datetime | None = None) -> ScheduleRun:
    """Run a queued run once (a redelivered task finds it taken and returns it as it is)."""
    claimed = ScheduleRun.objects.unscoped().filter(pk=run_id, status=ScheduleRun.Status.QUEUED)
    if not claimed.update(status=ScheduleRun.Status.RUNNING, started_at=timezone.now(), progress=1, message="Starting"):
        return ScheduleRun.objects.unscoped().get(pk=run_id)
    run = ScheduleRun.objects.unscoped().select_related("organization", "plant", "requested_by").get(pk=run_id)
    with tenancy.use(run.organization, run.requested_by, run.plant):
        started = time.perf_counter()
        try:
            _save_progress(run_id, 5, "Reading work orders, calendars and downtime")
            built = scheduling.build_problem(
                run.plant, now=now or timezone.now(), include_planned_orders=run.include_planned_orders
            )
            built_at = time.perf_counter()
            previous = current_run(run.plant)
            hint = scheduling.hint_from(previous.operations.all(), built) if previous is not None else {}
            _save_progress(
                run_id, 20, f"Optimising {len(built.problem.tasks)} operations (up to {run.time_limit_seconds} s)"
            )
            solution, method = _solve(built, run.time_limit_seconds, hint)
            solved_at = time.perf_counter()
            _save_progress(run_id, 85, "Comparing with the earliest-due-date rule")
            baseline = solver.dispatch(built.problem) if built.problem.tasks else solution
            _verify(built, solution)
            _save_progress(run_id, 90, "Finding why orders are late")
            conflicts = schedule_conflicts.late_order_conflicts(built, solution)
            conflicts += schedule_conflicts.material_conflicts(built, solution, run.plant)
            stats = {
                "operations": len(built.problem.tasks),
                "orders": len(built.problem.jobs),
                "machines": len(built.machines),
                "fixed": sum(1 for t in built.problem.tasks if t.fixed is not None),
                "late_orders": sum(1 for c in conflicts if c.kind != "material"),
                "material_conflicts": sum(1 for c in conflicts if c.kind == "material"),
                "hinted": len(hint),
                "horizon_days": (built.problem.horizon or 0) // 1440,
                "notes": built.notes,
                "seconds": {
                    "build": round(built_at - started, 3),
                    "solve": round(solved_at - built_at, 3),
                    "solver": round(solution.seconds, 3),
                },
            }
            _save_schedule(run, built, solution, method, baseline, conflicts, stats, started)
        except (solver.ProblemError, ValidationError) as exc:
            _fail(run, "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        except Exception as exc:
            logger.exception("Schedule run %s failed unexpectedly.", run_id)
            _fail(run, f"Unexpected error ({type(exc).__name__}): {exc}")
    run.refresh_from_db()
    return run


def _solve(built: scheduling.PlantProblem, time_limit: int, hint: dict) -> tuple[solver.Solution, str]:
    """CP-SAT first; the dispatch rule when it finds nothing in time."""
    if not built.problem.tasks:
        return solver.Solution(
            status="OPTIMAL", placements={}, makespan=0, weighted_tardiness=0, lower_bound=0, seconds=0.0
        ), ScheduleRun.Method.CP_SAT
    workers = int(getattr(settings, "PLANNING_SOLVER_WORKERS", 2))
    solution = solver.solve(built.problem, time_limit=float(time_limit), workers=workers, hint=hint or None)
    if solution.status in ("OPTIMAL", "FEASIBLE") and solution.placements:
        return solution, ScheduleRun.Method.CP_SAT
    if solution.status == "DISPATCH" and solution.placements:
        return solution, ScheduleRun.Method.DISPATCH
    fallback = solver.dispatch(built.problem)
    if not fallback.placements:
        raise solver.ProblemError(f"No schedule found: the solver answered {solution.status}.")
    return fallback, ScheduleRun.Method.DISPATCH


def _verify(built: scheduling.PlantProblem, solution: solver.Solution) -> None:
    """The solver's own rule check: a plan that breaks a rule is never stored."""
    if not built.problem.tasks:
        return
    problems = solver.violations(built.problem, solution)
    if problems:
        raise solver.ProblemError("The schedule breaks the rules: " + "; ".join(problems[:5]))


@transaction.atomic
def _fail(run: ScheduleRun, error: str) -> None:
    ScheduleRun.objects.unscoped().filter(pk=run.pk).update(
        status=ScheduleRun.Status.FAILED,
        error=error,
        message="Failed",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    audit.record(
        run.requested_by,
        run,
        action="transition",
        changes={"status": [ScheduleRun.Status.RUNNING, ScheduleRun.Status.FAILED]},
        reason=error[:500],
    )
    events.emit(FINISHED_EVENT, {"id": run.pk, "plant": run.plant_id, "status": ScheduleRun.Status.FAILED})


@transaction.atomic
def _save_schedule(
    run: ScheduleRun,
    built: scheduling.PlantProblem,
    solution: solver.Solution,
    method: str,
    baseline: solver.Solution,
    conflicts: list[schedule_conflicts.Conflict],
    stats: dict[str, Any],
    started: float,
) -> None:
    """Every placement and conflict of the run, its figures, audit and event: all or nothing."""
    org_id, user_id = run.organization_id, run.requested_by_id
    fixed = {t.key for t in built.problem.tasks if t.fixed is not None}
    rows = []
    for key, placement in solution.placements.items():
        info = built.tasks[key]
        start = built.at(placement.start)
        if info.fixed_start is not None and placement.start == 0:
            start = min(info.fixed_start, start)  # a started operation shows from its real start
        rows.append(
            ScheduledOperation(
                organization_id=org_id,
                created_by_id=user_id,
                run_id=run.pk,
                work_order_id=info.work_order_id,
                operation_id=info.operation_id,
                planned_order_id=info.planned_order_id,
                routing_operation_id=info.routing_operation_id,
                sequence=info.sequence,
                machine_id=placement.machine,
                start=start,
                end=built.at(placement.end),
                setup_minutes=info.setup_minutes,
                is_fixed=key in fixed,
            )
        )
    ScheduledOperation.objects.bulk_create(rows, batch_size=2000)
    ScheduleConflict.objects.bulk_create(
        [
            ScheduleConflict(
                organization_id=org_id,
                created_by_id=user_id,
                run_id=run.pk,
                work_order_id=c.work_order_id,
                planned_order_id=c.planned_order_id,
                kind=c.kind,
                due=c.due,
                planned_end=c.planned_end,
                tardiness_minutes=c.tardiness_minutes,
                machine_id=c.machine_id,
                item_id=c.item_id,
                short_quantity=c.short_quantity,
                available_at=c.available_at,
                message=c.message,
            )
            for c in conflicts
        ],
        batch_size=2000,
    )
    stats["seconds"]["total"] = round(time.perf_counter() - started, 3)
    ScheduleRun.objects.unscoped().filter(pk=run.pk).update(
        status=ScheduleRun.Status.DONE,
        progress=100,
        message=f"Scheduled {len(rows)} operations",
        origin=built.origin,
        method=method,
        solver_status=solution.status,
        weighted_tardiness=solution.weighted_tardiness,
        makespan_minutes=solution.makespan,
        lower_bound=solution.lower_bound,
        baseline_weighted_tardiness=baseline.weighted_tardiness,
        stats=stats,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    audit.record(
        run.requested_by,
        run,
        action="transition",
        changes={"status": [ScheduleRun.Status.RUNNING, ScheduleRun.Status.DONE]},
    )
    events.emit(
        FINISHED_EVENT,
        {"id": run.pk, "plant": run.plant_id, "status": ScheduleRun.Status.DONE, "operations": len(rows)},
    )


# --- Pins ----------------------------------------------------------------------------------------


@transaction.atomic
def pin_operation(*, actor: Any, operation: JobCard, machine: Machine, start: datetime) -> OperationPin:
    """Keep a job card on `machine` from `start` in every schedule until unpinned (or started).

    The machine must be one the operation may run on (its own list, else its work center's),
    and a completed operation has nothing left to place.
    """
    plant = operation.work_order.plant
    access.require(actor, PIN, plant=plant)
    if operation.status == JobCard.Status.COMPLETED:
        raise ValidationError({"operation": [f"Operation {operation.sequence} is completed: nothing to pin."]})
    if machine.plant_id != plant.pk or machine.status == "retired":
        raise ValidationError({"machine": [f"Machine {machine.code} cannot run work of plant {plant.code}."]})
    listed = list(operation.eligible_machines.all())
    allowed = machine in listed if listed else machine.work_center_id == operation.work_center_id
    if not allowed:
        raise ValidationError({"machine": [f"Operation {operation.sequence} does not run on machine {machine.code}."]})
    if timezone.is_naive(start):
        raise ValidationError({"start": ["Give the start with its time zone."]})
    existing = OperationPin.objects.select_for_update().filter(operation=operation).first()
    user = actor if getattr(actor, "is_authenticated", False) else None
    if existing is not None:
        before = audit.snapshot(existing)
        existing.machine, existing.start, existing.pinned_by = machine, start, user
        existing.save(update_fields=["machine", "start", "pinned_by", "updated_at"])
        audit.record(actor, existing, action="update", changes=audit.diff(before, audit.snapshot(existing)))
        pin = existing
    else:
        pin = OperationPin.objects.create(
            organization=tenancy.require_organization(),
            operation=operation,
            machine=machine,
            start=start,
            pinned_by=user,
            created_by=user,
        )
        audit.record(actor, pin, action="create", changes=audit.diff({}, audit.snapshot(pin)))
    events.emit("planning.operation.pinned", {"id": pin.pk, "operation": operation.pk, "machine": machine.pk})
    return pin


@transaction.atomic
def unpin_operation(*, actor: Any, pin: OperationPin) -> None:
    """Let the scheduler place the operation freely again."""
    access.require(actor, UNPIN, plant=pin.operation.work_order.plant)
    before = audit.snapshot(pin)
    pk, text = pin.pk, str(pin)
    pin.delete()
    audit.record(
        actor,
        None,
        action="delete",
        changes=audit.diff(before, {}),
        object_type="planning.operationpin",
        object_id=str(pk),
        object_repr=text,
    )
    events.emit("planning.operation.unpinned", {"id": pk})
