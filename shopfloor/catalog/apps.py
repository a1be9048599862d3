from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shopfloor.catalog"
    label = "catalog"
    verbose_name = "Engineering data"

    def ready(self) -> None:
        # defaults: workflows; handlers: core events; document_services: the revision edit guard
        # and the supersede-on-release effect.
        from . import defaults, document_services, handlers  # noqa: F401
