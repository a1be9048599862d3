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

import gc
import json
import logging
import resource
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from itertools import chain
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from shopfloor.catalog.models import BomVersion, Item
from shopfloor.core import access, audit, events, tenancy
from shopfloor.core.models import Plant
from shopfloor.planning import mrp_engine as engine
from shopfloor.planning import selectors_mrp
from shopfloor.planning.models import MrpException, MrpItemResult, MrpRun, Pegging, PlannedOrder
from shopfloor.planning.services import runs

logger = logging.getLogger(__name__)

RUN_MRP = "planning.add_mrprun"
BATCH = 10000
SQLITE_PARAMETERS = 6000  # per statement at most (the library's own limit when lower: 999 before 3.32)
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

    runs.queue(tasks_mrp.run_mrp_task, run_id, "MRP run")


def _save_progress(run_id: int, percent: int, message: str) -> None:
    runs.save_progress(MrpRun, run_id, percent, message)


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

    with tenancy.use(run.organization, run.requested_by, run.plant), _no_cycle_collection():
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


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """No automatic cycle collection while a run builds its plan. A large plan is millions of
    young objects (demands, pegging, rows to write), none in a reference cycle: the collector
    would walk them again and again for nothing (a quarter of the engine's time on the
    20,000-item bench). Reference counting still frees everything; the previous state comes back."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    """Every result row of the run, its final status, audit and event: all or nothing.

    A large plan is hundreds of thousands of pegging rows: they go in by COPY on PostgreSQL
    and by executemany of plain tuples on SQLite, not through model instances (bulk_create
    spends more time building and compiling objects than the database spends storing them).
    Rows are built from values converted once (the run's constants, each distinct date).
    """
    tick = time.perf_counter()
    org_id, plant_id, user_id, run_id = run.organization_id, run.plant_id, run.requested_by_id, run.pk
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now) if connection.vendor == "sqlite" else now
    day = _DayText()
    # The run's row first: on SQLite this write takes the lock _planned_order_ids relies on.
    MrpRun.objects.unscoped().filter(pk=run_id).update(message="Saving the plan", updated_at=now)
    _hold_master_records(
        Item,
        org_id,
        {o.item_id for o in plan.orders} | {r.item_id for r in plan.items} | {e.item_id for e in plan.exceptions},
    )
    _hold_master_records(BomVersion, org_id, {o.bom_version_id for o in plan.orders if o.bom_version_id is not None})
    pks = _planned_order_ids(len(plan.orders))
    make, buy = PlannedOrder.Kind.MAKE.value, PlannedOrder.Kind.BUY.value
    planned = PlannedOrder.Status.PLANNED.value
    # The same on every row of the run: written once per statement or COPY line, not per row.
    common = (("organization", org_id), ("created_by", user_id), ("created_at", stamp), ("updated_at", stamp))
    of_run = (*common, ("run", run_id))
    parts: dict[str, float] = {}
    tock = time.perf_counter()
    _write(
        PlannedOrder,
        (*of_run, ("plant", plant_id), ("status", planned)),
        ("id", "item", "kind", "quantity", "start_date", "due_date", "low_level_code", "bom_version"),
        [
            (
                pks[order.index],
                order.item_id,
                make if order.make else buy,
                order.quantity,
                day[order.start],
                day[order.due],
                order.low_level_code,
                order.bom_version_id,
            )
            for order in plan.orders
        ],
    )
    parts["planned_orders"], tock = _lap(tock)
    sales, forecast, work = engine.SALES_ORDER, engine.FORECAST, engine.WORK_ORDER
    _write(
        Pegging,
        of_run,
        (
            "planned_order",
            "demand_kind",
            "demand_date",
            "quantity",
            "sales_order_line",
            "forecast",
            "work_order",
            "parent_planned_order",
        ),
        [
            (
                pks[peg.order],
                (kind := (demand := peg.demand).kind),
                day[demand.date],
                peg.quantity,
                demand.ref if kind == sales else None,
                demand.ref if kind == forecast else None,
                demand.ref if kind == work else None,
                pks[demand.parent] if demand.parent is not None else None,
            )
            for peg in plan.peggings
        ],
    )
    parts["pegging"], tock = _lap(tock)
    _write(
        MrpException,
        of_run,
        ("item", "kind", "message", "date", "suggested_date", "planned_order", "work_order", "purchase_order_line"),
        [
            (
                exc.item_id,
                exc.kind,
                exc.message[:300],
                day[exc.date],
                day[exc.suggested_date],
                pks[exc.order] if exc.order is not None else None,
                exc.work_order_id,
                exc.po_line_id,
            )
            for exc in plan.exceptions
        ],
        free_text=(2,),
    )
    parts["exceptions"], tock = _lap(tock)
    _write(
        MrpItemResult,
        of_run,
        (
            "item",
            "low_level_code",
            "on_hand",
            "safety_stock",
            "gross_requirements",
            "scheduled_receipts",
            "planned_quantity",
            "periods",
        ),
        [
            (
                row.item_id,
                row.low_level_code,
                row.on_hand,
                row.safety_stock,
                row.gross,
                row.receipts,
                row.planned,
                row.periods_json(),
            )
            for row in plan.items
        ],
        free_text=(7,),
    )
    parts["item_results"], tock = _lap(tock)
    seconds["save"] = round(time.perf_counter() - tick, 3)
    seconds["save_parts"] = parts  # type: ignore[assignment]
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


def _hold_master_records(model: type[Item] | type[BomVersion], organization_id: int, ids: set[int]) -> None:
    """Lock the items (or BOM versions) the plan refers to against deletion until the save
    commits, and fail the run if one is gone since it was read.

    Their keys in the result tables are not checked row by row by the database (see the note
    in models.mrp): this one statement takes the lock those checks would each take (FOR KEY
    SHARE, which a DELETE waits for) and a missing id fails the run, nothing saved. On SQLite
    the run row's update above already holds the database's single write lock: nobody else can
    delete anything until commit, so reading the ids is enough.
    """
    if not ids:
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            array = "{" + ",".join(map(str, sorted(ids))) + "}"
            # Only the model's table name is formatted in; values are parameters.
            cursor.execute(
                f'SELECT "id" FROM "{table}" WHERE "organization_id" = %s AND "id" = ANY(%s::bigint[])'  # noqa: S608
                " FOR KEY SHARE",
                [organization_id, array],
            )
        else:
            cursor.execute(
                f'SELECT "id" FROM "{table}" WHERE "organization_id" = %s'  # noqa: S608
                ' AND "id" IN (SELECT value FROM json_each(%s))',
                [organization_id, json.dumps(sorted(ids))],
            )
        found = {pk for (pk,) in cursor.fetchall()}
    missing = sorted(ids - found)
    if missing:
        noun = "item" if model is Item else "BOM version"
        raise engine.MrpError(
            f"The plan refers to {len(missing)} {noun}(s) deleted while it was calculated"
            f" (id {', '.join(map(str, missing[:5]))}): run it again."
        )


def _lap(since: float) -> tuple[float, float]:
    now = time.perf_counter()
    return round(now - since, 3), now


class _DayText(dict):
    """A date as both databases take it in a plain insert or a COPY (ISO text), each day converted once."""

    def __missing__(self, day: date | None) -> str | None:
        text = None if day is None else day.isoformat()
        self[day] = text
        return text


def _planned_order_ids(count: int) -> list[int]:
    """Ids for `count` new planned orders, safe against concurrent writers.

    PostgreSQL: drawn from the table's identity sequence. SQLite: the caller has written in
    this transaction already (the run's row), so it holds the database's write lock until
    commit: no other writer can insert meanwhile, and the ids above the highest are free.
    """
    if count == 0:
        return []
    table = PlannedOrder._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        highest = cursor.fetchone()[0]
    return list(range(highest + 1, highest + 1 + count))


def _write(
    model: Any,
    constants: tuple[tuple[str, Any], ...],
    fields: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    free_text: tuple[int, ...] = (),
) -> None:
    """Insert plain tuples in the order of `fields` (model field names) as fast as the database takes them.

    `constants` are (field, value) pairs the same on every row (the run, its tenant, creator
    and time stamps: ints, None or our own ISO text): spelled out once, as the head of every
    COPY line or as literals in the statement, instead of converted and bound again for each
    of hundreds of thousands of rows (5 of the pegging row's 13 values).

    PostgreSQL: COPY in text format, lines built here (a Python join per row costs a fraction of
    a per-value adaptation); `free_text` names the positions of values that may hold a tab, a
    newline or a backslash and need COPY's escapes. SQLite: executemany in large batches.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in (*[c[0] for c in constants], *fields))
    table = quote(model._meta.db_table)
    values = [value for _, value in constants]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            escaped = set(free_text)
            head = "".join([(NULL if value is None else _copy_escape(str(value))) + "\t" for value in values])
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for first in range(0, len(rows), BATCH):
                    lines = []
                    for row in rows[first : first + BATCH]:
                        if escaped:
                            row = tuple(_copy_escape(v) if i in escaped else v for i, v in enumerate(row))
                        lines.append(head + "\t".join([NULL if value is None else str(value) for value in row]))
                    lines.append("")
                    copy.write("\n".join(lines))
            return
        # Several rows per statement: each statement run costs a setup (and a write to
        # sqlite_sequence for an AUTOINCREMENT table), paid per row by a one-row executemany.
        one = f"({''.join([_sql_literal(value) + ', ' for value in values])}{', '.join(['%s'] * len(fields))})"
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per = max(1, min(SQLITE_PARAMETERS, limit) // len(fields))
        statement = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * per)}"  # noqa: S608
        whole = len(rows) - len(rows) % per
        for first in range(0, whole, BATCH * per):
            cursor.executemany(
                statement,
                [
                    tuple(chain.from_iterable(rows[start : start + per]))
                    for start in range(first, min(first + BATCH * per, whole), per)
                ],
            )
        if whole < len(rows):
            rest = rows[whole:]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(rest))}",  # noqa: S608
                tuple(chain.from_iterable(rest)),
            )


def _sql_literal(value: int | str | None) -> str:
    """A constant of the run as an SQLite literal (ints, None and our own ISO stamps only:
    anything else is a programming error, not something to quote)."""
    if value is None:
        return "NULL"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"
    raise TypeError(f"No SQLite literal for {type(value).__name__}")


NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_escape(value: Any) -> Any:
    return value.translate(_COPY_ESCAPES) if isinstance(value, str) else value
