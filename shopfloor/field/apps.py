"""Field assets: drill bits and other serial-numbered products in the field: runs, dull grades, repairs."""

from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "shopfloor.field"
    label = "field"
    verbose_name = "Field assets"

    def ready(self) -> None:
        from . import defaults  # noqa: F401  (workflow, guards, permissions, numbering)
