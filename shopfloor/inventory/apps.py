from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "shopfloor.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from . import defaults, handlers  # noqa: F401  (registers workflows and permissions; subscribes to core events)
