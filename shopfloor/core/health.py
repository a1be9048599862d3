"""`/health/`: database, cache, broker (when configured), migrations and disk, as JSON; 200 or 503."""

from __future__ import annotations

import shutil
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

MIN_FREE_DISK_BYTES = 512 * 1024 * 1024


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = check() or {}
        result = {"status": "ok", **detail}
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure, it never raises
        result = {"status": "error", "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> dict[str, Any]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connections[DEFAULT_DB_ALIAS].vendor}


def check_cache() -> dict[str, Any]:
    cache.set("health:probe", "1", 10)
    if cache.get("health:probe") != "1":
        raise RuntimeError("cache did not return what was written")
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def check_broker() -> dict[str, Any]:
    from shopfloor.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"transport": app.conf.broker_url.split(":", 1)[0]}


def check_migrations() -> dict[str, Any]:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    # Every node, not the plan to the leaves: that plan is empty when a leaf is applied even
    # if a migration before it is not (a half-restored database).
    applied = executor.loader.applied_migrations or {}
    missing = [key for key in executor.loader.graph.nodes if key not in applied]
    if missing:
        raise RuntimeError(f"{len(missing)} migration(s) not applied")
    return {}


def check_disk() -> dict[str, Any]:
    usage = shutil.disk_usage(settings.MEDIA_ROOT if settings.MEDIA_ROOT.exists() else settings.BASE_DIR)
    if usage.free < MIN_FREE_DISK_BYTES:
        raise RuntimeError(f"only {usage.free // (1024 * 1024)} MiB free")
    return {"free_mb": usage.free // (1024 * 1024)}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = {"database": _timed(check_database), "cache": _timed(check_cache)}
    from shopfloor.celery import app

    # The Celery app, not the settings module, decides where tasks go (it can be reconfigured).
    if not app.conf.task_always_eager:
        checks["broker"] = _timed(check_broker)
    else:
        checks["broker"] = {"status": "skipped", "detail": "no broker configured: tasks run in-process"}
    checks["migrations"] = _timed(check_migrations)
    checks["disk"] = _timed(check_disk)
    healthy = all(c["status"] in ("ok", "skipped") for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
