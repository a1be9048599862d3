"""MRP runs: ask for one (queued, run by Celery), and run one (read, calculate, write the plan).

A run moves queued -> running -> done | failed. While it runs, `progress` and `message` are
saved on the run in their own short autocommitted writes, so a page polling the run sees
them move. Called inside a surrounding transaction (a test, a caller's atomic block) those
writes stay invisible to other connections until that transaction commits: run it outside
one (the Celery task and the `mrp` command do) to get live progress.

The plan itself (planned orders, pegging, exceptions, item records) is written in ONE
transaction at the end, with the run's final status, its audit record and the
`planning.mrp.finished` event: a run that fails (a BOM cycle, a calendar with no working
day, a unit that does not convert) saves nothing but its status `failed` and an `error`
naming the culprit. An item with no released BOM is not an error: it is planned anyway and
reported as an exception.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shopfloor.core import access, audit, events, tenancy
from shopfloor.core.models import Plant
from shopfloor.planning import mrp_engine as engine
from shopfloor.planning import selectors_mrp
from shopfloor.planning.models import MrpException, MrpItemResult, MrpRun, Pegging, PlannedOrder

logger = logging.getLogger(__name__)

RUN_MRP = "planning.add_mrprun"
BATCH = 2000
FINISHED_EVENT = "planning.mrp.finished"

Progress = Callable[[int, str], None]


@transaction.atomic
def request_mrp_run(
    *, actor: Any, plant: Plant, horizon_days: int = 180, plan_date: date | None = None, queue: bool = True
) -> MrpRun:
    """Create a queued run of `plant` and start the Celery task once this transaction commits
    (so the worker finds the run). `queue=False` leaves running it to the caller."""
    access.require(actor, RUN_MRP, plant=plant)
    return _create_run(actor, plant, horizon_days, plan_date, queue)


@transaction.atomic
def request_system_mrp_run(*, plant: Plant, horizon_days: int = 180, plan_date: date | None = None) -> MrpRun:
    """A run asked for by the platform itself (the `mrp` command, run by whoever holds the
    server): no user, so no permission to check; audited as "system". Not queued."""
    return _create_run(None, plant, horizon_days, plan_date, False)


def _create_run(actor: Any, plant: Plant, horizon_days: int, plan_date: date | None, queue: bool) -> MrpRun:
    if plant.organization_id != tenancy.require_organization().pk:
        raise ValidationError({"plant": ["Unknown plant."]})
    if not 1 <= int(horizon_days) <= 3660:
        raise ValidationError({"horizon_days": ["Plan between 1 and 3660 days ahead."]})
    user = actor if getattr(actor, "is_authenticated", False) else None
    run = MrpRun.objects.create(
        organization=plant.organization,
        plant=plant,
        horizon_days=int(horizon_days),
        plan_date=plan_date or timezone.localdate(),
        requested_by=user,
        created_by=user,
        message="Waiting for a worker",
    )
    audit.record(actor, run, action="create", changes=audit.diff({}, audit.snapshot(run)))
    if queue:
        run_id = run.pk
        transaction.on_commit(lambda: _queue(run_id))
    return run


def _queue(run_id: int) -> None:
    from shopfloor.planning import tasks_mrp

    try:
        tasks_mrp.run_mrp_task.delay(run_id)
    except Exception:  # a broker outage leaves the run queued (shown as such), never lost
        logger.warning("Could not queue MRP run %s; it stays queued.", run_id, exc_info=True)


def _save_progress(run_id: int, percent: int, message: str) -> None:
    MrpRun.objects.unscoped().filter(pk=run_id).update(
        progress=max(0, min(int(percent), 100)), message=message[:200], updated_at=timezone.now()
    )


def run_mrp(run_id: int, progress: Progress | None = None) -> MrpRun:
    """Run a queued run once (a redelivered task finds it taken and returns it as it is).

    `progress(percent, message)` is called as the run advances, after the same is saved on the run.
    """
    claimed = MrpRun.objects.unscoped().filter(pk=run_id, status=MrpRun.Status.QUEUED)
    if not claimed.update(status=MrpRun.Status.RUNNING, started_at=timezone.now(), progress=1, message="Starting"):
        return MrpRun.objects.unscoped().get(pk=run_id)
    run = MrpRun.objects.unscoped().select_related("organization", "plant", "requested_by").get(pk=run_id)

    def report(percent: int, message: str) -> None:
        _save_progress(run_id, percent, message)
        if progress is not None:
            progress(percent, message)

    with tenancy.use(run.organization, run.requested_by, run.plant):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            report(5, "Reading demand, stock and supply")
            data = selectors_mrp.load_input(plant=run.plant, plan_date=run.plan_date, horizon_days=run.horizon_days)
            loaded = time.perf_counter()
            report(25, "Exploding the bills of materials")
            plan = engine.plan(data, progress=report)
            calculated = time.perf_counter()
            report(88, "Saving the plan")
            stats = dict(plan.stats)
            seconds = dict(stats.pop("seconds", {}))  # type: ignore[call-overload]
            seconds["load"] = round(loaded - started, 3)
            seconds["calculate"] = round(calculated - loaded, 3)
            stats["calendar"] = data.calendar.name
            _save_plan(run, plan, stats, seconds, started, cpu)
        except (engine.MrpError, ValidationError) as exc:
            _fail(run, _error_text(exc))
        except Exception as exc:
            logger.exception("MRP run %s failed unexpectedly.", run_id)
            _fail(run, f"Unexpected error ({type(exc).__name__}): {exc}")
    run.refresh_from_db()
    if progress is not None and run.status == MrpRun.Status.DONE:
        progress(100, run.message)
    return run


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


@transaction.atomic
def _fail(run: MrpRun, error: str) -> None:
    MrpRun.objects.unscoped().filter(pk=run.pk).update(
        status=MrpRun.Status.FAILED,
        error=error,
        message="Failed",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    audit.record(
        run.requested_by,
        run,
        action="transition",
        changes={"status": [MrpRun.Status.RUNNING, MrpRun.Status.FAILED]},
        reason=error,
    )
    events.emit(FINISHED_EVENT, {"id": run.pk, "plant": run.plant_id, "status": MrpRun.Status.FAILED})


@transaction.atomic
def _save_plan(
    run: MrpRun, plan: engine.MrpPlan, stats: dict[str, Any], seconds: dict[str, float], started: float, cpu: float
) -> None:
    """Every result row of the run, its final status, audit and event: all or nothing."""
    tick = time.perf_counter()
    org_id, plant_id, user_id = run.organization_id, run.plant_id, run.requested_by_id
    now = timezone.now()
    orders = [
        PlannedOrder(
            organization_id=org_id,
            plant_id=plant_id,
            created_by_id=user_id,
            created_at=now,
            updated_at=now,
            run_id=run.pk,
            item_id=order.item_id,
            kind=PlannedOrder.Kind.MAKE if order.make else PlannedOrder.Kind.BUY,
            quantity=order.quantity,
            start_date=order.start,
            due_date=order.due,
            low_level_code=order.low_level_code,
            bom_version_id=order.bom_version_id,
        )
        for order in plan.orders
    ]
    _insert(PlannedOrder, orders)
    pks = [order.pk for order in orders]
    if len(pks) != len(orders) or (pks and pks[0] is None):  # a database that does not return ids
        pks = list(PlannedOrder.objects.filter(run_id=run.pk).order_by("id").values_list("id", flat=True))
    peggings = []
    for peg in plan.peggings:
        demand = peg.demand
        kind = demand.kind
        peggings.append(
            Pegging(
                organization_id=org_id,
                created_by_id=user_id,
                created_at=now,
                updated_at=now,
                run_id=run.pk,
                planned_order_id=pks[peg.order],
                demand_kind=kind,
                demand_date=demand.date,
                quantity=peg.quantity,
                sales_order_line_id=demand.ref if kind == engine.SALES_ORDER else None,
                forecast_id=demand.ref if kind == engine.FORECAST else None,
                work_order_id=demand.ref if kind == engine.WORK_ORDER else None,
                parent_planned_order_id=pks[demand.parent] if demand.parent is not None else None,
            )
        )
    _insert(Pegging, peggings)
    _insert(
        MrpException,
        [
            MrpException(
                organization_id=org_id,
                created_by_id=user_id,
                created_at=now,
                updated_at=now,
                run_id=run.pk,
                item_id=exc.item_id,
                kind=exc.kind,
                message=exc.message[:300],
                date=exc.date,
                suggested_date=exc.suggested_date,
                planned_order_id=pks[exc.order] if exc.order is not None else None,
                work_order_id=exc.work_order_id,
                purchase_order_line_id=exc.po_line_id,
            )
            for exc in plan.exceptions
        ],
    )
    _insert(
        MrpItemResult,
        [
            MrpItemResult(
                organization_id=org_id,
                created_by_id=user_id,
                created_at=now,
                updated_at=now,
                run_id=run.pk,
                item_id=row.item_id,
                low_level_code=row.low_level_code,
                on_hand=row.on_hand,
                safety_stock=row.safety_stock,
                gross_requirements=row.gross,
                scheduled_receipts=row.receipts,
                planned_quantity=row.planned,
                periods=row.periods,
            )
            for row in plan.items
        ],
    )
    seconds["save"] = round(time.perf_counter() - tick, 3)
    seconds["total"] = round(time.perf_counter() - started, 3)
    seconds["cpu"] = round(time.process_time() - cpu, 3)
    stats["seconds"] = seconds
    stats["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    message = (
        f"{stats['planned_orders']} planned orders, {stats['exceptions']} exceptions, "
        f"{stats['items']} items in {seconds['total']} s"
    )
    finished = timezone.now()
    MrpRun.objects.unscoped().filter(pk=run.pk).update(
        status=MrpRun.Status.DONE,
        progress=100,
        message=message[:200],
        error="",
        stats=stats,
        finished_at=finished,
        updated_at=finished,
    )
    audit.record(
        run.requested_by,
        run,
        action="transition",
        changes={"status": [MrpRun.Status.RUNNING, MrpRun.Status.DONE]},
        reason=message,
    )
    events.emit(
        FINISHED_EVENT,
        {
            "id": run.pk,
            "plant": plant_id,
            "status": MrpRun.Status.DONE,
            "planned_orders": stats["planned_orders"],
            "exceptions": stats["exceptions"],
        },
    )


def _insert(model: Any, rows: list[Any]) -> None:
    """Bulk insert in batches; PostgreSQL and SQLite 3.35+ hand the new ids back onto the rows."""
    if rows:
        model.objects.bulk_create(rows, batch_size=BATCH)  # Django lowers it to SQLite's parameter limit
