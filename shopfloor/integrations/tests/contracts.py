"""Integrations' API contracts for the shared contract suite."""

from __future__ import annotations

from shopfloor.core.tests.contract import Contract, unique

from .factories import WebhookDeliveryFactory, WebhookSubscriptionFactory

CONTRACTS: dict[str, Contract] = {
    "integrations/webhooks": Contract(
        factory=WebhookSubscriptionFactory,
        payload=lambda: {
            "name": unique("ERP hook "),
            "url": "http://127.0.0.1:9/erp",
            "event_types": ["core.plant.created"],
        },
        update={"name": "ERP hook (renamed)", "event_types": ["core.plant.*", "workflows.*"]},
        actions={"rotate-secret": 200, "enable": 200, "test": 202},
        note="The secret is returned by create and rotate-secret only.",
    ),
    "integrations/webhook-deliveries": Contract(
        factory=WebhookDeliveryFactory,
        operations=frozenset({"list", "retrieve"}),
        actions={"redeliver": 202},
        note="The delivery log is written by the sender; redeliver sends one again.",
    ),
}

NOT_EXPOSED: dict[str, str] = {}
