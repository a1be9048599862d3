from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "shopfloor.planning"
    label = "planning"
    verbose_name = "Planning"

    def ready(self) -> None:
        from importlib import import_module, util

        # Event handlers (rescheduling when a machine goes down) register on import.
        for module in ("handlers",):
            if util.find_spec(f"{self.name}.{module}"):
                import_module(f"{self.name}.{module}")
