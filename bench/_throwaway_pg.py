"""A throwaway PostgreSQL database for a benchmark: created on the server DATABASE_URL names
(default postgres://postgres@127.0.0.1:5432/postgres), migrated, dropped at the end."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


@contextmanager
def throwaway_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """Create a database, point Django at it, migrate; yield its name; drop it whatever happens.

    With `template`, the database starts as a copy of that one (PostgreSQL copies the files: a
    scene built once is set up again in seconds; see BENCH_REUSE in shopfloor_day.py)."""
    import psycopg

    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    if not server.startswith(("postgres://", "postgresql://")):
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL to a postgres:// server URL.")
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    base, _, _ = server.rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopfloor.settings")
    for var in ("SHOPFLOOR_TESTING", "DJANGO_ENV"):
        os.environ.pop(var, None)
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def organization_with_stock_locations(locations: int = 4):
    """A superuser, an organization, a plant with its virtual locations and `locations` shelves."""
    from shopfloor.catalog import services as catalog_services
    from shopfloor.core import services, tenancy
    from shopfloor.core.models import Plant, User
    from shopfloor.inventory import services as inventory_services
    from shopfloor.inventory.models import Location

    admin = User.objects.create_superuser("bench", "bench@example.com", "x")
    org = services.create_organization(actor=admin, name="Bench", slug="bench")
    with tenancy.use(org, admin):
        catalog_services.install_standard_units(org, admin)
        plant = Plant.objects.create(organization=org, code="B1", name="Bench plant")
        inventory_services.ensure_virtual_locations(plant)
        shelves = [
            Location.objects.create(organization=org, plant=plant, code=f"S{i:02d}", name=f"Shelf {i}")
            for i in range(locations)
        ]
    return admin, org, plant, shelves
