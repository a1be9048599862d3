"""Schemathesis on the integrations operations with their {id} pinned to seeded rows, so that
generated bodies reach validation and the services (the shared fuzz test only has random ids)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from shopfloor.core import services as core_services
from shopfloor.core import tenancy
from shopfloor.core.tests.test_schemathesis import CHECKS, wsgi_app  # noqa: F401  (fixture)

from .factories import WebhookDeliveryFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_webhook_operations_conform_to_the_openapi_document(org, other_org, admin_user, wsgi_app):  # noqa: F811
    with tenancy.use(other_org):
        WebhookDeliveryFactory()
    with tenancy.use(org, admin_user):
        delivery = WebhookDeliveryFactory()
        _, secret = core_services.create_api_token(actor=admin_user, name="fuzzer")
    pinned = {"webhooks": delivery.subscription_id, "webhook-deliveries": delivery.pk}
    headers = {"Authorization": f"Token {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/v1/integrations/")]
    assert len(operations) >= 8
    failures: list[str] = []
    for operation in operations:
        strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
        resource = operation.path.split("/")[4]
        if "{id}" in operation.path:
            strategies += [
                operation.as_strategy(generation_mode=mode, path_parameters={"id": pinned[resource]})
                for mode in GenerationMode
            ]

        @settings(
            max_examples=15 * len(strategies),
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
        except Exception as exc:  # noqa: BLE001 - report every operation's failure together
            failures.append(f"{operation.label}: {exc}")
        finally:
            transaction.savepoint_rollback(savepoint)
    assert not failures, "\n\n".join(failures)
