"""Production: work orders, operations, time, material issue, output, genealogy."""

from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "shopfloor.production"
    label = "production"
    verbose_name = "Production"

    def ready(self) -> None:
        # defaults: workflow, guards, permissions, numbering; services: the workflow's on-enter
        # effects (the BOM and routing snapshot at release); handlers: the ATP supply source.
        from . import defaults, handlers, services  # noqa: F401
