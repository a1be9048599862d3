from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "shopfloor.production"
    label = "production"
    verbose_name = "Production"
