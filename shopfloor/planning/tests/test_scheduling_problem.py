"""Building the scheduler's Problem from the plant: calendars to closed minutes, machines, jobs."""

from __future__ import annotations

import datetime as dt
from datetime import UTC
from decimal import Decimal

import pytest
from django.utils import timezone

from shopfloor.planning import scheduling
from shopfloor.planning.models import OperationPin
from shopfloor.planning.solver import ProblemError
from shopfloor.planning.tests.factories import PlannedOrderFactory
from shopfloor.production import services as production_services
from shopfloor.resources.models import CalendarException, MachineDowntime
from shopfloor.resources.tests.factories import CalendarExceptionFactory, MachineFactory

from .schedule_scene import plant_scene, released_work_order, routed_item

pytestmark = pytest.mark.django_db

MONDAY_0600_OSLO = dt.datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # summer time: Oslo is UTC+2
WEEKDAYS_6_TO_14 = [(d, dt.time(6), dt.time(14)) for d in range(5)]


def _scene_with_holiday():
    scene = plant_scene(shifts=WEEKDAYS_6_TO_14)
    CalendarExceptionFactory(calendar=scene.calendar, date=dt.date(2026, 6, 2), kind=CalendarException.Kind.HOLIDAY)
    return scene


def test_a_calendar_with_shifts_and_a_holiday_gives_exact_closed_minutes(tenant):
    scene = _scene_with_holiday()
    item = routed_item(scene, [(scene.lathes, "30", "6"), (scene.mills, "15", "3")])
    released_work_order(scene, item, due=dt.date(2026, 6, 5))

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)

    closed = built.problem.closed[scene.lathe_1.pk]
    # Monday 06-14 open; Tuesday a holiday; Wednesday to Friday 06-14; the weekend closed.
    assert closed[:4] == [(480, 2880), (3360, 4320), (4800, 5760), (6240, 10080)]
    assert built.problem.closed[scene.lathe_2.pk] == closed
    assert built.origin == MONDAY_0600_OSLO


def test_downtime_windows_close_the_machine_on_top_of_its_calendar(tenant):
    scene = _scene_with_holiday()
    item = routed_item(scene, [(scene.lathes, "30", "6"), (scene.mills, "15", "3")])
    released_work_order(scene, item, due=dt.date(2026, 6, 5))
    # Thursday 08:00-10:00 in Oslo = 06:00-08:00 UTC = minutes 4440-4560.
    MachineDowntime.objects.create(
        organization=scene.plant.organization,
        plant=scene.plant,
        machine=scene.mill_1,
        starts_at=dt.datetime(2026, 6, 4, 6, 0, tzinfo=UTC),
        ends_at=dt.datetime(2026, 6, 4, 8, 0, tzinfo=UTC),
        reason="Spindle service",
    )

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)

    assert built.problem.closed[scene.mill_1.pk][:4] == [(480, 2880), (3360, 4320), (4440, 4560), (4800, 5760)]
    assert built.problem.closed[scene.lathe_1.pk][2] == (4800, 5760)


def test_a_break_is_taken_off_the_end_of_its_shift(tenant):
    scene = plant_scene(shifts=WEEKDAYS_6_TO_14, break_minutes=30)
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    released_work_order(scene, item, due=dt.date(2026, 6, 5))

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)

    assert built.problem.closed[scene.lathe_1.pk][0] == (450, 1440)


def test_operations_become_tasks_with_minutes_machines_and_the_order_as_a_job(tenant):
    scene = _scene_with_holiday()
    item = routed_item(scene, [(scene.lathes, "30", "6"), (scene.mills, "15", "2.55")], machines=[[], [scene.mill_1]])
    wo = released_work_order(scene, item, quantity=10, due=dt.date(2026, 6, 5), priority=7)

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)

    turn, mill = sorted(built.problem.tasks, key=lambda t: t.index)
    assert {a.machine for a in turn.alternatives} == {scene.lathe_1.pk, scene.lathe_2.pk}
    assert {(a.duration, a.setup) for a in turn.alternatives} == {(90, 30)}
    assert [(a.machine, a.duration) for a in mill.alternatives] == [(scene.mill_1.pk, 41)]  # 15 + 25.5 up
    (job,) = built.problem.jobs
    assert job.key == f"wo:{wo.pk}" and turn.job == job.key
    assert job.weight == 7 and job.release == 0
    # Due at the end of Friday 5 June in Oslo: 22:00 UTC that day.
    assert job.due == int((dt.datetime(2026, 6, 5, 22, 0, tzinfo=UTC) - MONDAY_0600_OSLO).total_seconds() // 60)
    assert built.tasks[turn.key].operation_id == wo.operations.get(sequence=10).pk


def test_a_parent_work_order_comes_after_its_child(tenant):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "10", "1")])
    parent = released_work_order(scene, item, due=dt.date(2026, 6, 10))
    child = released_work_order(scene, item, due=dt.date(2026, 6, 8), parent=parent)

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)

    jobs = {j.key: j for j in built.problem.jobs}
    assert jobs[f"wo:{parent.pk}"].after == (f"wo:{child.pk}",)
    assert jobs[f"wo:{child.pk}"].after == ()


