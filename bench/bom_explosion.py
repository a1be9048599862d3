"""Explosion and costed roll-up of a 10-level BOM tree of 50,000 lines: the target is under 1 s each.

Builds the tree with bulk_create in a throwaway database: a fresh SQLite file under var/ by
default; with DATABASE_URL set (a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres)
a new database is created on that server and dropped afterwards. Then, in a fresh child
process (as a web or Celery worker would run it: not in the process that has just built and
freed 100,000 model instances, whose heap and collector generations it would inherit), times
`catalog.selectors.explode` and `catalog.selectors.rollup` of the top item: the first (cold)
run and the median of 5, and prints one JSON document.

    .venv/bin/python bench/bom_explosion.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bom_explosion.py
    BENCH_BOM_LINES=200000 .venv/bin/python bench/bom_explosion.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from decimal import Decimal

from _database import analyze, bench_database, cpu_reference_seconds, run_measured_child, settings_environment

LINES = int(os.environ.get("BENCH_BOM_LINES", "50000"))
LEVELS = int(os.environ.get("BENCH_BOM_LEVELS", "10"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TARGET_SECONDS = 1.0


def level_sizes(lines: int, levels: int, first: int = 4) -> list[int]:
    """Lines per level growing geometrically from `first`, summing exactly to `lines`."""
    low, high = 1.0, 50.0
    for _ in range(100):  # bisect the growth ratio
        ratio = (low + high) / 2
        total = sum(first * ratio**k for k in range(levels))
        low, high = (ratio, high) if total < lines else (low, ratio)
    sizes = [max(1, round(first * ratio**k)) for k in range(levels)]
    sizes[-1] += lines - sum(sizes)
    return sizes


def build(sizes: list[int]) -> tuple[object, dict]:
    """One organization, a root item and one item per line, each non-leaf with a released BOM."""
    from shopfloor.catalog import services as catalog_services
    from shopfloor.catalog.models import BomLine, BomVersion, Item, Unit
    from shopfloor.core import services, tenancy
    from shopfloor.core.models import User

    admin = User.objects.create_superuser("bench", "bench@example.com", "x")
    org = services.create_organization(actor=admin, name="Bench", slug="bench")
    tenancy_context = tenancy.use(org, admin)
    tenancy_context.__enter__()
    catalog_services.install_standard_units(org, admin)
    units = {u.code: u for u in Unit.objects.all()}
    started = time.perf_counter()

    levels: list[list[Item]] = []
    root = Item(organization=org, number="TOP-0", name="Top assembly", stock_unit=units["ea"], status="active")
    Item.objects.bulk_create([root])
    root = Item.objects.get(number="TOP-0")
    levels.append([root])
    counter = 0
    for depth, size in enumerate(sizes, start=1):
        batch = []
        for _ in range(size):
            counter += 1
            bar = counter % 7 == 0  # every seventh part is bar stock in metres, used in mm
            batch.append(
                Item(
                    organization=org,
                    number=f"P{depth:02d}-{counter:06d}",
                    name=f"Part {counter}",
                    stock_unit=units["m" if bar else "ea"],
                    status="active",
                    standard_cost=Decimal(counter % 97) + Decimal("0.25"),
                )
            )
        Item.objects.bulk_create(batch, batch_size=2000)
        levels.append(list(Item.objects.filter(number__startswith=f"P{depth:02d}-").order_by("id")))

    parents_with_children = {}
    versions = []
    for depth in range(len(sizes)):
        parents, children = levels[depth], levels[depth + 1]
        for index in range(len(children)):
            parent = parents[index % len(parents)]
            if parent.pk not in parents_with_children:
                parents_with_children[parent.pk] = None
                versions.append(BomVersion(organization=org, item=parent, version=1, status="released"))
    BomVersion.objects.bulk_create(versions, batch_size=2000)
    version_of = dict(BomVersion.objects.values_list("item_id", "id"))

    lines = []
    for depth in range(len(sizes)):
        parents, children = levels[depth], levels[depth + 1]
        for index, child in enumerate(children):
            parent = parents[index % len(parents)]
            bar = child.stock_unit_id == units["m"].pk
            lines.append(
                BomLine(
                    organization=org,
                    version_id=version_of[parent.pk],
                    position=10 * (index // len(parents) + 1),
                    component=child,
                    quantity=Decimal("250") if bar else Decimal(1 + index % 3),
                    unit=units["mm"] if bar else units["ea"],
                    scrap_factor=Decimal("0.02") if index % 5 == 0 else Decimal(0),
                    is_phantom=False,
                )
            )
    BomLine.objects.bulk_create(lines, batch_size=2000)
    tenancy_context.__exit__(None, None, None)
    analyze()
    return root, {
        "org": org,
        "admin": admin,
        "build_seconds": round(time.perf_counter() - started, 2),
        "items": sum(sizes) + 1,
        "versions": len(versions),
    }


def measure(func) -> tuple[float, list[float], float, float, object]:
    """Median wall time, every run, median CPU time of this process (the database's not
    counted) and the first run's CPU. The previous run's result is dropped before the clock
    starts: freeing 50,000 rows is not the next run's work."""
    times, cpu, result = [], [], None
    for _ in range(RUNS):
        result = None
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), times, statistics.median(cpu), cpu[0], result


