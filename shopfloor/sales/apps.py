from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "shopfloor.sales"
    label = "sales"
    verbose_name = "Sales"
