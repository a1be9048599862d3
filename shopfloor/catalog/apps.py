from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shopfloor.catalog"
    label = "catalog"
    verbose_name = "Engineering data"

    def ready(self) -> None:
        from . import defaults, handlers  # noqa: F401  (registers workflows; subscribes to core events)
