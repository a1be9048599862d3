"""Planning's tables: MRP runs and their results, and finite-capacity schedules."""

from .mrp import Forecast, MrpException, MrpItemResult, MrpRun, Pegging, PlannedOrder
from .schedule import OperationPin, ScheduleConflict, ScheduledOperation, ScheduleRun

__all__ = [
    "Forecast",
    "MrpException",
    "MrpItemResult",
    "MrpRun",
    "OperationPin",
    "Pegging",
    "PlannedOrder",
    "ScheduleConflict",
    "ScheduleRun",
    "ScheduledOperation",
]
