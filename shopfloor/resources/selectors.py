"""Reads of the resources app: querysets for lists, and the hours a resource can work.

`available_hours` rules:
- a shift counts on the day it starts (a Monday 22:00-06:00 night shift is Monday's);
- its length is real elapsed time in the calendar's zone, so the night the clocks go forward a
  22:00-06:00 shift lasts 7 h, the night they go back 9 h; breaks are then subtracted;
- a holiday or closure on a day removes the shifts that start that day; an extra shift adds;
- a work center multiplies by its capacity (machines or people in parallel);
- a machine that is down, in maintenance or retired has 0 h from today on. Its status is the
  current one, not a history: a machine back in service tomorrow shows 0 h until then, and
  past days are answered from the calendar as if it had been available.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from .models import (
    CalendarException,
    Capability,
    Machine,
    MachineDowntime,
    Operation,
    Routing,
    ShiftPattern,
    WorkCenter,
    WorkingCalendar,
)

HOURS_QUANTUM = Decimal("0.01")
MAX_DAYS = 366
UNAVAILABLE_MACHINE_STATES = frozenset({"down", "maintenance", "retired"})


def calendars() -> QuerySet[WorkingCalendar]:
    return WorkingCalendar.objects.select_related("plant")


def shift_patterns() -> QuerySet[ShiftPattern]:
    return ShiftPattern.objects.select_related("calendar")


def calendar_exceptions() -> QuerySet[CalendarException]:
    return CalendarException.objects.select_related("calendar")


def work_centers() -> QuerySet[WorkCenter]:
    return WorkCenter.objects.select_related("plant", "calendar__plant")


def capabilities() -> QuerySet[Capability]:
    return Capability.objects.all()


def machines() -> QuerySet[Machine]:
    return Machine.objects.select_related("plant", "work_center").prefetch_related("capabilities")


def machine_downtimes() -> QuerySet[MachineDowntime]:
    return MachineDowntime.objects.select_related("machine", "plant")


def routings() -> QuerySet[Routing]:
    return Routing.objects.select_related("item")


def operations() -> QuerySet[Operation]:
    return Operation.objects.select_related("routing__item", "work_center").prefetch_related("eligible_machines")


def released_routing(item: Any) -> Routing | None:
    """The item's one released routing (what production and planning use), with its operations."""
    return (
        Routing.objects.filter(item=item, status="released")
        .prefetch_related(Prefetch("operations", queryset=operations().order_by("sequence")))
        .first()
    )


# --- Available hours -----------------------------------------------------------------------------


def _elapsed_hours(day: dt.date, start: dt.time, end: dt.time, break_minutes: int, zone: Any) -> Decimal:
    """Real hours from `start` on `day` to `end` (next day when at or before start), minus breaks."""
    begins = dt.datetime.combine(day, start, tzinfo=zone)
    ends = dt.datetime.combine(day + dt.timedelta(days=1) if end <= start else day, end, tzinfo=zone)
    # Aware datetimes sharing one tzinfo subtract as wall-clock time in Python; through UTC the
    # difference is the time that really passes, which is what a DST night changes.
    seconds = (ends.astimezone(dt.UTC) - begins.astimezone(dt.UTC)).total_seconds() - 60 * break_minutes
    return Decimal(max(int(seconds), 0)) / Decimal(3600)


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    from django.core.exceptions import ValidationError

    if date_to < date_from:
        raise ValidationError({"to": ["The end date is before the start date."]})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationError({"to": [f"At most {MAX_DAYS} days at a time."]})


def calendar_hours(calendar: WorkingCalendar, date_from: dt.date, date_to: dt.date) -> dict[dt.date, Decimal]:
    """Working hours per day of one calendar, `date_from` to `date_to` inclusive (two queries)."""
    _check_range(date_from, date_to)
    zone = calendar.zone
    by_weekday: dict[int, list[ShiftPattern]] = defaultdict(list)
    for shift in ShiftPattern.objects.filter(calendar=calendar):
        by_weekday[shift.weekday].append(shift)
    closed: set[dt.date] = set()
    extra: dict[dt.date, list[CalendarException]] = defaultdict(list)
    for exc in CalendarException.objects.filter(calendar=calendar, date__gte=date_from, date__lte=date_to):
        if exc.kind == CalendarException.Kind.EXTRA_SHIFT:
            extra[exc.date].append(exc)
        else:
            closed.add(exc.date)
    hours: dict[dt.date, Decimal] = {}
    day = date_from
    while day <= date_to:
        total = Decimal(0)
        if day not in closed:
            for shift in by_weekday.get(day.weekday(), []):
                total += _elapsed_hours(day, shift.start_time, shift.end_time, shift.break_minutes, zone)
        for exc in extra.get(day, []):
            assert exc.start_time is not None and exc.end_time is not None  # held by a check constraint
            total += _elapsed_hours(day, exc.start_time, exc.end_time, exc.break_minutes, zone)
        hours[day] = total.quantize(HOURS_QUANTUM)
        day += dt.timedelta(days=1)
    return hours


def available_hours(
    resource: WorkingCalendar | WorkCenter | Machine, date_from: dt.date, date_to: dt.date
) -> dict[dt.date, Decimal]:
    """Hours a calendar, work center (× capacity) or machine can work on each day."""
    if isinstance(resource, WorkingCalendar):
        return calendar_hours(resource, date_from, date_to)
    if isinstance(resource, WorkCenter):
        base = calendar_hours(resource.calendar, date_from, date_to)
        return {day: (h * resource.capacity).quantize(HOURS_QUANTUM) for day, h in base.items()}
    if isinstance(resource, Machine):
        calendar = resource.work_center.calendar
        base = calendar_hours(calendar, date_from, date_to)
        if resource.status in UNAVAILABLE_MACHINE_STATES:
            today = timezone.now().astimezone(calendar.zone).date()
            return {day: (Decimal("0.00") if day >= today else h) for day, h in base.items()}
        return base
    raise TypeError(f"No working hours for {type(resource).__name__}.")


def hours_chart(hours: dict[dt.date, Decimal], width: int = 560, height: int = 140) -> dict[str, Any]:
    """Bars for a small server-rendered SVG of hours per day."""
    days = list(hours.items())
    top = max([h for _, h in days] + [Decimal(1)])
    slot = width / max(len(days), 1)
    plot = height - 30
    bars = []
    for i, (day, h) in enumerate(days):
        bar_height = float(h / top) * plot
        bars.append(
            {
                "x": round(i * slot + 2, 1),
                "y": round(plot - bar_height + 10, 1),
                "width": round(slot - 4, 1),
                "height": round(bar_height, 1),
                "label_x": round(i * slot + slot / 2, 1),
                "day": day,
                "hours": h,
            }
        )
    return {"width": width, "height": height, "bars": bars, "axis_y": height - 14, "top": top}


def operation_documents(operation_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Drawings and documents linked to each operation, with their released revision (two queries)."""
    from shopfloor.catalog.models import DocumentLink, DocumentRevision

    links = list(
        DocumentLink.objects.filter(object_type="resources.operation", object_id__in=operation_ids).select_related(
            "document"
        )
    )
    released = {
        r.document_id: r
        for r in DocumentRevision.objects.filter(
            document_id__in={link.document_id for link in links}, status="released"
        )
    }
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for link in links:
        found[link.object_id].append({"document": link.document, "released": released.get(link.document_id)})
    return dict(found)
