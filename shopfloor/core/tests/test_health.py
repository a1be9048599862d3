"""`/health/`: every dependency reported as JSON; 503 as soon as one is broken."""

from __future__ import annotations

import os

import pytest
from django.db.migrations.recorder import MigrationRecorder

from shopfloor.core import health
from shopfloor.core.tests.support import CLOSED_BROKER_URL, celery_configured

pytestmark = pytest.mark.django_db


def test_health_reports_every_check_as_json_with_200_when_all_is_well(client):
    response = client.get("/health/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "migrations", "disk"}
    for name in ("database", "cache", "migrations", "disk"):
        assert body["checks"][name]["status"] == "ok", body
        assert isinstance(body["checks"][name]["ms"], float | int)
    assert body["checks"]["broker"]["status"] == "skipped"  # eager: no broker to ask
    assert body["checks"]["disk"]["free_mb"] > 0


def test_health_is_503_when_the_broker_is_unreachable(client):
    with celery_configured(task_always_eager=False, broker_url=CLOSED_BROKER_URL):
        response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.redis
def test_health_checks_a_real_redis_broker(client):
    with celery_configured(task_always_eager=False, broker_url=os.environ["REDIS_URL"]):
        response = client.get("/health/")
    assert response.status_code == 200, response.content
    broker = response.json()["checks"]["broker"]
    assert (broker["status"], broker["transport"]) == ("ok", "redis")


def test_health_is_503_when_a_migration_is_not_applied(client):
    MigrationRecorder.Migration.objects.filter(app="core", name="0002_audit_append_only").delete()
    response = client.get("/health/")
    assert response.status_code == 503
    check = response.json()["checks"]["migrations"]
    assert check["status"] == "error" and "1 migration(s) not applied" in check["error"]


def test_health_is_503_when_the_disk_is_nearly_full(client, monkeypatch):
    monkeypatch.setattr(health, "MIN_FREE_DISK_BYTES", 1 << 62)  # more than any disk has free
    response = client.get("/health/")
    assert response.status_code == 503
    assert "MiB free" in response.json()["checks"]["disk"]["error"]


def test_health_is_503_when_the_cache_is_unreachable(client, settings):
    # Django's setting_changed handler rebuilds the cache connections for the new setting.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["status"] == "error"


def test_health_answers_anonymous_callers_and_only_get(client):
    assert client.post("/health/").status_code == 405
