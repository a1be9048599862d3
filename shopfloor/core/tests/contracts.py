"""Core's API contracts: what each resource offers, how to build its rows and valid bodies."""

from __future__ import annotations

from typing import Any

from shopfloor.core import audit, tenancy
from shopfloor.core.tests.contract import Contract, unique
from shopfloor.core.tests.factories import (
    ApiTokenFactory,
    CustomFieldFactory,
    MembershipFactory,
    NotificationFactory,
    NotificationPreferenceFactory,
    PlantFactory,
    RoleFactory,
    TypeListEntryFactory,
    TypeListFactory,
    UserFactory,
)


def _own_organization() -> Any:
    return tenancy.require_organization()


def _member_user() -> Any:
    return MembershipFactory().user


def _audit_event() -> Any:
    plant = PlantFactory()
    return audit.record(tenancy.current_user(), plant, action="create", changes={"code": [None, plant.code]})


CONTRACTS: dict[str, Contract] = {
    "core/organizations": Contract(
        factory=_own_organization,
        operations=frozenset({"list", "retrieve", "update"}),
        update=lambda org: {"name": unique(f"{org.name} renamed ")},
        put=lambda org: {"name": unique("Renamed org "), "is_active": True},
        note="Only the caller's own organization; creating and deleting tenants is platform work.",
    ),
    "core/plants": Contract(
        factory=PlantFactory,
        payload=lambda: {"code": unique("HOU"), "name": "Houston", "timezone": "America/Chicago"},
        update={"name": "Houston yard", "timezone": "Europe/Oslo"},
    ),
    "core/users": Contract(
        factory=_member_user,
        operations=frozenset({"list", "retrieve"}),
        note="Read-only: logins are created through memberships (new_user).",
    ),
    "core/memberships": Contract(
        factory=MembershipFactory,
        payload=lambda: {"user": UserFactory().pk, "roles": [RoleFactory().pk], "plants": []},
        update=lambda m: {"is_active": False},
        put=lambda m: {"roles": [RoleFactory().pk], "plants": [PlantFactory().pk], "is_active": True},
    ),
    "core/roles": Contract(
        factory=RoleFactory,
        payload=lambda: {"name": unique("Inspector "), "permissions": ["core.view_plant"]},
        update={"description": "Looks at plants", "permissions": ["*.view_*"]},
    ),
    "core/api-tokens": Contract(
        factory=ApiTokenFactory,
        payload=lambda: {"name": unique("ci token ")},
        operations=frozenset({"list", "retrieve", "create"}),
        actions={"revoke": 200},
        note="Tokens are immutable: revoke instead of editing or deleting, so the audit keeps them.",
    ),
    "core/type-lists": Contract(
        factory=TypeListFactory,
        payload=lambda: {"key": unique("defect_codes_"), "name": "Defect codes"},
        update={"name": "Defect codes (weld)", "description": "Weld defects"},
    ),
    "core/type-list-entries": Contract(
        factory=TypeListEntryFactory,
        payload=lambda: {"type_list": TypeListFactory().pk, "value": unique("POR"), "label": "Porosity"},
        update={"label": "Porosity (gas)", "position": 3},
    ),
    "core/custom-fields": Contract(
        factory=CustomFieldFactory,
        payload=lambda: {"model": "core.plant", "key": unique("rig_count_"), "label": "Rigs", "field_type": "integer"},
        update={"label": "Rig count", "help_text": "Rigs served from the plant"},
        put=lambda cf: {"model": cf.model, "key": cf.key, "label": "Rig count", "field_type": cf.field_type},
    ),
    "core/audit-events": Contract(
        factory=_audit_event,
        operations=frozenset({"list", "retrieve"}),
        note="Append-only: services write it, nobody edits it.",
    ),
    "core/notifications": Contract(
        factory=NotificationFactory,
        operations=frozenset({"list", "retrieve"}),
        actions={"read": 200},
        note="The caller's own inbox: notify() writes it; users only mark read (POST read/, read-all/).",
    ),
    "core/notification-preferences": Contract(
        factory=NotificationPreferenceFactory,
        payload=lambda: {"event_type": unique("workflows.test_"), "in_app": True, "email": False},
        update={"in_app": False, "email": True},
        note="The caller's own preferences only; another user's are a 404.",
    ),
}

NOT_EXPOSED: dict[str, str] = {
    "core.IdempotencyKey": "Plumbing of POST retries (TenantAPIMixin), never addressed by clients.",
    "core.NumberSequence": "Consumed by core.numbering under a row lock; editing it over HTTP would break gap-free numbers.",
    "core.OutboxEvent": "Internal delivery queue of domain events; webhooks are the public face.",
    "core.HandledEvent": "Bookkeeping of which handler has processed which outbox event.",
    "core.AuditChainHead": "Lock row and last hash of each audit chain; exposing it would only help forge the chain.",
}
