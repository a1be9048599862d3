from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "shopfloor.purchasing"
    label = "purchasing"
    verbose_name = "Purchasing"
