"""Settings: production refuses to start half-configured, passes `check --deploy`; SQLite set up for concurrency."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from shopfloor.core.models import Organization

BASE_DIR = Path(settings.BASE_DIR)
REAL_KEY = secrets.token_urlsafe(64)


def _run(args: list[str], **env_overrides: str | None) -> subprocess.CompletedProcess[str]:
    """Run Python in a fresh process with the test-only switches removed and `env_overrides` applied."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SHOPFLOOR_TESTING", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    for name, value in env_overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def _import_settings(**env: str | None) -> subprocess.CompletedProcess[str]:
    code = (
        "import shopfloor.settings as s; "
        "print(s.DEBUG, getattr(s, 'SESSION_COOKIE_SECURE', False), getattr(s, 'CSRF_COOKIE_SECURE', False))"
    )
    return _run(["-c", code], **env)


@pytest.mark.parametrize(
    "secret_key",
    [
        None,
        "",
        "short-key",
        "django-insecure-" + "x" * 60,
        "dev-insecure-secret-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz",
    ],
    ids=["missing", "empty", "short", "django-insecure", "dev-default"],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    result = _import_settings(DJANGO_ENV="production", SECRET_KEY=secret_key, ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("hosts", [None, "", "*", "example.com,*"], ids=["missing", "empty", "star", "with-star"])
def test_production_refuses_to_start_without_allowed_hosts(hosts):
    result = _import_settings(DJANGO_ENV="production", SECRET_KEY=REAL_KEY, ALLOWED_HOSTS=hosts)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_secure_cookies_and_no_debug():
    result = _import_settings(DJANGO_ENV="production", SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]


def test_development_needs_no_configuration():
    result = _import_settings(DJANGO_ENV=None)
    assert result.returncode == 0, result.stderr


def test_check_deploy_passes_with_production_settings():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_ENV="production",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_body_size_limit_comes_from_the_environment():
    code = "import shopfloor.settings as s; print(s.SHOPFLOOR_MAX_REQUEST_BODY, s.DATA_UPLOAD_MAX_MEMORY_SIZE)"
    result = _run(["-c", code], MAX_REQUEST_BODY_BYTES="12345")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["12345", "12345"]


# --- SQLite: WAL and IMMEDIATE transactions ------------------------------------------------------

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite settings")


@sqlite_only
@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_immediate_transactions():
    assert not connection.is_in_memory_db()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.transaction_mode == "IMMEDIATE"


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sqlite_writers_both_succeed():
    # Each writer reads, pauses, then writes inside one transaction: with DEFERRED transactions
    # the second writer would fail with "database is locked"; IMMEDIATE makes it wait its turn.
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                Organization.objects.count()
                time.sleep(0.3)
                Organization.objects.create(name=f"Concurrent {n}", slug=f"concurrent-{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert set(Organization.objects.filter(slug__startswith="concurrent-").values_list("slug", flat=True)) == {
        "concurrent-0",
        "concurrent-1",
    }
