"""Ledger paging at depth: page 1 and page 10,000 of a 1,000,000-move history through the keyset
selector (`inventory.selectors.ledger`), on PostgreSQL; target: within 2x of each other.

The moves are loaded with COPY into a throwaway database (created on the server DATABASE_URL
names, default postgres://postgres@127.0.0.1:5432/postgres, and dropped afterwards); balances are
not built, only the history is paged. Prints one JSON document with the median of the runs.

    .venv/bin/python bench/ledger_paging.py
    BENCH_LEDGER_MOVES=200000 .venv/bin/python bench/ledger_paging.py
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import timedelta

from _throwaway_pg import organization_with_stock_locations, throwaway_database

MOVES = int(os.environ.get("BENCH_LEDGER_MOVES", "1000000"))
PAGE_SIZE = 50
DEEP_PAGE = int(os.environ.get("BENCH_LEDGER_PAGE", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "21"))
TARGET_RATIO = 2.0


def load(org, plant, shelves, item, supplier) -> float:
    """COPY the moves in: receipts and transfers over a year, three to a second (ties on the instant)."""
    from django.db import connection
    from django.utils import timezone

    started = time.perf_counter()
    begin = timezone.now() - timedelta(days=365)
    columns = (
        "organization_id, created_at, updated_at, plant_id, item_id, quantity, entered_quantity, entered_unit_id,"
        " from_location_id, to_location_id, kind, reason_code, note, source_object_type, source_object_id,"
        " source_number, idempotency_key, posted_at"
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY inventory_stockmove ({columns}) FROM STDIN") as copy:
            for i in range(MOVES):
                when = begin + timedelta(seconds=i // 3)
                if i % 2:
                    source, target, kind = supplier.pk, shelves[i % len(shelves)].pk, "receive"
                else:
                    source, target, kind = shelves[i % len(shelves)].pk, shelves[(i + 1) % len(shelves)].pk, "transfer"
                copy.write_row(
                    (
                        org.pk,
                        when,
                        when,
                        plant.pk,
                        item.pk,
                        1,
                        1,
                        item.stock_unit_id,
                        source,
                        target,
                        kind,
                        "",
                        "",
                        "",
                        "",
                        f"DOC-{i // 10}",
                        "",
                        when,
                    )
                )
        cursor.execute("ANALYZE inventory_stockmove")
    return time.perf_counter() - started


def timed(func, runs: int = RUNS) -> tuple[float, list]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    with throwaway_database("bench_ledger"):
        from django.db import connection

        from shopfloor.catalog.models import Item, Unit
        from shopfloor.core import tenancy
        from shopfloor.inventory import selectors
        from shopfloor.inventory.models import StockMove

        admin, org, plant, shelves = organization_with_stock_locations(4)
        with tenancy.use(org, admin):
            item = Item.objects.create(
                organization=org, number="LEDGER-1", name="Busy item", stock_unit=Unit.objects.get(code="ea")
            )
            supplier = selectors.locations().get(plant=plant, location_type="supplier")
            load_seconds = load(org, plant, shelves, item, supplier)
            assert StockMove.objects.count() == MOVES
            # The cursor a client holds after reading 9,999 pages (found untimed, by offset).
            last = StockMove.objects.order_by("-posted_at", "-id").values("posted_at", "id")[
                PAGE_SIZE * (DEEP_PAGE - 1) - 1
            ]
            cursor = (last["posted_at"], last["id"])
            first_s, first = timed(lambda: selectors.ledger(size=PAGE_SIZE))
            deep_s, deep = timed(lambda: selectors.ledger(after=cursor, size=PAGE_SIZE))
            # The same deep page by OFFSET, for comparison: what cursor paging avoids.
            offset_s, _ = timed(
                lambda: list(
                    selectors.moves().order_by("-posted_at", "-id")[PAGE_SIZE * (DEEP_PAGE - 1) :][:PAGE_SIZE]
                ),
                runs=5,
            )
            expected_first_id = StockMove.objects.order_by("-posted_at", "-id").values_list("id", flat=True)[
                PAGE_SIZE * (DEEP_PAGE - 1)
            ]
            with connection.cursor() as c:
                qs = selectors.moves().filter(posted_at__lte=cursor[0]).order_by("-posted_at", "-id")[:PAGE_SIZE]
                sql, params = qs.query.sql_with_params()
                c.execute("EXPLAIN " + sql, params)
                plan = [row[0] for row in c.fetchall()][:3]
        print(
            json.dumps(
                {
                    "benchmark": "ledger_paging",
                    "database": connection.vendor,
                    "moves": MOVES,
                    "page_size": PAGE_SIZE,
                    "load_seconds": round(load_seconds, 1),
                    "page_1_ms": round(first_s * 1000, 2),
                    f"page_{DEEP_PAGE}_ms": round(deep_s * 1000, 2),
                    "ratio": round(deep_s / first_s, 2),
                    "target_ratio": TARGET_RATIO,
                    "within_target": deep_s / first_s <= TARGET_RATIO,
                    "deep_page_rows_correct": len(deep) == PAGE_SIZE and deep[0].pk == expected_first_id,
                    f"page_{DEEP_PAGE}_by_offset_ms": round(offset_s * 1000, 2),
                    "deep_page_plan": plan,
                    "runs": RUNS,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
