"""Event handlers of integrations: every domain event of the platform may go to webhooks.

The handler subscribes to each Shopfloor app's namespace (`core.*`, `workflows.*`, ...,
`integrations.*`) rather than to a bare `*`: every domain event is named
`<app_label>.<model>.<verb>`, and a bare `*` would also claim events outside the platform's
namespaces (tests' `test.*` probes of the dispatcher) and record a handled row for each.
"""

from __future__ import annotations

from django.apps import apps

from shopfloor.core import events, notifications
from shopfloor.core.models import OutboxEvent

from . import services

HANDLER_NAME = "integrations.webhooks.fan_out"


def fan_out(event: OutboxEvent) -> None:
    services.fan_out(event)


def register() -> None:
    """Subscribe the fan-out to the namespace of every installed Shopfloor app (idempotent)."""
    notifications.register_event_type(
        "integrations.webhook.disabled", "A webhook you own was disabled after repeated failed deliveries"
    )
    for config in apps.get_app_configs():
        if config.name.startswith("shopfloor."):
            events.subscribe(f"{config.label}.*", name=HANDLER_NAME)(fan_out)
