from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "shopfloor.resources"
    label = "resources"
    verbose_name = "Resources and routings"

    def ready(self) -> None:
        from shopfloor.core import services as core_services

        from . import defaults, panels  # noqa: F401  (workflows, permissions, guards; the item-page panel)

        core_services.register_edit_guard(defaults.routing_edit_refusal)
