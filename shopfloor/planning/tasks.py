"""Planning's Celery tasks live in `tasks_mrp` and `tasks_schedule`; importing here registers them."""

from importlib import import_module, util

for _part in ("tasks_mrp", "tasks_schedule"):
    if util.find_spec(f"shopfloor.planning.{_part}"):
        import_module(f"shopfloor.planning.{_part}")
