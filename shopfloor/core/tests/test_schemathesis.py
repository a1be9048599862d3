"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis, in-process).

As an organization administrator with seeded data, every documented operation gets generated
requests (valid and invalid ones); no answer may be a 5xx or break the document: undocumented
status code, wrong content type, or a body that does not match its schema. Deterministic and
bounded: derandomized Hypothesis, a few examples per operation, the database rolled back after
each operation so that one operation's deletes do not starve the next.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shopfloor.core import audit, services, tenancy
from shopfloor.core.tests import factories as f

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Detail paths whose {id} is also pinned to a seeded row, so bodies reach validation and services
# rather than stopping at 404.
SEEDED = {
    "plants": "plant",
    "roles": "role",
    "memberships": "membership",
    "users": "user",
    "api-tokens": "token",
    "type-lists": "type_list",
    "type-list-entries": "entry",
    "custom-fields": "field",
    "audit-events": "event",
    "organizations": "organization",
}


@pytest.fixture
def seeded(org, other_org, admin_user) -> dict[str, Any]:
    """A small organization with a row of every kind, plus a neighbour the admin must never reach."""
    with tenancy.use(other_org):
        f.PlantFactory()
        f.TypeListEntryFactory()
    with tenancy.use(org, admin_user):
        plant = f.PlantFactory(code="HOU")
        f.PlantFactory(code="STV")
        role = f.RoleFactory(name="Inspector", permissions=["core.view_plant"])
        membership = f.MembershipFactory(roles=[role], plants=[plant])
        entry = f.TypeListEntryFactory()
        field = f.CustomFieldFactory(key="rig_count", field_type="integer")
        token = f.ApiTokenFactory(user=membership.user)
        event = audit.record(admin_user, plant, action="create", changes={"code": [None, "HOU"]})
        _, secret = services.create_api_token(actor=admin_user, name="fuzzer")
    return {
        "headers": {"Authorization": f"Token {secret}"},
        "ids": {
            "plant": plant.pk,
            "role": role.pk,
            "membership": membership.pk,
            "user": membership.user_id,
            "token": token.pk,
            "type_list": entry.type_list_id,
            "entry": entry.pk,
            "field": field.pk,
            "event": event.pk,
            "organization": org.pk,
        },
    }


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, keeping the test's database connection open.

    A WSGI request closes "old" connections when it starts and ends; that would close the
    connection holding the test transaction (Django's test client disconnects the same hook).
    """
    from django.core import signals
    from django.db import close_old_connections

    from shopfloor.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _pinned_id(path: str, ids: dict[str, int]) -> int | None:
    match = re.match(r"^/api/v1/\w+/([\w-]+)/\{id\}/", path)
    if match and match.group(1) in SEEDED:
        return ids[SEEDED[match.group(1)]]
    return None


def test_api_conforms_to_its_openapi_document(seeded, wsgi_app):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    headers = seeded["headers"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures: list[str] = []

    for operation in operations:
        strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
        pinned = _pinned_id(operation.path, seeded["ids"])
        if pinned is not None:
            strategies += [
                operation.as_strategy(generation_mode=mode, path_parameters={"id": pinned}) for mode in GenerationMode
            ]

        @settings(
            max_examples=MAX_EXAMPLES * len(strategies),
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=st.one_of(strategies))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        savepoint = transaction.savepoint()
        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, report them together
            failures.append(f"{operation.label}: {exc}")
        finally:
            transaction.savepoint_rollback(savepoint)

    assert not failures, "\n\n".join(failures)
