"""Every registered API resource keeps the same contract (see `contract.py` for the declarations).

Parametrized over `router.registry`: a new app gets all of these checks by registering its
viewsets and declaring `CONTRACTS` in `<app>/tests/contracts.py`.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from shopfloor.core import access, tenancy
from shopfloor.core.models import TenantModel
from shopfloor.core.tests.contract import (
    OPERATIONS,
    Contract,
    collect_contracts,
    factories,
    model_label,
    registry,
    resource_model,
    row_snapshot,
    shopfloor_models,
)
from shopfloor.core.tests.factories import member

REGISTRY = registry()
CONTRACTS, NOT_EXPOSED, CONTRACT_PROBLEMS = collect_contracts()
RESOURCES = sorted(REGISTRY)

pytestmark = pytest.mark.django_db


def contract_of(resource: str) -> Contract:
    contract = CONTRACTS.get(resource)
    if contract is None:
        pytest.fail(f"{resource} is registered but no app declares its Contract in <app>/tests/contracts.py")
    return contract


def list_url(resource: str) -> str:
    return reverse(f"{REGISTRY[resource][1]}-list")


def detail_url(resource: str, pk: Any) -> str:
    return reverse(f"{REGISTRY[resource][1]}-detail", kwargs={"pk": pk})


def action_url(resource: str, name: str, pk: Any) -> str:
    return reverse(f"{REGISTRY[resource][1]}-{name.replace('_', '-')}", kwargs={"pk": pk})


def build(contract: Contract, organization: Any, user: Any = None) -> Any:
    with tenancy.use(organization, user):
        return contract.factory()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def write_requests(resource: str, contract: Contract, obj: Any, organization: Any, user: Any):
    """(label, method, url, body) for every write the resource offers on `obj`."""
    with tenancy.use(organization, user):
        if "create" in contract.operations:
            yield "create", "post", list_url(resource), dict(contract.payload())
        if "update" in contract.operations:
            yield "partial update", "patch", detail_url(resource, obj.pk), contract.update_body(obj)
            yield "update", "put", detail_url(resource, obj.pk), contract.put_body(obj)
    if "delete" in contract.operations:
        yield "delete", "delete", detail_url(resource, obj.pk), None
    for name in contract.actions:
        yield name, "post", action_url(resource, name, obj.pk), {}


def body_format(body: Any) -> str:
    """multipart when the body carries a file (an upload resource's payload), else JSON."""
    if isinstance(body, dict) and any(hasattr(value, "read") for value in body.values()):
        return "multipart"
    return "json"


def send(client: APIClient, method: str, url: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, format=body_format(body))


# --- Coverage: every resource has a contract, every model is served, built and permissioned -----


def test_contracts_are_well_formed():
    assert CONTRACT_PROBLEMS == []


def test_every_registered_resource_declares_a_contract():
    missing = [name for name in RESOURCES if name not in CONTRACTS]
    assert missing == [], f"Declare a Contract for {missing} in <app>/tests/contracts.py"


def test_every_contract_names_a_registered_resource():
    stale = sorted(set(CONTRACTS) - set(REGISTRY))
    assert stale == [], f"Contracts for resources nobody registers: {stale}"


def test_every_model_is_served_by_a_resource_or_allow_listed_with_a_reason():
    served = {model_label(resource_model(viewset)) for viewset, _ in REGISTRY.values()}
    labels = {model_label(m) for m in shopfloor_models()}
    unserved = sorted(labels - served - set(NOT_EXPOSED))
    assert unserved == [], f"No API resource serves {unserved}: register one or add it to NOT_EXPOSED with a reason"
    stale = sorted(set(NOT_EXPOSED) & served) + sorted(set(NOT_EXPOSED) - labels)
    assert stale == [], f"NOT_EXPOSED lists models that are served or do not exist: {stale}"


def test_every_tenant_model_has_a_factory():
    found = factories()
    missing = [model_label(m) for m in shopfloor_models() if issubclass(m, TenantModel) and m not in found]
    assert missing == [], f"Add a factory_boy factory to <app>/tests/factories.py for {missing}"


def test_every_tenant_and_served_model_has_permission_codenames():
    known = access.all_permissions()
    served = {resource_model(viewset) for viewset, _ in REGISTRY.values()}
    missing = []
    for model in shopfloor_models():
        if not (issubclass(model, TenantModel) or model in served):
            continue
        codenames = [
            f"{model._meta.app_label}.{verb}_{model._meta.model_name}" for verb in model._meta.default_permissions
        ]
        if not codenames or any(c not in known for c in codenames):
            missing.append(model_label(model))
    assert missing == [], f"Models without grantable permissions: {missing}"


# --- Authentication and permissions -------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_gets_401(resource, org, admin_user):
    contract = contract_of(resource)
    obj = build(contract, org, admin_user)
    anonymous = client_for(None)
    requests = [("list", "get", list_url(resource), None), ("retrieve", "get", detail_url(resource, obj.pk), None)]
    requests += list(write_requests(resource, contract, obj, org, admin_user))
    before = row_snapshot(obj)
    for label, method, url, body in requests:
        response = send(anonymous, method, url, body)
        assert response.status_code == 401, f"{label}: {response.status_code} {response.content[:200]}"
        assert response.json()["status"] == 401
    assert row_snapshot(obj) == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_member_without_permission_gets_403(resource, org, admin_user):
    contract = contract_of(resource)
    nobody = member(org, [], username="nobody")
    obj = build(contract, org, admin_user)
    client = client_for(nobody)
    requests = []
    if "list" in contract.operations:
        requests.append(("list", "get", list_url(resource), None))
    if "retrieve" in contract.operations:
        requests.append(("retrieve", "get", detail_url(resource, obj.pk), None))
    requests += list(write_requests(resource, contract, obj, org, admin_user))
    before = row_snapshot(obj)
    for label, method, url, body in requests:
        response = send(client, method, url, body)
        assert response.status_code == 403, f"{label}: {response.status_code} {response.content[:200]}"
        assert response.json()["status"] == 403
    assert row_snapshot(obj) == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_viewer_reads_but_cannot_write(resource, org, admin_user, viewer_user):
    contract = contract_of(resource)
    obj = build(contract, org, admin_user)
    client = client_for(viewer_user)
    if "list" in contract.operations:
        assert client.get(list_url(resource)).status_code == 200
    before = row_snapshot(obj)
    for label, method, url, body in write_requests(resource, contract, obj, org, admin_user):
        response = send(client, method, url, body)
        assert response.status_code == 403, f"{label}: {response.status_code} {response.content[:200]}"
    assert row_snapshot(obj) == before


# --- Tenant isolation ---------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_organizations_object_is_404_and_stays_unchanged(resource, org, other_org, admin_user):
    contract = contract_of(resource)
    foreign = build(contract, other_org)
    before = row_snapshot(foreign)
    client = client_for(admin_user)
    requests = []
    if "retrieve" in contract.operations:
        requests.append(("retrieve", "get", detail_url(resource, foreign.pk), None))
    requests += [r for r in write_requests(resource, contract, foreign, org, admin_user) if r[0] != "create"]
    assert requests, "the resource offers nothing on a single object?"
    for label, method, url, body in requests:
        response = send(client, method, url, body)
        assert response.status_code == 404, f"{label}: {response.status_code} {response.content[:200]}"
        assert response.json()["status"] == 404
    assert row_snapshot(foreign) == before


@pytest.mark.parametrize("resource", RESOURCES)
def test_lists_never_show_another_organizations_rows(resource, org, other_org, admin_user):
    contract = contract_of(resource)
    if "list" not in contract.operations:
        pytest.skip("no list")
    own = {build(contract, org, admin_user).pk for _ in range(2)}
    foreign = {build(contract, other_org).pk for _ in range(2)} - own
    assert foreign, "the factory built the same row for both organizations"
    listed = {row["id"] for row in results(client_for(admin_user).get(list_url(resource), {"page_size": 200}))}
    assert own <= listed
    assert not listed & foreign


# --- CRUD and what is not offered ----------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_crud_happy_path(resource, org, admin_user):
    contract = contract_of(resource)
    model = resource_model(REGISTRY[resource][0])
    client = client_for(admin_user)

    if "create" in contract.operations:
        with tenancy.use(org, admin_user):
            body = dict(contract.payload())
        response = client.post(list_url(resource), body, format=body_format(body))
        assert response.status_code == contract.create_status, response.content
        created = model._default_manager.unscoped().filter(pk=response.json()["id"])
        assert created.filter(organization=org).exists(), "the new row is not in the caller's organization"

    obj = build(contract, org, admin_user)
    if "retrieve" in contract.operations:
        response = client.get(detail_url(resource, obj.pk))
        assert response.status_code == 200, response.content
        assert response.json()["id"] == obj.pk

    if "update" in contract.operations:
        body = contract.update_body(obj)
        response = client.patch(detail_url(resource, obj.pk), body, format="json")
        assert response.status_code == 200, response.content
        data = response.json()
        for key, value in body.items():
            if key not in contract.unchanged_fields:
                assert data[key] == value, f"PATCH {key}: sent {value!r}, got {data[key]!r}"
        with tenancy.use(org, admin_user):
            body = contract.put_body(obj)
        response = client.put(detail_url(resource, obj.pk), body, format="json")
        assert response.status_code == 200, response.content

    for name, expected in contract.actions.items():
        target = build(contract, org, admin_user)
        response = client.post(action_url(resource, name, target.pk), {}, format="json")
        assert response.status_code == expected, f"{name}: {response.content[:300]}"

    if "delete" in contract.operations:
        response = client.delete(detail_url(resource, obj.pk))
        assert response.status_code == contract.delete_status, response.content
        if contract.delete_status == 204:
            assert row_snapshot(obj) is None, "204 but the row is still there"
        else:
            assert row_snapshot(obj) is not None


@pytest.mark.parametrize("resource", RESOURCES)
def test_operations_not_offered_answer_405(resource, org, admin_user):
    contract = contract_of(resource)
    missing = OPERATIONS - contract.operations
    if not missing:
        pytest.skip("offers every operation")
    obj = build(contract, org, admin_user)
    before = row_snapshot(obj)
    client = client_for(admin_user)
    requests = {
        "create": [("post", list_url(resource))],
        "update": [("put", detail_url(resource, obj.pk)), ("patch", detail_url(resource, obj.pk))],
        "delete": [("delete", detail_url(resource, obj.pk))],
        "list": [("get", list_url(resource))],
        "retrieve": [("get", detail_url(resource, obj.pk))],
    }
    for operation in sorted(missing):
        for method, url in requests[operation]:
            response = send(client, method, url, {} if method != "get" and method != "delete" else None)
            # An unrouted list or detail is a 404 from the URLconf; a routed one must say 405.
            allowed = {405, 404} if operation in ("list", "retrieve") else {405}
            assert response.status_code in allowed, f"{operation} ({method}): {response.status_code}"
    assert row_snapshot(obj) == before


# --- Performance: a list costs the same number of queries whatever its length --------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_query_count_does_not_grow_with_page_size(resource, org, admin_user):
    contract = contract_of(resource)
    if "list" not in contract.operations:
        pytest.skip("no list")
    client = client_for(admin_user)
    url = list_url(resource)
    for _ in range(3):
        build(contract, org, admin_user)
    client.get(url, {"page_size": 1})  # warm process-wide caches (content types, permissions)

    def measure(page_size: int) -> tuple[int, list[str], int]:
        access.forget(admin_user)
        with CaptureQueriesContext(connection) as queries:
            rows = results(client.get(url, {"page_size": page_size}))
        return len(queries), [q["sql"] for q in queries.captured_queries], len(rows)

    small, small_sql, _ = measure(1)
    for _ in range(17):
        build(contract, org, admin_user)
    large, large_sql, count = measure(20)
    assert count > 1 or resource == "core/organizations", "the large page should hold many rows"
    assert large == small, "queries grow with the page (N+1?):\n" + "\n".join(large_sql)
