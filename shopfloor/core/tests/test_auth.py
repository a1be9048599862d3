"""Authentication: web sessions, personal API tokens, JWT, lockout and throttling."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from shopfloor.core import services, tenancy
from shopfloor.core.models import ApiToken, Membership
from shopfloor.core.tests.factories import PASSWORD, PlantFactory, member

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache, which outlives a test's database transaction.
    cache.clear()
    yield
    cache.clear()


def _token_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def _new_token(org, user, **kwargs) -> tuple[ApiToken, str]:
    with tenancy.use(org, user):
        return services.create_api_token(actor=user, name="ci", **kwargs)


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}, body
    assert body["status"] == status
    return body


# --- Web sessions ------------------------------------------------------------------------------


def _session_with_marker(client) -> str:
    session = client.session
    session["marker"] = "before-login"
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return session.session_key


def test_login_rotates_the_session_key(client, admin_user):
    before = _session_with_marker(client)
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302, response.content
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    assert client.session["_auth_user_id"] == str(admin_user.pk)
    assert "_sf_auth_at" in client.session and "_sf_seen_at" in client.session


def _age_session(client, *, idle: int = 0, total: int = 0) -> None:
    session = client.session
    now = int(time.time())
    session["_sf_seen_at"] = now - idle
    session["_sf_auth_at"] = now - total
    session.save()


def test_session_ends_after_thirty_minutes_idle(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/api/v1/core/plants/").status_code == 200
    _age_session(client, idle=settings.SESSION_IDLE_TIMEOUT + 5, total=settings.SESSION_IDLE_TIMEOUT + 5)
    _assert_problem(client.get("/api/v1/core/plants/"), 401)
    assert "_auth_user_id" not in client.session


def test_session_survives_activity_within_the_idle_timeout(client, admin_user):
    client.force_login(admin_user)
    _age_session(client, idle=settings.SESSION_IDLE_TIMEOUT - 60, total=3600)
    assert client.get("/api/v1/core/plants/").status_code == 200
    # The request refreshed the idle clock.
    assert int(time.time()) - client.session["_sf_seen_at"] < 5


def test_session_ends_after_twelve_hours_however_active(client, admin_user):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 3600
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    client.force_login(admin_user)
    _age_session(client, idle=10, total=settings.SESSION_ABSOLUTE_TIMEOUT + 5)
    response = client.get("/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert "_auth_user_id" not in client.session


# --- Personal API tokens -----------------------------------------------------------------------


def test_token_created_over_the_api_works_until_revoked(api, org, admin_user):
    with tenancy.use(org):
        PlantFactory(code="HOU")
    created = api.post("/api/v1/core/api-tokens/", {"name": "ci"}, format="json")
    assert created.status_code == 201, created.content
    raw = created.json()["token"]
    prefix = created.json()["prefix"]
    assert raw.startswith(f"sf_{prefix}_")

    # Only a hash is stored; the secret is shown once and never listed again.
    stored = ApiToken.objects.unscoped().get(pk=created.json()["id"])
    assert raw.split("_", 2)[2] not in stored.key_hash and len(stored.key_hash) == 64
    listed = api.get("/api/v1/core/api-tokens/").json()["results"]
    assert [t["prefix"] for t in listed] == [prefix] and listed[0]["token"] is None

    client = _token_client(raw)
    response = client.get("/api/v1/core/plants/")
    assert response.status_code == 200
    assert [p["code"] for p in response.json()["results"]] == ["HOU"]

    revoked = api.post(f"/api/v1/core/api-tokens/{stored.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    body = _assert_problem(client.get("/api/v1/core/plants/"), 401)
    assert "revoked" in body["detail"]


def test_revoked_token_is_refused(org, admin_user):
    token, raw = _new_token(org, admin_user)
    with tenancy.use(org, admin_user):
        services.revoke_api_token(actor=admin_user, token=token)
    _assert_problem(_token_client(raw).get("/api/v1/core/plants/"), 401)


def test_expired_token_is_refused(org, admin_user):
    token, raw = _new_token(org, admin_user, expires_at=timezone.now() + timedelta(hours=1))
    assert _token_client(raw).get("/api/v1/core/plants/").status_code == 200
    ApiToken.objects.unscoped().filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _token_client(raw).get("/api/v1/core/plants/")
    _assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Token")


def test_token_with_a_wrong_secret_is_refused(org, admin_user):
    _, raw = _new_token(org, admin_user)
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    _assert_problem(_token_client(forged).get("/api/v1/core/plants/"), 401)
    _assert_problem(_token_client("sf_nothex00_" + "x" * 40).get("/api/v1/core/plants/"), 401)


def test_token_expiry_must_be_in_the_future(api):
    response = api.post(
        "/api/v1/core/api-tokens/",
        {"name": "old", "expires_at": (timezone.now() - timedelta(days=1)).isoformat()},
        format="json",
    )
    body = _assert_problem(response, 400)
    assert "expires_at" in body["errors"]
    assert ApiToken.objects.unscoped().count() == 0


def test_token_fixes_the_organization_whatever_the_header_says(org, other_org):
    # One person, member of both organizations, with a token made in the other one.
    user = member(other_org, ["*"], username="dual")
    with tenancy.use(org):
        Membership.objects.create(organization=org, user=user).roles.set(
            [r for r in services.install_role_templates(org) if r.name == "Administrator"]
        )
        mine = PlantFactory(code="HOU")
    with tenancy.use(other_org):
        PlantFactory(code="STV")
    _, raw = _new_token(other_org, user)
    client = _token_client(raw)
    listed = client.get("/api/v1/core/plants/", HTTP_X_ORGANIZATION="acme")
    assert [p["code"] for p in listed.json()["results"]] == ["STV"]
    _assert_problem(client.get(f"/api/v1/core/plants/{mine.pk}/", HTTP_X_ORGANIZATION="acme"), 404)
    _assert_problem(client.patch(f"/api/v1/core/plants/{mine.pk}/", {"name": "x"}, format="json"), 404)


def test_another_organizations_token_cannot_see_this_organizations_data(org, other_org):
    with tenancy.use(org):
        plant = PlantFactory(code="HOU")
    outsider = member(other_org, ["*"], username="olga")
    _, raw = _new_token(other_org, outsider)
    client = _token_client(raw)
    assert client.get("/api/v1/core/plants/").json()["results"] == []
    _assert_problem(client.get(f"/api/v1/core/plants/{plant.pk}/"), 404)
    _assert_problem(client.delete(f"/api/v1/core/plants/{plant.pk}/"), 404)


def test_user_sees_and_revokes_only_their_own_tokens(org, admin_user):
    viewer = member(org, ["*.view_*", "core.add_apitoken"], username="vera")
    mine, _ = _new_token(org, viewer)
    theirs, _ = _new_token(org, admin_user)
    client = APIClient()
    client.force_authenticate(viewer)
    listed = client.get("/api/v1/core/api-tokens/").json()["results"]
    assert [t["id"] for t in listed] == [mine.pk]
    _assert_problem(client.post(f"/api/v1/core/api-tokens/{theirs.pk}/revoke/"), 404)
    assert ApiToken.objects.unscoped().get(pk=theirs.pk).revoked_at is None


# --- JWT ---------------------------------------------------------------------------------------


def test_jwt_obtain_and_refresh(org, admin_user):
    with tenancy.use(org):
        PlantFactory(code="HOU")
    client = APIClient()
    pair = client.post("/api/v1/auth/jwt/", {"username": "alice", "password": PASSWORD}, format="json")
    assert pair.status_code == 200, pair.content
    access, refresh = pair.json()["access"], pair.json()["refresh"]

    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert [p["code"] for p in bearer.get("/api/v1/core/plants/").json()["results"]] == ["HOU"]

    renewed = client.post("/api/v1/auth/jwt/refresh/", {"refresh": refresh}, format="json")
    assert renewed.status_code == 200, renewed.content
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {renewed.json()['access']}")
    assert bearer.get("/api/v1/core/plants/").status_code == 200


def test_jwt_with_a_bad_password_or_token_is_401_with_the_error_shape(admin_user):
    client = APIClient()
    _assert_problem(client.post("/api/v1/auth/jwt/", {"username": "alice", "password": "nope"}, format="json"), 401)
    _assert_problem(client.post("/api/v1/auth/jwt/refresh/", {"refresh": "garbage"}, format="json"), 401)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    _assert_problem(client.get("/api/v1/core/plants/"), 401)


def test_jwt_organization_comes_from_the_header_or_the_first_membership(org, other_org):
    user = member(org, ["*"], username="dual")
    with tenancy.use(other_org):
        Membership.objects.create(organization=other_org, user=user).roles.set(
            [r for r in services.install_role_templates(other_org) if r.name == "Administrator"]
        )
        PlantFactory(code="STV")
    with tenancy.use(org):
        PlantFactory(code="HOU")
    access = APIClient().post("/api/v1/auth/jwt/", {"username": "dual", "password": PASSWORD}, format="json")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access.json()['access']}")
    # No default organization and no header: the first membership by name (Acme Bits).
    assert [p["code"] for p in client.get("/api/v1/core/plants/").json()["results"]] == ["HOU"]
    listed = client.get("/api/v1/core/plants/", HTTP_X_ORGANIZATION="rival")
    assert [p["code"] for p in listed.json()["results"]] == ["STV"]


def test_x_organization_naming_a_foreign_organization_is_refused(org, other_org, admin_user):
    with tenancy.use(other_org):
        PlantFactory(code="STV")
    client = APIClient()
    client.force_authenticate(admin_user)
    response = client.get("/api/v1/core/plants/", HTTP_X_ORGANIZATION="rival")
    body = _assert_problem(response, 403)
    assert "rival" in body["detail"]


# --- Lockout and throttling --------------------------------------------------------------------


def _jwt_login(username: str, password: str, ip: str = "10.0.0.1"):
    return APIClient().post(
        "/api/v1/auth/jwt/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def test_jwt_locks_out_an_account_after_repeated_failures_from_many_addresses(admin_user):
    limit = settings.AXES_FAILURE_LIMIT
    for attempt in range(limit - 1):
        assert _jwt_login("alice", "wrong", ip=f"10.0.1.{attempt}").status_code == 401
    body = _assert_problem(_jwt_login("alice", "wrong", ip="10.0.1.200"), 429)
    assert body["title"] == "Locked out"
    # Even the right password from a fresh address is refused now.
    _assert_problem(_jwt_login("alice", PASSWORD, ip="10.0.1.201"), 429)


def test_jwt_locks_out_an_address_after_repeated_failures_on_many_accounts(admin_user):
    limit = settings.AXES_FAILURE_LIMIT
    for attempt in range(limit - 1):
        assert _jwt_login(f"ghost{attempt}", "wrong", ip="10.0.2.9").status_code == 401
    _assert_problem(_jwt_login("ghost-last", "wrong", ip="10.0.2.9"), 429)
    _assert_problem(_jwt_login("alice", PASSWORD, ip="10.0.2.9"), 429)
    # Another address still gets in.
    assert _jwt_login("alice", PASSWORD, ip="10.0.2.10").status_code == 200


def test_web_login_locks_out_after_repeated_failures(client, admin_user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "alice", "password": "wrong"}).status_code == 429
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_successful_login_resets_the_failure_count(admin_user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _jwt_login("alice", "wrong")
    assert _jwt_login("alice", PASSWORD).status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _jwt_login("alice", "wrong").status_code == 401


@override_settings(AXES_ENABLED=False)
def test_auth_endpoints_are_throttled(admin_user):
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"]
    allowed = int(rate.split("/")[0])
    statuses = [_jwt_login("alice", "wrong").status_code for _ in range(allowed)]
    assert set(statuses) == {401}
    response = _jwt_login("alice", PASSWORD)
    body = _assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    assert body["title"] == "Too many requests"
    refresh = APIClient().post("/api/v1/auth/jwt/refresh/", {"refresh": "x"}, format="json", REMOTE_ADDR="10.0.0.1")
    _assert_problem(refresh, 429)


# --- Password hashing --------------------------------------------------------------------------


def test_production_hashes_passwords_with_argon2():
    env = {k: v for k, v in os.environ.items() if k != "SHOPFLOOR_TESTING"}
    code = "import shopfloor.settings as s; print(s.PASSWORD_HASHERS[0])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_jwt_login_is_audited_and_logs_no_session_in(org, admin_user):
    from shopfloor.core.models import AuditEvent

    client = APIClient()
    assert (
        client.post("/api/v1/auth/jwt/", {"username": "alice", "password": PASSWORD}, format="json").status_code == 200
    )
    # Whatever cookie axes' access log leaves, it does not log the client in.
    _assert_problem(client.get("/api/v1/core/plants/"), 401)
    event = AuditEvent.objects.unscoped().filter(action="login", actor=admin_user).get()
    assert event.organization_id == org.pk
    admin_user.refresh_from_db()
    assert admin_user.last_login is not None
