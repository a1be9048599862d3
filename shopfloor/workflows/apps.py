from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "shopfloor.workflows"
    label = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from shopfloor.core import services as core_services

        from . import defaults, guards, handlers, services  # noqa: F401  (registers defaults, guards, handlers)

        core_services.register_edit_guard(services.edit_refusal)
