from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "shopfloor.quality"
    label = "quality"
    verbose_name = "Quality"

    def ready(self) -> None:
        from . import defaults  # noqa: F401  (action permissions)
