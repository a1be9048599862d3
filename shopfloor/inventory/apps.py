from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "shopfloor.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from . import defaults, handlers, panels  # noqa: F401  (workflows, permissions, event handlers, item-page panels)
