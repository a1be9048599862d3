"""API behaviour every resource shares: one error shape, status codes, idempotent POSTs, core resources."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from shopfloor.core import services, tenancy
from shopfloor.core.models import IdempotencyKey, Membership, Organization, Plant, Role, TypeList, TypeListEntry
from shopfloor.core.tasks import purge_idempotency_keys
from shopfloor.core.tests.factories import PlantFactory, UserFactory, member

PLANTS = "/api/v1/core/plants/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def problem(response, status: int) -> dict:
    """Assert the one error shape and return it."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}, body
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and isinstance(body["detail"], str)
    assert isinstance(body["errors"], dict)
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["errors"].values())
    return body


def plant_count(org) -> int:
    return Plant.objects.unscoped().filter(organization=org).count()


# --- Bad input: a 400 in the error shape, nothing written ---------------------------------------


def _raw_post(api, body: bytes | str, content_type: str = "application/json"):
    return api.generic("POST", PLANTS, body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"code": "HOU", "name": "Houston",', "Malformed JSON"),
        ('{"code": "HOU", "code": "STV", "name": "Houston"}', "duplicate key 'code'"),
        ('{"code": "HOU", "name": "Houston", "timezone": NaN}', "NaN is not valid JSON"),
        (b'{"code": "HOU", "name": "Hou\xff"}', "Malformed JSON"),
        ('{"code": "HOU", "name": "Hou\\u0000ston"}', "NUL"),
        ('{"code": "HOU", "name": "Hou\\ud800ston"}', "unpaired surrogates"),
        ('{"code": "HOU", "name\\u0000": "Houston"}', "NUL"),
    ],
)
def test_malformed_json_is_400_and_nothing_written(api, org, body, detail):
    assert detail in problem(_raw_post(api, body), 400)["detail"]
    assert plant_count(org) == 0


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"code": ["HOU"], "name": "Houston"}, "code", "Not a valid string."),
        ({"code": "HOU", "name": {"en": "Houston"}}, "name", "Not a valid string."),
        ({"code": "HOU", "name": "Houston", "timezone": 7}, "timezone", None),
        ({"code": "HOU", "name": "Houston", "custom_fields": "x"}, "custom_fields", None),
    ],
)
def test_wrong_types_are_400_naming_the_field(api, org, payload, field, message):
    errors = problem(api.post(PLANTS, payload, format="json"), 400)["errors"]
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert plant_count(org) == 0


def test_unknown_fields_are_400_each_named(api, org):
    body = problem(api.post(PLANTS, {"code": "HOU", "name": "Houston", "colour": "red", "id": 9}, format="json"), 400)
    assert body["errors"] == {"colour": ["Unknown field."], "id": ["Unknown field."]}
    assert plant_count(org) == 0


def test_over_long_strings_are_400_with_the_limit(api, org):
    errors = problem(api.post(PLANTS, {"code": "H" * 500, "name": "N" * 5000}, format="json"), 400)["errors"]
    assert errors["code"][0].startswith("Ensure this field has no more than")
    assert errors["name"][0].startswith("Ensure this field has no more than")
    assert plant_count(org) == 0


def test_a_body_over_the_size_limit_is_400_before_anything_reads_it(api, org, settings):
    settings.SHOPFLOOR_MAX_REQUEST_BODY = 1024
    body = json.dumps({"code": "HOU", "name": "Houston", "description": "x" * 2000})
    response = _raw_post(api, body)
    assert problem(response, 400)["title"] == "Request body too large"
    assert "the limit is 1024 bytes" in response.json()["detail"]
    assert plant_count(org) == 0


def test_a_json_array_or_scalar_body_is_400(api, org):
    for body in ("[1, 2]", '"HOU"', "42"):
        assert problem(_raw_post(api, body), 400)["status"] == 400
    assert plant_count(org) == 0


def test_a_body_that_is_not_json_is_415(api, org):
    response = _raw_post(api, "code=HOU&name=Houston", content_type="application/x-www-form-urlencoded")
    problem(response, 415)
    assert plant_count(org) == 0


# --- The error shape for each status ------------------------------------------------------------


def test_validation_error_is_400_naming_each_field(api, org):
    body = problem(api.post(PLANTS, {"timezone": "Mars/Olympus"}, format="json"), 400)
    assert set(body["errors"]) == {"code", "name", "timezone"}
    assert body["title"] == "Invalid request"
    assert plant_count(org) == 0


def test_missing_credentials_is_401(org):
    response = APIClient().get(PLANTS)
    problem(response, 401)
    assert response["WWW-Authenticate"]


