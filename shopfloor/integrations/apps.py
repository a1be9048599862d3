from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "shopfloor.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from . import handlers

        handlers.register()
