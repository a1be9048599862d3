"""What the catalog does when something happens elsewhere."""

from __future__ import annotations

from shopfloor.core import events
from shopfloor.core.models import Organization, OutboxEvent

from . import services


@events.subscribe("core.organization.created", name="catalog.install_standard_units")
def install_standard_units(event: OutboxEvent) -> None:
    services.install_standard_units(Organization.objects.get(pk=event.payload["id"]))
