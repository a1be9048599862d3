"""Stock posting throughput: moves per second through `inventory.services.post_move` with 1 and
20 concurrent writers on a few hot items, on PostgreSQL (a throwaway database it creates and drops
on the server DATABASE_URL names, default postgres://postgres@127.0.0.1:5432/postgres).

Each move is a transfer of 1 unit of one of 5 hot items between 4 shelves (two balance rows
updated by conditional UPDATEs, the move, its outbox event and its audit event, one commit).
Events are written to the outbox in the move's transaction as always; delivering them is a Celery
worker's job and is not timed here. Prints one JSON document.

    .venv/bin/python bench/inventory_posting.py
    BENCH_MOVES_PER_WRITER=500 .venv/bin/python bench/inventory_posting.py
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from decimal import Decimal

from _throwaway_pg import organization_with_stock_locations, throwaway_database

MOVES_PER_WRITER = int(os.environ.get("BENCH_MOVES_PER_WRITER", "300"))
HOT_ITEMS = 5


def run(writers: int, org, admin, items, shelves) -> dict:
    from django.db import connections

    from shopfloor.core import tenancy
    from shopfloor.core.errors import Conflict
    from shopfloor.inventory import services

    barrier = threading.Barrier(writers + 1)
    refused = [0] * writers
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        rng = random.Random(i)
        try:
            with tenancy.use(org, admin):
                barrier.wait()
                for _ in range(MOVES_PER_WRITER):
                    source, target = rng.sample(shelves, 2)
                    try:
                        services.transfer(
                            actor=admin, item=rng.choice(items), quantity=Decimal(1), source=source, target=target
                        )
                    except Conflict:
                        refused[i] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    moves = writers * MOVES_PER_WRITER
    return {
        "writers": writers,
        "moves": moves,
        "refused": sum(refused),
        "seconds": round(elapsed, 2),
        "moves_per_second": round(moves / elapsed, 1),
    }


def main() -> None:
    with throwaway_database("bench_posting"):
        from django.db import connection

        from shopfloor.catalog.models import Item, Unit
        from shopfloor.core import events, tenancy
        from shopfloor.inventory import selectors, services
        from shopfloor.inventory.models import StockBalance

        events.enqueue = lambda event_id: None  # delivery belongs to a worker, not to the timed path
        admin, org, plant, shelves = organization_with_stock_locations(4)
        with tenancy.use(org, admin):
            ea = Unit.objects.get(code="ea")
            items = [
                Item.objects.create(organization=org, number=f"HOT-{i}", name=f"Hot item {i}", stock_unit=ea)
                for i in range(HOT_ITEMS)
            ]
            for item in items:
                for shelf in shelves:
                    services.receive(actor=admin, item=item, quantity=Decimal(1_000_000), location=shelf)
        results = [run(1, org, admin, items, shelves), run(20, org, admin, items, shelves)]
        with tenancy.use(org):
            books = {(b.item_id, b.location_id, b.lot_id): b.on_hand for b in StockBalance.objects.all()}
            consistent = books == selectors.ledger_sums()
        print(
            json.dumps(
                {
                    "benchmark": "inventory_posting",
                    "database": connection.vendor,
                    "server_version": connection.pg_version,
                    "hot_items": HOT_ITEMS,
                    "locations": len(shelves),
                    "moves_per_writer": MOVES_PER_WRITER,
                    "runs": results,
                    "scaling_20_vs_1": round(results[1]["moves_per_second"] / results[0]["moves_per_second"], 2),
                    "balances_equal_ledger": consistent,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