def test_a_started_operation_is_fixed_now_on_its_machine_for_the_remaining_time(tenant, admin_user):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6"), (scene.mills, "15", "3")])
    wo = released_work_order(scene, item, quantity=10, due=timezone.localdate() + dt.timedelta(days=5))
    first = wo.operations.get(sequence=10)
    production_services.start_operation(actor=admin_user, operation=first, machine=scene.lathe_2)

    built = scheduling.build_problem(scene.plant, now=timezone.now())

    task = next(t for t in built.problem.tasks if t.key == f"op:{first.pk}")
    assert task.fixed == (scene.lathe_2.pk, 0)
    assert [a.machine for a in task.alternatives if a.machine == scene.lathe_2.pk] == [scene.lathe_2.pk]
    assert task.alternatives[0].duration in (89, 90)  # 30 setup (a few seconds spent) + 60 run
    assert built.tasks[task.key].fixed_start is not None


def test_a_pinned_operation_is_fixed_where_the_planner_put_it(tenant, admin_user):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    wo = released_work_order(scene, item, due=dt.date(2026, 6, 10))
    op = wo.operations.get()
    OperationPin.objects.create(
        organization=scene.plant.organization,
        operation=op,
        machine=scene.lathe_1,
        start=MONDAY_0600_OSLO + dt.timedelta(hours=3),
    )

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)

    (task,) = built.problem.tasks
    assert task.fixed == (scene.lathe_1.pk, 180)


def test_planned_work_orders_of_the_newest_mrp_run_are_exploded_through_the_routing(tenant):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "20", "1.5"), (scene.mills, "10", "1")])
    planned = PlannedOrderFactory(
        run__plant=scene.plant,
        item=item,
        quantity=Decimal("8"),
        due_date=dt.date(2026, 6, 12),
        start_date=dt.date(2026, 6, 3),
    )

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)
    without = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO, include_planned_orders=False)

    assert sorted(a.duration for t in built.problem.tasks for a in t.alternatives[:1]) == [18, 32]
    (job,) = built.problem.jobs
    assert job.key == f"po:{planned.pk}"
    assert job.release == 1440 + 18 * 60  # Wednesday 00:00 in Oslo = Tuesday 22:00 UTC
    assert without.problem.tasks == []


def test_a_machine_down_now_is_closed_for_the_whole_horizon(tenant):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    released_work_order(scene, item, due=dt.date(2026, 6, 10))
    MachineDowntime.objects.create(
        organization=scene.plant.organization,
        plant=scene.plant,
        machine=scene.lathe_1,
        kind=MachineDowntime.Kind.BREAKDOWN,
        starts_at=MONDAY_0600_OSLO - dt.timedelta(hours=1),
    )

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)

    assert built.problem.closed[scene.lathe_1.pk] == [(0, built.problem.horizon)]
    (task,) = built.problem.tasks
    assert [a.machine for a in task.alternatives] == [scene.lathe_2.pk]


def test_an_operation_with_no_eligible_machine_is_named(tenant):
    scene = plant_scene()
    empty = type(scene.lathes).objects.create(
        organization=scene.plant.organization, plant=scene.plant, calendar=scene.calendar, code="PAINT", name="Paint"
    )
    item = routed_item(scene, [(scene.lathes, "30", "6"), (empty, "10", "1")])
    wo = released_work_order(scene, item, due=dt.date(2026, 6, 10))

    with pytest.raises(ProblemError, match=rf"Operation 20 'Step 2' of {wo.number}: no eligible machine.*PAINT"):
        scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)


def test_a_calendar_with_no_working_time_is_named(tenant):
    scene = plant_scene(shifts=[])
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    released_work_order(scene, item, due=dt.date(2026, 6, 10))

    with pytest.raises(ProblemError, match=rf"Calendar '{scene.calendar.name}' .* has no working time"):
        scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)


def test_an_operation_longer_than_any_shift_is_named(tenant):
    scene = plant_scene(shifts=WEEKDAYS_6_TO_14)
    item = routed_item(scene, [(scene.lathes, "30", "60")])
    wo = released_work_order(scene, item, quantity=10, due=dt.date(2026, 6, 10))

    with pytest.raises(ProblemError, match=rf"Operation 10 'Step 1' of {wo.number} needs 630 minutes"):
        scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)


def test_a_retired_machine_is_not_eligible(tenant):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    released_work_order(scene, item, due=dt.date(2026, 6, 10))
    type(scene.lathe_1).objects.filter(pk=scene.lathe_1.pk).update(status="retired")
    MachineFactory(work_center=scene.mills)

    built = scheduling.build_problem(scene.plant, now=MONDAY_0600_OSLO)

    (task,) = built.problem.tasks
    assert [a.machine for a in task.alternatives] == [scene.lathe_2.pk]
