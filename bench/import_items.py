"""Import throughput: a CSV of 2,000 items (BENCH_IMPORT_ROWS), dry run then commit, and their export.

Runs the import job exactly as a worker does (`exchange.services.run_job`: every row checked,
then every row written through the catalog's services in one transaction, audited) in a
throwaway database: a fresh SQLite file under var/ by default; with DATABASE_URL set to a
PostgreSQL server a new database is created there and dropped afterwards. Prints one JSON document.

    .venv/bin/python bench/import_items.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_items.py
    BENCH_IMPORT_ROWS=50000 .venv/bin/python bench/import_items.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time

from _database import bench_database

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "2000"))


def items_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["number", "name", "item_type", "make_or_buy", "stock_unit", "standard_cost", "safety_stock"])
    for n in range(rows):
        bought = n % 3 == 0
        writer.writerow(
            [
                f"P-{n:06d}",
                f"Part {n}",
                "purchased_component" if bought else "manufactured_part",
                "buy" if bought else "make",
                "kg" if n % 7 == 0 else "ea",
                f"{n % 997}.{n % 100:02d}",
                str(n % 13),
            ]
        )
    return out.getvalue().encode()


def main() -> None:
    os.environ["CELERY_EAGER"] = "1"
    media = tempfile.TemporaryDirectory(prefix="bench-import-media-")
    os.environ["MEDIA_ROOT"] = media.name
    with media, bench_database("bench_import"):
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.db import connection

        from shopfloor.catalog import services as catalog_services
        from shopfloor.catalog.models import Item
        from shopfloor.core import services, tenancy
        from shopfloor.core.models import User
        from shopfloor.exchange import selectors
        from shopfloor.exchange import services as exchange

        admin = User.objects.create_superuser("bench", "bench@example.com", "x")
        org = services.create_organization(actor=admin, name="Bench", slug="bench", admin=admin)
        catalog_services.install_standard_units(org, admin)
        content = items_csv(ROWS)
        timings = {}
        for label, dry_run in (("dry_run", True), ("commit", False)):
            with tenancy.use(org, admin):
                job = exchange.start_import(
                    actor=admin,
                    dataset="items",
                    upload=SimpleUploadedFile("items.csv", content),
                    dry_run=dry_run,
                    queue=False,
                )
            queries = [0]

            def count(execute, sql, params, many, context, queries=queries):
                queries[0] += 1
                return execute(sql, params, many, context)

            start, start_cpu = time.perf_counter(), time.process_time()
            with connection.execute_wrapper(count):
                job = exchange.run_job(job.pk)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            assert job is not None and job.error_count == 0, job and job.errors[:3]
            timings[label] = {
                "status": job.status,
                "seconds": round(elapsed, 2),
                "rows_per_s": round(ROWS / elapsed),
                "cpu_seconds": round(cpu, 2),  # this process only (SQLite's work included, not PostgreSQL's)
                "queries_per_row": round(queries[0] / ROWS, 1),
            }
        with tenancy.use(org, admin):
            assert Item.objects.count() == ROWS
            start = time.perf_counter()
            body, _, _ = selectors.export(actor=admin, dataset="items", fmt="csv")
            exported = "".join(body)
            csv_seconds = time.perf_counter() - start
            start = time.perf_counter()
            xlsx, _, _ = selectors.export(actor=admin, dataset="items", fmt="xlsx")
            xlsx_seconds = time.perf_counter() - start
        print(
            json.dumps(
                {
                    "benchmark": "import_items",
                    "database": connection.vendor,
                    "rows": ROWS,
                    "file_bytes": len(content),
                    "dry_run": timings["dry_run"],
                    "commit": timings["commit"],
                    "export_csv": {"seconds": round(csv_seconds, 2), "bytes": len(exported.encode())},
                    "export_xlsx": {"seconds": round(xlsx_seconds, 2), "bytes": len(xlsx)},
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                    "cpus": os.cpu_count(),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
