"""Reads of the finite-capacity schedule: runs, placements, conflicts, pins, and Gantt geometry."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any

from django.db.models import QuerySet

from .models import OperationPin, ScheduleConflict, ScheduledOperation, ScheduleRun


def schedule_runs() -> QuerySet[ScheduleRun]:
    return ScheduleRun.objects.select_related("plant", "requested_by")


def latest_run(plant: Any) -> ScheduleRun | None:
    """The plant's newest run, whatever its status (the page shows a running one's progress)."""
    return schedule_runs().filter(plant=plant).order_by("-id").first()


def current_run(plant: Any) -> ScheduleRun | None:
    """The schedule in force: the newest finished run."""
    return schedule_runs().filter(plant=plant, status=ScheduleRun.Status.DONE).order_by("-finished_at", "-id").first()


def scheduled_operations(*, run: ScheduleRun) -> QuerySet[ScheduledOperation]:
    return (
        ScheduledOperation.objects.filter(run=run)
        .select_related("machine", "work_order__item", "operation", "planned_order__item", "routing_operation")
        .order_by("machine__code", "start", "id")
    )


def conflicts(*, run: ScheduleRun) -> QuerySet[ScheduleConflict]:
    return (
        ScheduleConflict.objects.filter(run=run)
        .select_related("work_order", "planned_order__item", "machine", "item")
        .order_by("-tardiness_minutes", "id")
    )


def pins() -> QuerySet[OperationPin]:
    return OperationPin.objects.select_related("operation__work_order", "machine", "pinned_by")


# --- Gantt ---------------------------------------------------------------------------------------

LABEL_WIDTH = 120
ROW_HEIGHT = 26
BAR_HEIGHT = 18
AXIS_HEIGHT = 22
PLOT_WIDTH = 720


def _order_label(row: ScheduledOperation) -> str:
    if row.work_order_id is not None:
        return row.work_order.number
    planned = row.planned_order
    return f"Planned {planned.item.number}" if planned is not None else "?"


def gantt(
    rows: list[ScheduledOperation],
    *,
    by: str,
    zone_name: str,
    late_orders: set[str] | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    """Rows (per machine or per order) of bars positioned on one time axis, for a server SVG.

    Bars keep a minimum width of 2 px so that short operations stay visible; the axis ticks
    each day (each hour when the schedule spans under a day) in the plant's zone.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    late_orders = late_orders or set()
    if not rows:
        return {"rows": [], "ticks": [], "width": LABEL_WIDTH + PLOT_WIDTH, "height": AXIS_HEIGHT}
    start = min(r.start for r in rows)
    end = max(r.end for r in rows)
    if days is not None:
        end = min(end, start + dt.timedelta(days=days))
    span = max((end - start).total_seconds(), 3600)
    scale = PLOT_WIDTH / span

    def x(moment: dt.datetime) -> float:
        seconds = min(max((moment - start).total_seconds(), 0), span)
        return round(LABEL_WIDTH + seconds * scale, 1)

    groups: dict[str, list[ScheduledOperation]] = defaultdict(list)
    for row in rows:
        key = row.machine.code if by == "machine" else _order_label(row)
        groups[key].append(row)
    out_rows = []
    for index, (label, members) in enumerate(sorted(groups.items())):
        y = AXIS_HEIGHT + index * ROW_HEIGHT
        bars = []
        for row in members:
            if row.start >= end:
                continue
            left, right = x(row.start), x(row.end)
            order = _order_label(row)
            text = order if by == "machine" else row.machine.code
            bars.append(
                {
                    "x": left,
                    "width": max(round(right - left, 1), 2.0),
                    "y": y + (ROW_HEIGHT - BAR_HEIGHT) / 2,
                    "label": text if right - left > 8 * len(text) else "",
                    "title": f"{order} op {row.sequence} on {row.machine.code}: "
                    f"{row.start.astimezone(zone):%a %d %b %H:%M} - {row.end.astimezone(zone):%a %d %b %H:%M}"
                    + (" (fixed)" if row.is_fixed else ""),
                    "late": order in late_orders,
                    "fixed": row.is_fixed,
                    "text_x": left + 3,
                    "text_y": y + ROW_HEIGHT / 2 + 4,
                }
            )
        out_rows.append({"label": label, "y": y, "text_y": y + ROW_HEIGHT / 2 + 4, "bars": bars})
    ticks = []
    local_start = start.astimezone(zone)
    step = dt.timedelta(hours=1) if span < 86400 else dt.timedelta(days=max(1, int(span // 86400 // 14) + 1))
    tick = local_start.replace(minute=0, second=0, microsecond=0)
    if step >= dt.timedelta(days=1):
        tick = tick.replace(hour=0)
    while tick.astimezone(dt.UTC) <= end:
        if tick.astimezone(dt.UTC) >= start:
            ticks.append(
                {
                    "x": x(tick.astimezone(dt.UTC)),
                    "label": f"{tick:%H:%M}" if step < dt.timedelta(days=1) else f"{tick:%a %d}",
                }
            )
        tick = (
            (tick + step).replace(tzinfo=zone)
            if step < dt.timedelta(days=1)
            else dt.datetime.combine(tick.date() + step, dt.time(0), tzinfo=zone)
        )
    height = AXIS_HEIGHT + len(out_rows) * ROW_HEIGHT + 4
    return {
        "rows": out_rows,
        "ticks": ticks,
        "width": LABEL_WIDTH + PLOT_WIDTH,
        "height": height,
        "label_width": LABEL_WIDTH,
    }
