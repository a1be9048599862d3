from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "shopfloor.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        from . import defaults  # noqa: F401  (permissions, numbering)
