"""Event handlers of workflows: a new organization gets the default definitions."""

from __future__ import annotations

from shopfloor.core import events
from shopfloor.core.models import Organization, OutboxEvent

from . import services


@events.subscribe("core.organization.created", name="workflows.install_defaults")
def install_defaults_for_new_organization(event: OutboxEvent) -> None:
    organization = Organization.objects.filter(pk=event.payload.get("id")).first()
    if organization is not None:
        services.install_defaults(organization)
