from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "shopfloor.web"
    label = "web"
    verbose_name = "Web UI"
