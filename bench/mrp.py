"""MRP over 20,000 items, 100,000 BOM lines and 10,000 demands: the target is under 10 s and 1 GB.

Builds the data set with bulk_create in a throwaway database (not timed): a fresh SQLite file
under var/ by default; with DATABASE_URL set to a PostgreSQL server
(postgres://postgres@127.0.0.1:5432/postgres) a new database on that server, dropped
afterwards. Then runs `planning.services.mrp.run_mrp` in a fresh child process (so its peak
memory is the run's, not the build's) and prints one JSON document: wall and CPU seconds of
the run (the child's CPU, the database server's not counted), the run's own per-phase
seconds, peak resident memory, counts.

The plant: five levels (1,000 finished products, 3,000 sub-assemblies, 5,000 parts, 5,000
components, 6,000 bought raw materials); every parent has 6 to 10 released lines to the
next levels (some 2 levels down, some phantoms, some in another unit with scrap); 7,000 open
sales order lines and 3,000 weekly forecasts on the finished products over 26 weeks; stock
for a quarter of the items; 1,000 open purchase order lines and 300 open work orders; lot
sizes: a period order quantity (a month for finished products, two for sub-assemblies, a
quarter below) except lot-for-lot for 30 % and fixed lots for 10 % of the finished products
and minimum/multiple for 10 % of the raw materials. Fixed or capped lots deep in the tree
multiply the planned orders (quantities grow level by level) and with them the pegging.

    .venv/bin/python bench/mrp.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/mrp.py
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from _database import bench_database, cpu_reference_seconds, run_measured_child, settings_environment

LEVEL_SIZES = (1000, 3000, 5000, 5000, 6000)  # 20,000 items
LINES_PER_LEVEL = (10, 10, 6, 6)  # lines of each parent of levels 0-3: 100,000 lines
SALES_LINES, FORECASTS = 7000, 3000
PURCHASE_LINES, WORK_ORDERS = 1000, 300
HORIZON = 180
PLAN_DATE = date(2027, 1, 4)
TARGET_SECONDS, TARGET_MB = 10.0, 1024


def _setup_django() -> None:
    settings_environment()
    import django

    django.setup()


def build() -> dict:
    """The plant described in the module docstring; returns ids the run needs and counts."""
    from shopfloor.catalog import services as catalog_services
    from shopfloor.catalog.models import BomLine, BomVersion, Item, Unit
    from shopfloor.core import services, tenancy
    from shopfloor.core.models import Plant, User
    from shopfloor.inventory.models import Location, StockBalance
    from shopfloor.partners.models import Customer, Supplier
    from shopfloor.planning.models import Forecast
    from shopfloor.production.models import WorkOrder
    from shopfloor.purchasing.models import PurchaseOrder, PurchaseOrderLine
    from shopfloor.resources.models import CalendarException, ShiftPattern, WorkingCalendar
    from shopfloor.sales.models import SalesOrder, SalesOrderLine

    rng = random.Random(7)
    started = time.perf_counter()
    admin = User.objects.create_superuser("bench", "bench@example.com", "x")
    org = services.create_organization(actor=admin, name="Bench", slug="bench")
    context = tenancy.use(org, admin)
    context.__enter__()
    catalog_services.install_standard_units(org, admin)
    units = {u.code: u for u in Unit.objects.all()}
    ea, metre, mm = units["ea"], units["m"], units["mm"]
    plant = Plant.objects.create(organization=org, code="BENCH", name="Bench plant", timezone="UTC")
    calendar = WorkingCalendar.objects.create(organization=org, name="Two shifts", plant=plant)
    ShiftPattern.objects.bulk_create(
        [
            ShiftPattern(organization=org, calendar=calendar, weekday=wd, start_time=start, end_time=end)
            for wd in range(5)
            for start, end in (("06:00", "14:00"), ("14:00", "22:00"))
        ]
    )
    CalendarException.objects.bulk_create(
        [
            CalendarException(organization=org, calendar=calendar, date=PLAN_DATE + timedelta(days=d), kind="holiday")
            for d in (17, 80, 150)
        ]
    )
    store = Location.objects.create(organization=org, plant=plant, code="STORE", name="Store")
    quarantine = Location.objects.create(
        organization=org, plant=plant, code="QC", name="Quarantine", location_type="quarantine"
    )

    period_of_level = (30, 60, 90, 90, 90)  # finished products every month, components every quarter
    items: list[Item] = []
    for level, size in enumerate(LEVEL_SIZES):
        bought = level == len(LEVEL_SIZES) - 1
        for n in range(size):
            rule = "period"
            if level == 0 and n % 10 in (0, 1, 2, 3):
                rule = "fixed" if n % 10 == 0 else "lot_for_lot"
            elif bought and n % 10 == 0:
                rule = "min_max"
            bar = bought and n % 7 == 0
            items.append(
                Item(
                    organization=org,
                    number=f"L{level}-{n:05d}",
                    name=f"Level {level} item {n}",
                    stock_unit=metre if bar else ea,
                    status="active",
                    make_or_buy="buy" if bought else "make",
                    manufacturing_lead_time_days=1 + n % 5,
                    purchase_lead_time_days=5 + n % 20,
                    lot_size_rule=rule,
                    fixed_lot_size=Decimal(200 + 50 * (n % 5)) if rule == "fixed" else None,
                    minimum_lot_size=Decimal(100) if rule == "min_max" else None,
                    lot_multiple=Decimal(25) if rule == "min_max" else None,
                    period_days=period_of_level[level] if rule == "period" else None,
                    safety_stock=Decimal(10) if n % 13 == 0 else Decimal(0),
                )
            )
    Item.objects.bulk_create(items, batch_size=2000)
    by_level: list[list[Item]] = []
    all_items = list(Item.objects.order_by("id"))
    offset = 0
    for size in LEVEL_SIZES:
        by_level.append(all_items[offset : offset + size])
        offset += size

    versions = [
        BomVersion(organization=org, item=parent, version=1, status="released")
        for level in range(len(LINES_PER_LEVEL))
        for parent in by_level[level]
    ]
    BomVersion.objects.bulk_create(versions, batch_size=2000)
    version_of = dict(BomVersion.objects.values_list("item_id", "id"))
    phantoms = {it.pk for it in by_level[2][:500]}
    lines: list[BomLine] = []
    for level, per_parent in enumerate(LINES_PER_LEVEL):
        below = by_level[level + 1]
        deeper = by_level[level + 2] if level + 2 < len(by_level) else below
        for parent in by_level[level]:
            picks: set[int] = set()
            chosen = []
            while len(chosen) < per_parent:
                pool = deeper if rng.random() < 0.15 else below
                component = pool[rng.randrange(len(pool))]
                if component.pk in picks:
                    continue
                picks.add(component.pk)
                chosen.append(component)
            for position, component in enumerate(chosen, start=1):
                bar = component.stock_unit_id == metre.pk
                lines.append(
                    BomLine(
                        organization=org,
                        version_id=version_of[parent.pk],
                        position=10 * position,
                        component=component,
                        quantity=Decimal(250) if bar else Decimal(2 if rng.random() < 0.2 else 1),
                        unit=mm if bar else ea,
                        scrap_factor=Decimal("0.02") if position == 1 else Decimal(0),
                        is_phantom=level == 1 and position == per_parent and component.pk in phantoms,
                    )
                )
    BomLine.objects.bulk_create(lines, batch_size=2000)

    customer = Customer.objects.create(organization=org, number="CUS-000001", name="Bench customer")
    orders = [
        SalesOrder(organization=org, plant=plant, number=f"SO-{n:06d}", customer=customer, status="confirmed")
        for n in range(SALES_LINES // 5)
    ]
    SalesOrder.objects.bulk_create(orders, batch_size=2000)
    orders = list(SalesOrder.objects.order_by("id"))
    finished = by_level[0]
    sales_lines = []
    for n in range(SALES_LINES):
        product = finished[rng.randrange(len(finished))]
        quantity = Decimal(1 + rng.randrange(20))
        sales_lines.append(
            SalesOrderLine(
                organization=org,
                order=orders[n // 5],
                position=10 * (n % 5 + 1),
                item=product,
                quantity=quantity,
                unit=ea,
                due_date=PLAN_DATE + timedelta(days=rng.randrange(-10, HORIZON)),
                stock_quantity=quantity,
            )
        )
    SalesOrderLine.objects.bulk_create(sales_lines, batch_size=2000)
    forecasts = []
    seen_forecasts: set[tuple[int, int]] = set()
    while len(forecasts) < FORECASTS:
        product, week = finished[rng.randrange(len(finished))], rng.randrange(26)
        if (product.pk, week) in seen_forecasts:
            continue
        seen_forecasts.add((product.pk, week))
        forecasts.append(
            Forecast(
                organization=org,
                plant=plant,
                item=product,
                period_start=PLAN_DATE + timedelta(weeks=week),
                quantity=Decimal(5 + rng.randrange(40)),
            )
        )
    Forecast.objects.bulk_create(forecasts, batch_size=2000)

    balances = []
    for index, it in enumerate(all_items):
        if index % 4 == 0:
            balances.append(
                StockBalance(organization=org, item=it, location=store, on_hand=Decimal(rng.randrange(200)), reserved=0)
            )
        if index % 50 == 0:
            balances.append(StockBalance(organization=org, item=it, location=quarantine, on_hand=Decimal(30)))
    StockBalance.objects.bulk_create(balances, batch_size=2000)

    supplier = Supplier.objects.create(organization=org, number="SUP-000001", name="Bench supplier")
    purchase_orders = [
        PurchaseOrder(organization=org, plant=plant, supplier=supplier, number=f"PO-{n:06d}", status="sent")
        for n in range(PURCHASE_LINES // 4)
    ]
    PurchaseOrder.objects.bulk_create(purchase_orders, batch_size=2000)
    purchase_orders = list(PurchaseOrder.objects.order_by("id"))
    raw = by_level[-1]
    PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(
                organization=org,
                order=purchase_orders[n // 4],
                position=10 * (n % 4 + 1),
                item=(material := raw[rng.randrange(len(raw))]),
                quantity=Decimal(100 + rng.randrange(400)),
                unit=material.stock_unit,
                due_date=PLAN_DATE + timedelta(days=rng.randrange(-5, 120)),
            )
            for n in range(PURCHASE_LINES)
        ],
        batch_size=2000,
    )
    WorkOrder.objects.bulk_create(
        [
            WorkOrder(
                organization=org,
                plant=plant,
                number=f"WO-{n:06d}",
                item=by_level[1][rng.randrange(len(by_level[1]))],
                quantity=Decimal(10 + rng.randrange(50)),
                unit=ea,
                due_date=PLAN_DATE + timedelta(days=rng.randrange(0, 60)),
                status="released" if n % 2 else "planned",
            )
            for n in range(WORK_ORDERS)
        ],
        batch_size=2000,
    )
    context.__exit__(None, None, None)
    from django.db import connection

    with connection.cursor() as cursor:
        # What autovacuum does to a plant's tables long before anyone plans on them: planner
        # statistics and, on PostgreSQL, the visibility map and hint bits of the rows just bulk
        # loaded (without it the run's first reads set a hint bit on every one of ~250,000 rows
        # and write those pages back: about 2 s of the run's wall time, once).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "org": org.pk,
        "plant": plant.pk,
        "admin": admin.pk,
        "build_seconds": round(time.perf_counter() - started, 1),
        "items": len(all_items),
        "bom_lines": len(lines),
        "sales_lines": len(sales_lines),
        "forecasts": len(forecasts),
    }


def measure_run(plant_id: int, admin_id: int) -> dict:
    """In the child process: ask for a run and run it; wall and CPU seconds of this process."""
    from shopfloor.core import tenancy
    from shopfloor.core.models import Plant, User
    from shopfloor.planning.services import mrp

    plant = Plant.objects.unscoped().select_related("organization").get(pk=plant_id)
    admin = User.objects.get(pk=admin_id)
    with tenancy.use(plant.organization, admin):
        requested = mrp.request_mrp_run(
            actor=admin, plant=plant, horizon_days=HORIZON, plan_date=PLAN_DATE, queue=False
        )
    wall, cpu = time.perf_counter(), time.process_time()
    run = mrp.run_mrp(requested.pk)
    return {
        "status": run.status,
        "error": run.error,
        "wall_seconds": round(time.perf_counter() - wall, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "stats": run.stats,
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        _setup_django()
        print(json.dumps(measure_run(int(sys.argv[2]), int(sys.argv[3]))))
        return
    with bench_database("bench_mrp") as url:
        from django.db import connection, connections

        info = build()
        vendor = connection.vendor
        connections.close_all()
        measured = run_measured_child(__file__, url, info["plant"], info["admin"])
        result = {
            "benchmark": "mrp",
            "database": vendor,
            "items": info["items"],
            "bom_lines": info["bom_lines"],
            "demands": info["sales_lines"] + info["forecasts"],
            "build_seconds": info["build_seconds"],
            **measured,
            "under_10s": measured["wall_seconds"] < TARGET_SECONDS,
            "under_1GB": measured["peak_rss_mb"] < TARGET_MB,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "cpu_reference_seconds": cpu_reference_seconds(),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
