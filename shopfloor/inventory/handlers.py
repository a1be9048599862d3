"""What the inventory does when something happens elsewhere."""

from __future__ import annotations

from shopfloor.core import events
from shopfloor.core.models import OutboxEvent, Plant

from . import services


@events.subscribe("core.plant.created", name="inventory.create_virtual_locations")
def create_virtual_locations(event: OutboxEvent) -> None:
    """Every plant gets its supplier, customer, production and adjustment locations at once."""
    plant = Plant.objects.filter(pk=event.payload["id"]).first()
    if plant is not None:
        services.ensure_virtual_locations(plant)


@events.subscribe("core.plant.created", name="inventory.create_default_locations")
def create_default_locations(event: OutboxEvent) -> None:
    """Every plant gets its receiving, stock, quarantine, shipping and scrap locations at once, so the
    first receipt (which looks for receiving or quarantine) does not stop at a 409."""
    plant = Plant.objects.filter(pk=event.payload["id"]).first()
    if plant is not None:
        services.ensure_default_locations(plant)