def test_missing_permission_is_403(org, viewer_user, api_for):
    body = problem(api_for(viewer_user).post(PLANTS, {"code": "HOU", "name": "Houston"}, format="json"), 403)
    assert "core.add_plant" in body["detail"]
    assert plant_count(org) == 0


def test_user_without_any_membership_is_403(org):
    problem(_client(UserFactory()).get(PLANTS), 403)


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_missing_object_is_404(api, org):
    problem(api.get(f"{PLANTS}999999/"), 404)
    problem(api.get(f"{PLANTS}not-a-number/"), 404)


def test_another_organizations_object_is_404_not_403(api, org, other_org):
    with tenancy.use(other_org):
        foreign = PlantFactory(code="STV")
    for response in (
        api.get(f"{PLANTS}{foreign.pk}/"),
        api.patch(f"{PLANTS}{foreign.pk}/", {"name": "Taken"}, format="json"),
        api.delete(f"{PLANTS}{foreign.pk}/"),
    ):
        problem(response, 404)
    assert Plant.objects.unscoped().get(pk=foreign.pk).name != "Taken"
    assert api.get(PLANTS).json()["results"] == []


def test_foreign_id_in_a_relation_is_a_400_not_a_leak(api, org, other_org):
    with tenancy.use(other_org):
        foreign_list = TypeList.objects.create(organization=other_org, key="defects", name="Defects")
    body = problem(
        api.post(
            "/api/v1/core/type-list-entries/", {"type_list": foreign_list.pk, "value": "X", "label": "X"}, format="json"
        ),
        400,
    )
    assert "type_list" in body["errors"]
    assert TypeListEntry.objects.unscoped().count() == 0


def test_unknown_api_path_is_404_with_the_error_shape(api):
    problem(api.get("/api/v1/core/no-such-thing/"), 404)


def test_method_not_allowed_is_405(api, org):
    response = api.post("/api/v1/core/organizations/", {"name": "New"}, format="json")
    problem(response, 405)
    assert "POST" not in response["Allow"]
    problem(api.delete(f"/api/v1/core/organizations/{org.pk}/"), 405)


def test_conflict_is_409(api, org, admin_user):
    token, _ = _token(org, admin_user)
    assert api.post(f"/api/v1/core/api-tokens/{token.pk}/revoke/").status_code == 200
    body = problem(api.post(f"/api/v1/core/api-tokens/{token.pk}/revoke/"), 409)
    assert body["title"] == "Conflict"


def _token(org, user):
    with tenancy.use(org, user):
        return services.create_api_token(actor=user, name="ci")


