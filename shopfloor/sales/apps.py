from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "shopfloor.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self) -> None:
        from . import defaults  # noqa: F401  (workflow, guards, effects, permissions, numbering)
