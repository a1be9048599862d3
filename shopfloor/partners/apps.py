from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "shopfloor.partners"
    label = "partners"
    verbose_name = "Partners"