def test_delete_of_a_record_others_depend_on_is_409(api, org):
    with tenancy.use(org):
        type_list = TypeList.objects.create(organization=org, key="grades", name="Grades")
    created = api.post(
        "/api/v1/core/custom-fields/",
        {"model": "core.plant", "key": "grade", "label": "Grade", "field_type": "choice", "type_list": type_list.pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    problem(api.delete(f"/api/v1/core/type-lists/{type_list.pk}/"), 409)
    assert TypeList.objects.unscoped().filter(pk=type_list.pk).exists()


def test_throttled_request_is_429(org, admin_user):
    client = APIClient()
    for _ in range(20):
        client.post("/api/v1/auth/jwt/refresh/", {"refresh": "x"}, format="json")
    response = client.post("/api/v1/auth/jwt/refresh/", {"refresh": "x"}, format="json")
    problem(response, 429)
    assert response["Retry-After"]


@pytest.mark.parametrize(
    "query",
    [
        "?ordering=no_such_field",
        "?ordering=-organization__name",
        "?cursor=garbage",
        "?page_size=abc",
        "?page_size=-5",
        "?is_active=maybe",
        "?search=%00",
        "?cf_nothing=1",
        "?code=" + "x" * 5000,
        "?created_at=yesterday",
    ],
)
def test_odd_query_strings_never_cause_a_500(api, org, query):
    with tenancy.use(org):
        PlantFactory(code="HOU")
    response = api.get(PLANTS + query)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        problem(response, response.status_code)


@pytest.mark.parametrize("value", ["-1838219952806474809344", str(2**63), "99999999999999999999999"])
def test_a_related_id_no_column_can_hold_is_a_400_naming_the_filter(api, org, value):
    response = api.get(f"/api/v1/core/memberships/?roles={value}&roles=5")
    assert problem(response, 400)["errors"]["roles"] == [
        f"Select a valid choice. {value} is not one of the available choices."
    ]
    response = api.get(f"/api/v1/workflows/states/?definition={value}")
    assert problem(response, 400)["errors"]["definition"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_a_time_filter_with_an_offset_postgresql_refuses_is_taken_in_utc(api, org):
    response = api.get("/api/v1/core/audit-events/?occurred_before=2099-08-15T02:35:48%2B23:41")
    assert response.status_code == 200, response.content
    response = api.get("/api/v1/core/audit-events/?occurred_before=9999-12-31T23:59:00-23:00")
    assert problem(response, 400)["errors"]["occurred_before"] == ["The date is outside the supported range."]


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_same_idempotency_key_and_body_replays_the_response_without_a_second_write(api, org):
    payload = {"code": "HOU", "name": "Houston"}
    first = api.post(PLANTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    second = api.post(PLANTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert plant_count(org) == 1


def test_same_idempotency_key_with_another_body_is_409(api, org):
    assert (
        api.post(PLANTS, {"code": "HOU", "name": "Houston"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code
        == 201
    )
    problem(api.post(PLANTS, {"code": "STV", "name": "Stavanger"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"), 409)
    # ... or on another endpoint.
    problem(api.post("/api/v1/core/roles/", {"name": "Ops"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"), 409)
    assert plant_count(org) == 1
    assert not Role.objects.unscoped().filter(name="Ops").exists()


def test_a_refused_request_is_replayed_too(api, org):
    first = api.post(PLANTS, {"code": "HOU"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    problem(first, 400)
    second = api.post(PLANTS, {"code": "HOU"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"


def test_idempotency_keys_belong_to_one_user(api, org):
    other = member(org, ["*"], username="bob")
    payload = {"code": "HOU", "name": "Houston"}
    assert api.post(PLANTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    response = _client(other).post(
        PLANTS, {"code": "STV", "name": "Stavanger"}, format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert plant_count(org) == 2


def test_post_without_idempotency_key_writes_each_time(api, org):
    assert api.post(PLANTS, {"code": "HOU", "name": "Houston"}, format="json").status_code == 201
    problem(api.post(PLANTS, {"code": "HOU", "name": "Houston"}, format="json"), 400)
    assert IdempotencyKey.objects.unscoped().count() == 0


def test_overlong_idempotency_key_is_400(api, org):
    body = problem(api.post(PLANTS, {"code": "HOU", "name": "H"}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256), 400)
    assert "Idempotency-Key" in body["errors"]
    assert plant_count(org) == 0


def test_idempotency_key_older_than_a_day_is_forgotten(api, org):
    payload = {"code": "HOU", "name": "Houston"}
    assert api.post(PLANTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    IdempotencyKey.objects.unscoped().update(created_at=timezone.now() - timedelta(hours=25))
    response = api.post(PLANTS, {"code": "STV", "name": "Stavanger"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert plant_count(org) == 2


def test_purge_removes_idempotency_keys_older_than_a_day(api, org):
    api.post(PLANTS, {"code": "HOU", "name": "Houston"}, format="json", HTTP_IDEMPOTENCY_KEY="stale")
    api.post(PLANTS, {"code": "STV", "name": "Stavanger"}, format="json", HTTP_IDEMPOTENCY_KEY="fresh")
    IdempotencyKey.objects.unscoped().filter(key="stale").update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.unscoped().values_list("key", flat=True)) == ["fresh"]


def test_idempotency_key_is_ignored_on_patch(api, org):
    with tenancy.use(org):
        plant = PlantFactory(code="HOU")
    for name in ("One", "Two"):
        response = api.patch(f"{PLANTS}{plant.pk}/", {"name": name}, format="json", HTTP_IDEMPOTENCY_KEY="p")
        assert response.status_code == 200 and response.json()["name"] == name
    assert IdempotencyKey.objects.unscoped().count() == 0


# --- Core resources: roles, memberships, organization, type lists --------------------------------


def test_role_with_an_unknown_permission_is_400(api, org):
    body = problem(
        api.post(
            "/api/v1/core/roles/", {"name": "Ops", "permissions": ["core.view_plant", "core.fly_plant"]}, format="json"
        ),
        400,
    )
    assert body["errors"] == {"permissions": ["Unknown permission: core.fly_plant"]}
    assert not Role.objects.unscoped().filter(name="Ops").exists()


def test_role_with_patterns_is_created_and_lists_available_permissions(api, org):
    response = api.post(
        "/api/v1/core/roles/", {"name": "Ops", "permissions": ["core.*", "*.view_*", "core.*"]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["permissions"] == ["*.view_*", "core.*"]
    available = api.get("/api/v1/core/roles/available/").json()
    assert "core.add_plant" in available


def test_membership_for_an_existing_user(api, org):
    person = UserFactory(username="newbie")
    with tenancy.use(org):
        viewer = Role.objects.create(organization=org, name="Viewers", permissions=["*.view_*"])
    response = api.post("/api/v1/core/memberships/", {"user": person.pk, "roles": [viewer.pk]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "newbie" and response.json()["roles"] == [viewer.pk]
    person.refresh_from_db()
    assert person.default_organization_id == org.pk
    problem(api.post("/api/v1/core/memberships/", {"user": person.pk}, format="json"), 409)


def test_membership_with_a_new_user_creates_the_login(api, org):
    response = api.post(
        "/api/v1/core/memberships/",
        {"new_user": {"username": "nina", "email": "nina@example.com", "password": "a-long-passphrase-77"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Membership.objects.unscoped().filter(organization=org, user__username="nina").exists()


@pytest.mark.parametrize(
    ("new_user", "field"),
    [
        ({"username": "nina"}, "new_user.password"),
        ({"username": "nina", "password": "a-long-passphrase-77", "is_superuser": True}, "new_user.is_superuser"),
        ({"username": "nina", "password": "short"}, "password"),
        ({"username": "alice", "password": "a-long-passphrase-77"}, "username"),
    ],
)
def test_membership_with_a_bad_new_user_is_400(api, org, new_user, field):
    body = problem(api.post("/api/v1/core/memberships/", {"new_user": new_user}, format="json"), 400)
    assert field in body["errors"]
    assert not Membership.objects.unscoped().filter(user__username="nina").exists()


def test_membership_needs_a_user_or_new_user(api, org):
    assert "user" in problem(api.post("/api/v1/core/memberships/", {}, format="json"), 400)["errors"]


def test_last_administrator_cannot_be_removed_or_demoted(api, org, admin_user):
    mine = Membership.objects.unscoped().get(user=admin_user)
    problem(api.delete(f"/api/v1/core/memberships/{mine.pk}/"), 409)
    problem(api.patch(f"/api/v1/core/memberships/{mine.pk}/", {"is_active": False}, format="json"), 409)
    problem(api.patch(f"/api/v1/core/memberships/{mine.pk}/", {"roles": []}, format="json"), 409)
    assert Membership.objects.unscoped().filter(pk=mine.pk, is_active=True).exists()


def test_administrator_can_be_removed_once_there_is_another(api, org, admin_user):
    member(org, ["*"], username="deputy")
    mine = Membership.objects.unscoped().get(user=admin_user)
    assert api.delete(f"/api/v1/core/memberships/{mine.pk}/").status_code == 204


def test_organization_is_patched_and_others_are_invisible(api, org, other_org):
    listed = api.get("/api/v1/core/organizations/").json()["results"]
    assert [o["slug"] for o in listed] == ["acme"]
    response = api.patch(f"/api/v1/core/organizations/{org.pk}/", {"name": "Acme Precision"}, format="json")
    assert response.status_code == 200, response.content
    assert Organization.objects.get(pk=org.pk).name == "Acme Precision"
    problem(api.get(f"/api/v1/core/organizations/{other_org.pk}/"), 404)
    problem(api.patch(f"/api/v1/core/organizations/{other_org.pk}/", {"name": "Mine"}, format="json"), 404)
    assert Organization.objects.get(pk=other_org.pk).name == "Rival Tools"
    body = problem(api.patch(f"/api/v1/core/organizations/{org.pk}/", {"slug": "other"}, format="json"), 400)
    assert body["errors"] == {"slug": ["Unknown field."]}


def test_type_list_and_entries(api, org):
    created = api.post("/api/v1/core/type-lists/", {"key": "defects", "name": "Defect codes"}, format="json")
    assert created.status_code == 201, created.content
    list_id = created.json()["id"]
    entry = api.post(
        "/api/v1/core/type-list-entries/", {"type_list": list_id, "value": "SCR", "label": "Scratch"}, format="json"
    )
    assert entry.status_code == 201, entry.content
    problem(
        api.post(
            "/api/v1/core/type-list-entries/", {"type_list": list_id, "value": "SCR", "label": "Again"}, format="json"
        ),
        400,
    )
    listed = api.get(f"/api/v1/core/type-lists/{list_id}/").json()
    assert [e["value"] for e in listed["entries"]] == ["SCR"]
    problem(api.post("/api/v1/core/type-lists/", {"key": "Bad Key", "name": "x"}, format="json"), 400)
    problem(api.post("/api/v1/core/type-lists/", {"key": "defects", "name": "Twice"}, format="json"), 400)


def test_a_crash_under_api_answers_500_with_the_error_shape():
    from django.test import RequestFactory

    from shopfloor.core.api.errors import server_error

    response = server_error(RequestFactory().get("/api/v1/core/plants/"))
    assert response.status_code == 500
    body = json.loads(response.content)
    assert body["status"] == 500 and set(body) == {"type", "title", "status", "detail", "errors"}


def test_unknown_web_path_stays_a_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
