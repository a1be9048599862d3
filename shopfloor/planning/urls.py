"""Planning pages: MRP (`urls_mrp`), capacity (`urls_capacity`) and scheduling (`urls_schedule`)."""

from importlib import import_module, util

app_name = "planning"

urlpatterns: list = []
for _part in ("urls_mrp", "urls_capacity", "urls_schedule"):
    if util.find_spec(f"shopfloor.planning.{_part}"):
        urlpatterns += import_module(f"shopfloor.planning.{_part}").urlpatterns
