from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "shopfloor.purchasing"
    label = "purchasing"
    verbose_name = "Purchasing"

    def ready(self) -> None:
        from . import defaults, handlers  # noqa: F401  (workflow, guards, permissions, numbering; ATP supply)
