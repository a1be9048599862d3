from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "shopfloor.field"
    label = "field"
    verbose_name = "Field assets"
