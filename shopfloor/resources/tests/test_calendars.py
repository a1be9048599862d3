"""Working calendars: available hours per day, in the calendar's own time zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shopfloor.core.tests.factories import PlantFactory
from shopfloor.resources import selectors
from shopfloor.resources.models import CalendarException, ShiftPattern
from shopfloor.resources.tests.factories import (
    CalendarExceptionFactory,
    MachineFactory,
    ShiftPatternFactory,
    WorkCenterFactory,
    WorkingCalendarFactory,
)
from shopfloor.workflows import services as workflow_services

MONDAY = dt.date(2026, 5, 11)
T = dt.time


def shift(calendar, weekday, start, end, break_minutes=0):
    return ShiftPatternFactory(
        calendar=calendar, weekday=weekday, start_time=start, end_time=end, break_minutes=break_minutes
    )


@pytest.fixture
def two_shifts(tenant):
    """Mon-Fri 06:00-14:00 (30 min break); Monday also a 22:00-06:00 night shift (30 min break)."""
    calendar = WorkingCalendarFactory(timezone="Europe/Oslo")
    for weekday in range(5):
        shift(calendar, weekday, T(6), T(14), 30)
    shift(calendar, ShiftPattern.Weekday.MONDAY, T(22), T(6), 30)
    return calendar


def hours(resource, first, last=None):
    return selectors.available_hours(resource, first, last or first)


def test_shift_hours_are_counted_minus_breaks_and_a_night_shift_on_the_day_it_starts(two_shifts):
    week = hours(two_shifts, MONDAY, MONDAY + dt.timedelta(days=6))
    assert list(week.values()) == [
        Decimal("15.00"),  # 7.5 h day shift + 7.5 h night shift starting Monday 22:00
        Decimal("7.50"),  # the night shift's Tuesday morning is Monday's
        Decimal("7.50"),
        Decimal("7.50"),
        Decimal("7.50"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]


def test_a_holiday_removes_the_days_shifts_and_an_extra_shift_adds(two_shifts):
    CalendarExceptionFactory(calendar=two_shifts, date=MONDAY + dt.timedelta(days=2), kind="holiday")
    CalendarExceptionFactory(calendar=two_shifts, date=MONDAY + dt.timedelta(days=3), kind="closure")
    CalendarExceptionFactory(
        calendar=two_shifts,
        date=MONDAY + dt.timedelta(days=5),
        kind=CalendarException.Kind.EXTRA_SHIFT,
        start_time=T(8),
        end_time=T(12, 30),
        break_minutes=15,
    )
    # A Sunday overtime night: 20:00 to 02:00 Monday counts on Sunday.
    CalendarExceptionFactory(
        calendar=two_shifts,
        date=MONDAY + dt.timedelta(days=6),
        kind=CalendarException.Kind.EXTRA_SHIFT,
        start_time=T(20),
        end_time=T(2),
    )
    week = hours(two_shifts, MONDAY, MONDAY + dt.timedelta(days=6))
    assert week[MONDAY + dt.timedelta(days=2)] == Decimal("0.00")
    assert week[MONDAY + dt.timedelta(days=3)] == Decimal("0.00")
    assert week[MONDAY + dt.timedelta(days=4)] == Decimal("7.50")
    assert week[MONDAY + dt.timedelta(days=5)] == Decimal("4.25")
    assert week[MONDAY + dt.timedelta(days=6)] == Decimal("6.00")


def test_a_holiday_on_the_morning_after_does_not_cut_the_night_shift_started_before(two_shifts):
    CalendarExceptionFactory(calendar=two_shifts, date=MONDAY + dt.timedelta(days=1), kind="holiday")
    assert hours(two_shifts, MONDAY) == {MONDAY: Decimal("15.00")}
    assert hours(two_shifts, MONDAY + dt.timedelta(days=1)) == {MONDAY + dt.timedelta(days=1): Decimal("0.00")}


@pytest.fixture
def nights_in_oslo(tenant):
    """Every night 22:00-06:00, and Sunday 00:00-06:00 and 06:00-14:00, no breaks, Europe/Oslo."""
    calendar = WorkingCalendarFactory(timezone="Europe/Oslo")
    for weekday in range(7):
        shift(calendar, weekday, T(22), T(6))
    shift(calendar, ShiftPattern.Weekday.SUNDAY, T(0), T(6))
    shift(calendar, ShiftPattern.Weekday.SUNDAY, T(6), T(14))
    return calendar


def test_the_night_the_clocks_go_forward_a_night_shift_lasts_seven_hours(nights_in_oslo):
    # Last Sunday of March 2026: 02:00 CET becomes 03:00 CEST.
    assert hours(nights_in_oslo, dt.date(2026, 3, 21)) == {dt.date(2026, 3, 21): Decimal("8.00")}
    assert hours(nights_in_oslo, dt.date(2026, 3, 28)) == {dt.date(2026, 3, 28): Decimal("7.00")}
    # Sunday: 00:00-06:00 loses an hour (5), 06:00-14:00 is whole (8), 22:00-06:00 is whole (8).
    assert hours(nights_in_oslo, dt.date(2026, 3, 29)) == {dt.date(2026, 3, 29): Decimal("21.00")}


def test_the_night_the_clocks_go_back_a_night_shift_lasts_nine_hours(nights_in_oslo):
    # Last Sunday of October 2026: 03:00 CEST becomes 02:00 CET.
    assert hours(nights_in_oslo, dt.date(2026, 10, 24)) == {dt.date(2026, 10, 24): Decimal("9.00")}
    assert hours(nights_in_oslo, dt.date(2026, 10, 25)) == {dt.date(2026, 10, 25): Decimal("23.00")}
    assert hours(nights_in_oslo, dt.date(2026, 10, 31)) == {dt.date(2026, 10, 31): Decimal("8.00")}


def test_a_calendar_without_its_own_zone_runs_in_its_plants(tenant):
    plant_calendar = WorkingCalendarFactory(timezone="", plant=PlantFactory(timezone="Europe/Oslo"))
    utc_calendar = WorkingCalendarFactory(timezone="")
    for calendar in (plant_calendar, utc_calendar):
        shift(calendar, ShiftPattern.Weekday.SATURDAY, T(22), T(6))
    night = dt.date(2026, 3, 28)
    assert plant_calendar.zone_name == "Europe/Oslo"
    assert hours(plant_calendar, night)[night] == Decimal("7.00")
    assert utc_calendar.zone_name == "UTC"
    assert hours(utc_calendar, night)[night] == Decimal("8.00")


def test_a_work_center_multiplies_its_calendar_by_its_capacity(two_shifts):
    center = WorkCenterFactory(calendar=two_shifts, capacity=3)
    assert hours(center, MONDAY, MONDAY + dt.timedelta(days=1)) == {
        MONDAY: Decimal("45.00"),
        MONDAY + dt.timedelta(days=1): Decimal("22.50"),
    }


def test_a_machine_that_is_down_has_no_hours_from_today_on(tenant, admin_user):
    calendar = WorkingCalendarFactory(timezone="UTC")
    for weekday in range(7):
        shift(calendar, weekday, T(6), T(14))
    machine = MachineFactory(work_center=WorkCenterFactory(calendar=calendar, capacity=4))
    today = timezone.now().date()
    days = (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1))
    assert list(selectors.available_hours(machine, days[0], days[-1]).values()) == [Decimal("8.00")] * 3
    workflow_services.transition(machine, "down", admin_user, comment="Spindle bearing")
    assert list(selectors.available_hours(machine, days[0], days[-1]).values()) == [
        Decimal("8.00"),  # the status is current, not historical: the past is left as it was
        Decimal("0.00"),
        Decimal("0.00"),
    ]


def test_available_hours_over_the_api(api, two_shifts, org, admin_user):
    center = WorkCenterFactory(calendar=two_shifts, capacity=2)
    response = api.get(
        f"/api/v1/resources/work-centers/{center.pk}/available-hours/", {"from": "2026-05-11", "to": "2026-05-12"}
    )
    assert response.status_code == 200, response.content
    assert response.json() == [{"date": "2026-05-11", "hours": "30.00"}, {"date": "2026-05-12", "hours": "15.00"}]
    response = api.get(
        f"/api/v1/resources/calendars/{two_shifts.pk}/available-hours/", {"from": "2026-05-11", "to": "2026-05-11"}
    )
    assert response.json() == [{"date": "2026-05-11", "hours": "15.00"}]


def test_available_hours_refuses_a_backwards_or_unreadable_range(api, two_shifts):
    url = f"/api/v1/resources/calendars/{two_shifts.pk}/available-hours/"
    response = api.get(url, {"from": "2026-05-12", "to": "2026-05-11"})
    assert response.status_code == 400
    assert "to" in response.json()["errors"]
    response = api.get(url, {"from": "12/05/2026"})
    assert response.status_code == 400
    assert "from" in response.json()["errors"]


def test_another_organizations_calendar_has_no_hours_for_me(api, other_org):
    from shopfloor.core import tenancy

    with tenancy.use(other_org):
        foreign = WorkingCalendarFactory()
    assert api.get(f"/api/v1/resources/calendars/{foreign.pk}/available-hours/").status_code == 404


def test_an_extra_shift_needs_its_times(api, two_shifts):
    response = api.post(
        "/api/v1/resources/calendar-exceptions/",
        {"calendar": two_shifts.pk, "date": "2026-05-16", "kind": "extra_shift", "start_time": "08:00:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "end_time" in response.json()["errors"]
    assert not CalendarException.objects.exists()
