from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "shopfloor.quality"
    label = "quality"
    verbose_name = "Quality"

    def ready(self) -> None:
        from . import (  # noqa: F401  (plan workflow, event handlers)
            defaults,
            defaults_inspection,
            defaults_ncr,
            handlers_inspection,
        )
