"""Test helpers for real concurrency, attacker-style tampering and a reconfigured Celery app."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, connections
from kombu import pools as kombu_pools

from shopfloor.celery import app as celery_app


def run_in_threads(count: int, target: Callable[[int], Any], timeout: float = 120) -> list[Any]:
    """Run `target(i)` in `count` threads started together; return results, re-raise the first error.

    Each thread has its own database connection (closed at the end), so the database, not
    Python, decides who waits: this is what concurrent requests or workers do.
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,), name=f"writer-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a writer thread hung"
    if errors:
        raise errors[0]
    return results


def as_attacker(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    """Run raw SQL the way someone with database access would, bypassing triggers on PostgreSQL."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def _drop_connections() -> None:
    """Forget pooled broker connections and cached routing so new settings take effect."""
    kombu_pools.reset()  # the global pools are keyed by broker URL: close and forget them all
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
        for cached in ("queues", "default_queue", "router"):
            amqp.__dict__.pop(cached, None)


@contextmanager
def celery_configured(**changes: Any) -> Iterator[Any]:
    """Reconfigure the project's Celery app for one test (`task_always_eager=False, broker_url=...`)."""
    old = {key: celery_app.conf[key] for key in changes}
    celery_app.conf.update(changes)
    _drop_connections()
    try:
        yield celery_app
    finally:
        celery_app.conf.update(old)
        _drop_connections()


CLOSED_BROKER_URL = "redis://127.0.0.1:1/0"  # port 1: nothing listens, connections are refused


def listed_ids(response: Any) -> list[int]:
    """The ids of an API list page, sorted (the answer must be a 200)."""
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def assert_api_keeps_to_the_plant(
    api: Any, local: Any, base: str, home: dict[str, Any], away: dict[str, Any], resources: Iterable[str]
) -> None:
    """For each resource under `base` (an API prefix): `api`, a client of every plant, lists the
    home and the away row; `local`, a client limited to the home plant, lists the home row only,
    reads it (200) and does not find the away row (404). `home` and `away` map a resource to its row."""
    for resource in resources:
        both = sorted([home[resource].pk, away[resource].pk])
        assert listed_ids(api.get(f"{base}{resource}/")) == both, resource
        assert listed_ids(local.get(f"{base}{resource}/")) == [home[resource].pk], resource
        assert local.get(f"{base}{resource}/{home[resource].pk}/").status_code == 200, resource
        assert local.get(f"{base}{resource}/{away[resource].pk}/").status_code == 404, resource
