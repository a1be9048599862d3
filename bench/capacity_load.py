"""Capacity load of a busy plant: 1,000 released work orders x 5 job cards on 40 machines.

Reuses `plant_schedule`'s plant (8 work centers x 5 machines, two shifts Monday to Friday, a
holiday, one downtime window per work center) in a throwaway database, adds a schedule placing
every job card back to back on the first machine of its work center, then times
`planning.capacity.capacity_load` (median of BENCH_RUNS) for rough-cut per day and per week
over six weeks and detailed per day, with its query count. Target: under 2 s each.

    .venv/bin/python bench/capacity_load.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/capacity_load.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time

from _database import ROOT, bench_database

sys.path.insert(0, str(ROOT))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TARGET_SECONDS = 2.0


def _schedule(info: dict) -> int:
    """A finished schedule run: each job card after the previous one on its work center's first machine."""
    from django.utils import timezone

    from shopfloor.planning.models import ScheduledOperation, ScheduleRun
    from shopfloor.production.models import Operation
    from shopfloor.resources.models import Machine

    first = {}
    for machine in Machine.objects.order_by("code"):
        first.setdefault(machine.work_center_id, machine)
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    run = ScheduleRun.objects.create(
        organization=info["org"], plant=info["plant"], status="done", progress=100, origin=start
    )
    cursor = {wc: start for wc in first}
    rows = []
    for card in Operation.objects.select_related("work_order").order_by("work_order_id", "sequence"):
        minutes = int(card.setup_time_minutes + card.run_time_per_unit_minutes * card.work_order.quantity)
        begins = cursor[card.work_center_id]
        ends = begins + dt.timedelta(minutes=minutes)
        cursor[card.work_center_id] = ends
        rows.append(
            ScheduledOperation(
                organization=info["org"],
                run=run,
                work_order=card.work_order,
                operation=card,
                sequence=card.sequence,
                machine=first[card.work_center_id],
                start=begins,
                end=ends,
            )
        )
    ScheduledOperation.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def main() -> None:
    from bench import plant_schedule

    with bench_database("bench_plant_schedule"):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        info = plant_schedule.build()
        from shopfloor.core import tenancy
        from shopfloor.planning import capacity

        timings = {}
        with tenancy.use(info["org"], info["admin"]):
            scheduled = _schedule(info)
            today = timezone.localdate()
            for label, mode, bucket in (
                ("rough_cut_day", "rough_cut", "day"),
                ("rough_cut_week", "rough_cut", "week"),
                ("detailed_day", "detailed", "day"),
            ):
                seconds = []
                for _ in range(RUNS):
                    tick = time.perf_counter()
                    with CaptureQueriesContext(connection) as queries:
                        rows = capacity.capacity_load(
                            plant=info["plant"],
                            mode=mode,
                            bucket=bucket,
                            date_from=today,
                            date_to=today + dt.timedelta(days=41),
                        )
                    seconds.append(time.perf_counter() - tick)
                timings[label] = {
                    "seconds": round(statistics.median(seconds), 3),
                    "queries": len(queries),
                    "rows": len(rows),
                    "overloaded_rows": sum(1 for r in rows if r.overloaded),
                }
        result = {
            "benchmark": "capacity_load",
            "database": connection.vendor,
            "work_orders": plant_schedule.ORDERS,
            "job_cards": plant_schedule.ORDERS * plant_schedule.STEPS,
            "scheduled_operations": scheduled,
            "days": 42,
            **timings,
            "target_seconds": TARGET_SECONDS,
            "ok": all(t["seconds"] < TARGET_SECONDS for t in timings.values()),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
