"""Planning's API: each part registers its viewsets on the shared router when imported."""

from importlib import import_module, util

for _part in ("api_mrp", "api_capacity", "api_schedule"):
    if util.find_spec(f"shopfloor.planning.{_part}"):
        import_module(f"shopfloor.planning.{_part}")
