"""The plant scheduler through the database: 1,000 released work orders x 5 job cards on 40 machines.

Where `synthetic_plant.py` times the solver alone, this times what the Celery task does around
it: read the plant (`planning.scheduling.build_problem`: work orders, job cards, eligible
machines, calendars to closed minutes, downtime) and a whole `run_schedule` (build, CP-SAT with
the time limit, the EDD baseline, conflicts, one-transaction save of every placement).

The plant (seed fixed): 8 work centers x 5 machines, one calendar 06:00-22:00 Monday to Friday
in Europe/Oslo with a holiday next week, one downtime window per work center; each order runs
its 5 steps through 5 of the work centers, 20-240 minutes each; due dates 3-40 days ahead,
priorities 1-3. Rows are bulk-created in a throwaway database (SQLite file under var/, or a new
database on the PostgreSQL server DATABASE_URL names, dropped afterwards). Prints one JSON
document.

    .venv/bin/python bench/plant_schedule.py
    BENCH_SCHEDULE_ORDERS=200 BENCH_SCHEDULE_LIMIT=20 .venv/bin/python bench/plant_schedule.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from decimal import Decimal

from _database import analyze, bench_database

ORDERS = int(os.environ.get("BENCH_SCHEDULE_ORDERS", "1000"))
STEPS = 5
CENTERS = 8
MACHINES_PER_CENTER = 5
TIME_LIMIT = int(os.environ.get("BENCH_SCHEDULE_LIMIT", "60"))


def build() -> dict:
    from django.utils import timezone

    from shopfloor.catalog import services as catalog_services
    from shopfloor.catalog.models import Item, Unit
    from shopfloor.core import services, tenancy
    from shopfloor.core.models import Plant, User
    from shopfloor.production.models import Operation, WorkOrder
    from shopfloor.resources.models import (
        CalendarException,
        Machine,
        MachineDowntime,
        ShiftPattern,
        WorkCenter,
        WorkingCalendar,
    )

    rng = random.Random(7)
    admin = User.objects.create_superuser("bench", "bench@example.com", "x")
    org = services.create_organization(actor=admin, name="Bench", slug="bench")
    context = tenancy.use(org, admin)
    context.__enter__()
    catalog_services.install_standard_units(org, admin)
    each = Unit.objects.get(code="ea")
    started = time.perf_counter()
    plant = Plant.objects.create(organization=org, code="OSL", name="Oslo", timezone="Europe/Oslo")
    calendar = WorkingCalendar.objects.create(organization=org, name="Two shifts", plant=plant)
    ShiftPattern.objects.bulk_create(
        [
            ShiftPattern(organization=org, calendar=calendar, weekday=d, start_time=dt.time(6), end_time=dt.time(22))
            for d in range(5)
        ]
    )
    today = timezone.now().astimezone(calendar.zone).date()
    CalendarException.objects.create(
        organization=org, calendar=calendar, date=today + dt.timedelta(days=8), kind="holiday"
    )
    centers = [
        WorkCenter.objects.create(organization=org, plant=plant, calendar=calendar, code=f"WC{c}", name=f"Cell {c}")
        for c in range(CENTERS)
    ]
    machines = Machine.objects.bulk_create(
        [
            Machine(organization=org, plant=plant, work_center=wc, code=f"{wc.code}-M{m}", name=f"Machine {m}")
            for wc in centers
            for m in range(MACHINES_PER_CENTER)
        ]
    )
    now = timezone.now()
    MachineDowntime.objects.bulk_create(
        [
            MachineDowntime(
                organization=org,
                plant=plant,
                machine=machines[c * MACHINES_PER_CENTER],
                starts_at=now + dt.timedelta(days=2 + c),
                ends_at=now + dt.timedelta(days=2 + c, hours=6),
            )
            for c in range(CENTERS)
        ]
    )
    items = Item.objects.bulk_create(
        [
            Item(organization=org, number=f"P-{i:04d}", name=f"Part {i}", stock_unit=each, status="active")
            for i in range(50)
        ]
    )
    orders = WorkOrder.objects.bulk_create(
        [
            WorkOrder(
                organization=org,
                plant=plant,
                number=f"WO-{n:06d}",
                item=items[n % len(items)],
                quantity=Decimal(10),
                unit=each,
                due_date=today + dt.timedelta(days=rng.randint(3, 40)),
                priority=rng.randint(1, 3),
                status="released",
            )
            for n in range(ORDERS)
        ],
        batch_size=2000,
    )
    if orders and orders[0].pk is None:
        orders = list(WorkOrder.objects.order_by("id"))
    cards = []
    for wo in orders:
        for step, wc in enumerate(rng.sample(centers, STEPS)):
            minutes = rng.randint(20, 240)
            cards.append(
                Operation(
                    organization=org,
                    work_order=wo,
                    sequence=10 * (step + 1),
                    description=f"Step {step + 1}",
                    work_center=wc,
                    setup_time_minutes=Decimal(minutes % 30),
                    run_time_per_unit_minutes=(Decimal(minutes - minutes % 30) / 10).quantize(Decimal("0.0001")),
                )
            )
    Operation.objects.bulk_create(cards, batch_size=5000)
    context.__exit__(None, None, None)
    analyze()
    return {"org": org, "admin": admin, "plant": plant, "fill_seconds": round(time.perf_counter() - started, 2)}


def main() -> None:
    with bench_database("bench_plant_schedule"):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        info = build()
        from shopfloor.core import tenancy
        from shopfloor.planning import scheduling
        from shopfloor.planning.models import ScheduleConflict, ScheduledOperation, ScheduleRun

        with tenancy.use(info["org"], info["admin"]):
            tick = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                built = scheduling.build_problem(info["plant"], now=timezone.now())
            build_seconds = time.perf_counter() - tick
            closed = sum(len(v) for v in built.problem.closed.values())
            run = ScheduleRun.objects.create(
                organization=info["org"],
                plant=info["plant"],
                time_limit_seconds=TIME_LIMIT,
                include_planned_orders=False,
                requested_by=info["admin"],
            )
        from shopfloor.planning.services import schedule

        tick = time.perf_counter()
        run = schedule.run_schedule(run.pk)
        run_seconds = time.perf_counter() - tick
        with tenancy.use(info["org"], info["admin"]):
            saved = ScheduledOperation.objects.filter(run=run).count()
            conflicts = ScheduleConflict.objects.filter(run=run).count()
        base, got = run.baseline_weighted_tardiness, run.weighted_tardiness
        result = {
            "benchmark": "plant_schedule",
            "database": connection.vendor,
            "work_orders": ORDERS,
            "operations": len(built.problem.tasks),
            "machines": len(built.machines),
            "closed_intervals": closed,
            "horizon_days": (built.problem.horizon or 0) // 1440,
            "fill_seconds": info["fill_seconds"],
            "build_problem_seconds": round(build_seconds, 3),
            "build_problem_queries": len(queries),
            "time_limit": TIME_LIMIT,
            "run_status": run.status,
            "run_error": run.error,
            "method": run.method,
            "solver_status": run.solver_status,
            "run_seconds": round(run_seconds, 2),
            "run_stats_seconds": run.stats.get("seconds"),
            "saved_operations": saved,
            "conflicts": conflicts,
            "baseline_weighted_tardiness": base,
            "weighted_tardiness": got,
            "improvement_pct": round(100 * (base - got) / base, 1) if base else None,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
