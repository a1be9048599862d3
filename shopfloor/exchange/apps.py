from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "shopfloor.exchange"
    label = "exchange"
    verbose_name = "Import and export"

    def ready(self) -> None:
        from . import registry

        registry.load_datasets()