def measure_in_child(org_id: int, admin_id: int, root_id: int) -> dict:
    """The timed part, run in a fresh process (see the module docstring)."""
    settings_environment()
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shopfloor.catalog import selectors
    from shopfloor.catalog.models import Item
    from shopfloor.core import tenancy
    from shopfloor.core.models import Organization, User

    org, admin = Organization.objects.get(pk=org_id), User.objects.get(pk=admin_id)
    with tenancy.use(org, admin):
        root = Item.objects.get(pk=root_id)
        explode_median, explode_runs, explode_cpu, explode_first_cpu, rows = measure(
            lambda: selectors.explode(root, quantity=1)
        )
        rollup_median, rollup_runs, rollup_cpu, rollup_first_cpu, rolled = measure(
            lambda: selectors.rollup(root, quantity=1)
        )
        with CaptureQueriesContext(connection) as queries:
            selectors.rollup(root, quantity=1)
    return {
        "explosion_rows": len(rows),
        "explosion_seconds_median": round(explode_median, 4),
        "explosion_seconds_runs": [round(t, 4) for t in explode_runs],
        "explosion_cpu_seconds_median": round(explode_cpu, 4),
        "explosion_cpu_seconds_first_run": round(explode_first_cpu, 4),
        "explosion_under_1s": explode_median < TARGET_SECONDS,
        "rollup_seconds_median": round(rollup_median, 4),
        "rollup_seconds_runs": [round(t, 4) for t in rollup_runs],
        "rollup_cpu_seconds_median": round(rollup_cpu, 4),
        "rollup_cpu_seconds_first_run": round(rollup_first_cpu, 4),
        "rollup_under_1s": rollup_median < TARGET_SECONDS,
        "rollup_queries": len(queries),
        "rollup_total_cost": str(selectors.money(rolled.total)),
    }


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--measure":
        print(json.dumps(measure_in_child(*map(int, sys.argv[2:]))))
        return
    with bench_database("bench_bom") as url:
        from django.db import connection, connections

        sizes = level_sizes(LINES, LEVELS)
        root, info = build(sizes)
        vendor = connection.vendor
        connections.close_all()
        measured = run_measured_child(__file__, url, info["org"].pk, info["admin"].pk, root.pk)
        result = {
            "benchmark": "bom_explosion",
            "database": vendor,
            "lines": LINES,
            "levels": LEVELS,
            "lines_per_level": sizes,
            "items": info["items"],
            "released_versions": info["versions"],
            "build_seconds": info["build_seconds"],
            "runs": RUNS,
            **measured,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "cpu_reference_seconds": cpu_reference_seconds(),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
