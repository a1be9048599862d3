from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shopfloor.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import access, auth, checks, handlers  # noqa: F401  (registers permissions, signals, checks)
