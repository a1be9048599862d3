"""Operations: request ids on every response, JSON logs, the demo seed, the Celery set-up."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from shopfloor.core import access, audit, tenancy
from shopfloor.core.logging import JsonFormatter, RequestIdFilter
from shopfloor.core.models import AuditEvent, Membership, Organization, Plant, Role, User

# --- Request id ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_response_echoes_a_sane_incoming_request_id(client):
    response = client.get("/health/", HTTP_X_REQUEST_ID="lb-4f2a.9_x")
    assert response["X-Request-ID"] == "lb-4f2a.9_x"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/", "/no-such-page/", "/api/v1/core/plants/"])
def test_every_response_gets_a_generated_request_id_when_none_came(client, path):
    first, second = client.get(path), client.get(path)
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"]), path
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "junk", ["has space", "x" * 65, "new\nline", "<script>", "ünïcode", "a;b", "", "../../etc/passwd"]
)
def test_a_junk_request_id_is_replaced_not_echoed(client, junk):
    response = client.get("/health/", HTTP_X_REQUEST_ID=junk)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_api_errors_carry_the_request_id_too(client):
    response = client.get("/api/v1/core/plants/", HTTP_X_REQUEST_ID="req-err-1")
    assert response.status_code in (401, 403)
    assert response["X-Request-ID"] == "req-err-1"


# --- JSON logs ----------------------------------------------------------------------------------


def _json_handler() -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler, stream


def test_json_log_lines_carry_level_logger_message_and_request_id():
    handler, stream = _json_handler()
    logger = logging.getLogger("shopfloor.test.json")
    logger.setLevel(logging.INFO)  # not inherited: an in-process Celery worker lowers the root's
    logger.addHandler(handler)
    token = tenancy.set_request_id("req-log-42")
    try:
        logger.warning("Pump %s stopped", "P-7")
    finally:
        tenancy.reset_request_id(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().strip())
    assert line["level"] == "WARNING"
    assert line["logger"] == "shopfloor.test.json"
    assert line["message"] == "Pump P-7 stopped"
    assert line["request_id"] == "req-log-42"
    assert "time" in line


@pytest.mark.django_db
def test_logs_written_while_serving_a_request_carry_its_request_id(client):
    handler, stream = _json_handler()
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.WARNING)  # not inherited: an in-process Celery worker lowers the root's
    logger.addHandler(handler)
    try:
        client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-404-7")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    lines = [json.loads(raw) for raw in stream.getvalue().splitlines()]
    assert any(
        line["request_id"] == "req-404-7" and line["level"] == "WARNING" and "/no-such-page/" in line["message"]
        for line in lines
    ), lines


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "CELERY_BROKER_URL", "CELERY_EAGER", "SHOPFLOOR_TESTING", "LOG_FORMAT", "DJANGO_ENV"}
    }
    env.update(extra)
    return env


def _run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )


def test_log_format_json_makes_the_configured_handler_write_json_lines():
    code = (
        "import django, logging; django.setup();"
        "from shopfloor.core import tenancy; tenancy.set_request_id('req-sub-1');"
        "logging.getLogger('shopfloor.ops').warning('disk at %d%%', 91)"
    )
    result = _run_python(code, _clean_env(LOG_FORMAT="json", DJANGO_SETTINGS_MODULE="shopfloor.settings"))
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["level"], line["logger"], line["message"], line["request_id"]) == (
        "WARNING",
        "shopfloor.ops",
        "disk at 91%",
        "req-sub-1",
    )


# --- Celery configuration -----------------------------------------------------------------------

_CELERY_PROBE = (
    "import json, django; django.setup();"
    "from shopfloor.celery import app;"
    "app.loader.import_default_modules();"  # what a worker does at start: autodiscovery
    "print(json.dumps({'eager': app.conf.task_always_eager, 'broker': app.conf.broker_url,"
    " 'tasks': sorted(t for t in app.tasks if t.startswith('shopfloor.')),"
    " 'beat': sorted(v['task'] for v in app.conf.beat_schedule.values())}))"
)


def _celery_conf(**env: str) -> dict:
    result = _run_python(_CELERY_PROBE, _clean_env(DJANGO_SETTINGS_MODULE="shopfloor.settings", **env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_celery_runs_tasks_eagerly_in_process_when_no_broker_is_configured():
    conf = _celery_conf()
    assert conf["eager"] is True and conf["broker"] == "memory://"
    assert "shopfloor.core.tasks.dispatch_event" in conf["tasks"]
    assert "shopfloor.core.tasks.sweep_outbox" in conf["beat"]
    assert "shopfloor.quality.tasks.send_capa_reminders" in conf["beat"]
    # Every scheduled task is one a worker knows (a typo would only show in production).
    assert set(conf["beat"]) <= set(conf["tasks"])


def test_celery_uses_redis_when_redis_url_is_set():
    conf = _celery_conf(REDIS_URL="redis://127.0.0.1:6379/3")
    assert conf["eager"] is False and conf["broker"] == "redis://127.0.0.1:6379/3"


def test_celery_stays_eager_in_tests_unless_told_otherwise():
    assert _celery_conf(REDIS_URL="redis://127.0.0.1:6379/3", SHOPFLOOR_TESTING="1")["eager"] is True
    conf = _celery_conf(REDIS_URL="redis://127.0.0.1:6379/3", SHOPFLOOR_TESTING="1", CELERY_EAGER="0")
    assert conf["eager"] is False


# --- seed_demo ----------------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "plants": Plant.objects.unscoped().count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.unscoped().count(),
        "roles": Role.objects.unscoped().count(),
        "audit": AuditEvent.objects.unscoped().count(),
    }


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_organizations_and_one_user_per_role_template(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    demo = Organization.objects.get(name="Demo Drilling Tools")
    assert Organization.objects.filter(name="Northwind Machining").exists()
    with tenancy.use(demo):
        assert Plant.objects.count() == 2
        for role_name in access.ROLE_TEMPLATES:
            username = f"demo-{role_name.lower().replace(' ', '-')}"
            membership = Membership.objects.get(user__username=username)
            assert [r.name for r in membership.roles.all()] == [role_name]
            assert username in out.getvalue()
    assert "northwind-administrator" in out.getvalue() and "admin" in out.getvalue()
    assert User.objects.get(username="admin").is_superuser
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="demo-planner", password="shopfloor-demo") is not None
    assert audit.verify() == []


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo", stdout=StringIO())
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert audit.verify() == []
    call_command("verify_audit", stdout=StringIO())


@pytest.mark.django_db
def test_seed_demo_if_empty_only_prints_the_logins_when_data_exists():
    call_command("seed_demo", stdout=StringIO())
    first = _counts()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert _counts() == first
    assert "demo-viewer" in out.getvalue()
