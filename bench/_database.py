"""The database a benchmark builds its scene in: a fresh SQLite file under var/ by default; with
DATABASE_URL naming a PostgreSQL server (postgres://postgres@127.0.0.1:5432/postgres), a new
database on that server, dropped afterwards whatever happens. Django is set up and migrated."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_environment() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopfloor.settings")
    for name in ("SHOPFLOOR_TESTING", "DJANGO_ENV"):
        os.environ.pop(name, None)
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def _create(server: str, prefix: str) -> tuple[str, str | None]:
    """(DATABASE_URL to use, name of a PostgreSQL database to drop afterwards or None)."""
    if not server:
        db = ROOT / "var" / f"{prefix}.sqlite3"
        db.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{db}", None
    if not server.startswith(("postgres://", "postgresql://")):
        return server, None
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server.rpartition("/")
    return f"{base}/{name}", name


def drop(server: str, name: str | None) -> None:
    if not name:
        return
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def bench_database(prefix: str, *, setup: bool = True) -> Iterator[str]:
    """Point DATABASE_URL at a new database for this run and yield its URL; drop it at the end.

    With `setup` (the default), django.setup() and migrate run first; without, the caller (or
    a child process it starts with this environment) does.
    """
    settings_environment()
    server = os.environ.get("DATABASE_URL", "")
    url, name = _create(server, prefix)
    os.environ["DATABASE_URL"] = url
    try:
        if setup:
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        yield url
    finally:
        if setup:
            from django.db import connections

            connections.close_all()
        drop(server, name)


def analyze() -> None:
    """Planner statistics for tables filled by one bulk load (PostgreSQL's autovacuum would gather
    them within a minute; without them it plans joins as if the tables were empty). SQLite's
    ANALYZE feeds its planner the same way."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def cpu_reference_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop, printed beside a benchmark's figures so runs
    taken at different times can be compared: on the 2-core development machine the same MRP
    run used 6.7, 8.9 then 10.8 CPU seconds in three successive quiet runs."""
    import time

    start, total = time.process_time(), 0
    for i in range(5_000_000):
        total += i
    return round(time.process_time() - start, 3)


def run_measured_child(script: str, url: str, *args: object) -> dict:
    """Run `script --measure ARGS` in a fresh Python process on the database `url` and return the
    JSON document it prints last: the timed part of a benchmark, away from the heap and collector
    state of the process that built the scene."""
    import json
    import subprocess

    child = subprocess.run(
        [sys.executable, script, "--measure", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
        check=False,
    )
    if child.returncode != 0:
        raise SystemExit(f"The measured run failed:\n{child.stderr[-4000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])
