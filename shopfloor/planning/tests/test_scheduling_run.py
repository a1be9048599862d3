"""Schedule runs end to end through eager Celery: placements, conflicts, fixed work, failures,
and rescheduling when a machine goes down."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.planning import scheduling, solver
from shopfloor.planning.models import ScheduleConflict, ScheduledOperation, ScheduleRun
from shopfloor.planning.services import schedule as services
from shopfloor.production import services as production_services
from shopfloor.production.tests.factories import released_order
from shopfloor.resources import services as resources_services
from shopfloor.resources.tests.factories import ShiftPatternFactory, WorkCenterFactory
from shopfloor.workflows import services as workflow_services

from .schedule_scene import plant_scene, released_work_order, routed_item

pytestmark = pytest.mark.django_db

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def _today():
    return timezone.now().astimezone(OSLO).date()


def _run(actor, plant, capture, **kwargs) -> ScheduleRun:
    with capture(execute=True):
        run = services.request_schedule(actor=actor, plant=plant, time_limit=kwargs.pop("time_limit", 5), **kwargs)
    run.refresh_from_db()
    return run


def _rebuilt(run: ScheduleRun) -> scheduling.PlantProblem:
    """The problem as the run saw it (same origin), to check the stored rows against."""
    return scheduling.build_problem(run.plant, now=run.origin, include_planned_orders=run.include_planned_orders)


def _solution_of(run: ScheduleRun, built: scheduling.PlantProblem) -> solver.Solution:
    placements = {}
    for row in ScheduledOperation.objects.filter(run=run):
        start = max(built.minute(row.start), 0)
        placements[scheduling.task_key(row)] = solver.Placement(row.machine_id, start, built.minute(row.end))
    return solver.Solution(
        status=run.solver_status,
        placements=placements,
        makespan=run.makespan_minutes,
        weighted_tardiness=run.weighted_tardiness,
        lower_bound=run.lower_bound or 0,
        seconds=0.0,
    )


def test_a_run_places_every_operation_in_open_time_in_routing_order(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6"), (scene.mills, "15", "3")])
    orders = [released_work_order(scene, item, due=_today() + dt.timedelta(days=d)) for d in (2, 3, 4)]

    run = _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    assert run.status == ScheduleRun.Status.DONE, run.error
    assert run.method == ScheduleRun.Method.CP_SAT and run.solver_status in ("OPTIMAL", "FEASIBLE")
    rows = list(ScheduledOperation.objects.filter(run=run))
    assert len(rows) == 6
    assert {r.work_order_id for r in rows} == {wo.pk for wo in orders}
    built = _rebuilt(run)
    problems = [
        p
        for p in solver.violations(built.problem, _solution_of(run, built))
        if "tardiness" not in p and "makespan" not in p
    ]
    assert problems == []
    for wo in orders:
        turn, mill = sorted((r for r in rows if r.work_order_id == wo.pk), key=lambda r: r.sequence)
        assert mill.start >= turn.end
        assert (turn.end - turn.start) == dt.timedelta(minutes=90)
        assert mill.machine_id == scene.mill_1.pk
        assert turn.machine_id in (scene.lathe_1.pk, scene.lathe_2.pk)
        for r in (turn, mill):  # every day 06:00-22:00 in Oslo
            local_start, local_end = r.start.astimezone(OSLO), r.end.astimezone(OSLO)
            assert 6 <= local_start.hour and (local_end.hour < 22 or local_end.time() == dt.time(22))
    assert run.weighted_tardiness == 0 and run.baseline_weighted_tardiness == 0
    assert run.stats["operations"] == 6
    assert AuditEvent.objects.filter(object_type="planning.schedulerun", object_id=str(run.pk)).count() == 2
    assert OutboxEvent.objects.filter(event_type="planning.schedule.finished", payload__id=run.pk).exists()


def test_a_late_order_gets_a_capacity_conflict_naming_the_machine(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    scene = plant_scene(two_lathes=False)
    item = routed_item(scene, [(scene.lathes, "0", "90")])  # 10 x 90 min = 15 h: one a day
    orders = [released_work_order(scene, item, due=_today()) for _ in range(2)]

    run = _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    assert run.status == ScheduleRun.Status.DONE, run.error
    conflicts = list(ScheduleConflict.objects.filter(run=run, kind="capacity"))
    assert len(conflicts) >= 1
    (waited,) = [c for c in conflicts if c.work_order_id in {wo.pk for wo in orders}][:1]
    assert waited.machine_id == scene.lathe_1.pk
    assert f"machine {scene.lathe_1.code}" in waited.message
    assert waited.tardiness_minutes > 0 and waited.planned_end > waited.due
    assert run.weighted_tardiness > 0


def test_material_not_in_stock_and_not_on_order_is_a_conflict(tenant, admin_user, django_capture_on_commit_callbacks):
    wo = released_order(stock=0, quantity=5, due_in_days=10)
    calendar = wo.operations.first().work_center.calendar
    for day in range(7):
        ShiftPatternFactory(
            calendar=calendar, weekday=day, start_time=dt.time(6), end_time=dt.time(22), break_minutes=0
        )
    component = wo.materials.get().component

    run = _run(admin_user, wo.plant, django_capture_on_commit_callbacks)

    assert run.status == ScheduleRun.Status.DONE, run.error
    (conflict,) = ScheduleConflict.objects.filter(run=run, kind="material")
    assert conflict.work_order_id == wo.pk and conflict.item_id == component.pk
    assert conflict.short_quantity == Decimal("10")  # 5 x 2 per unit
    assert f"material {component.number} no open supply" in conflict.message


def test_a_pinned_operation_stays_where_it_was_pinned(tenant, admin_user, django_capture_on_commit_callbacks):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    wo = released_work_order(scene, item, due=_today() + dt.timedelta(days=5))
    op = wo.operations.get()
    start = dt.datetime.combine(_today() + dt.timedelta(days=2), dt.time(9, 0), tzinfo=OSLO)
    services.pin_operation(actor=admin_user, operation=op, machine=scene.lathe_2, start=start)

    run = _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    assert run.status == ScheduleRun.Status.DONE, run.error
    row = ScheduledOperation.objects.get(run=run, operation=op)
    assert (row.machine_id, row.start, row.is_fixed) == (scene.lathe_2.pk, start, True)


def test_a_started_operation_is_kept_on_its_machine(tenant, admin_user, django_capture_on_commit_callbacks):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6"), (scene.mills, "15", "3")])
    wo = released_work_order(scene, item, due=_today() + dt.timedelta(days=5))
    first = wo.operations.get(sequence=10)
    production_services.start_operation(actor=admin_user, operation=first, machine=scene.lathe_2)
    first.refresh_from_db()

    run = _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    assert run.status == ScheduleRun.Status.DONE, run.error
    row = ScheduledOperation.objects.get(run=run, operation=first)
    assert (row.machine_id, row.start, row.is_fixed) == (scene.lathe_2.pk, first.started_at, True)
    following = ScheduledOperation.objects.get(run=run, operation__sequence=20, work_order=wo)
    assert following.start >= row.end and not following.is_fixed


def test_no_eligible_machine_fails_the_run_naming_the_operation_and_saves_nothing(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    scene = plant_scene()
    empty = WorkCenterFactory(plant=scene.plant, calendar=scene.calendar, code="PAINT")
    item = routed_item(scene, [(scene.lathes, "30", "6"), (empty, "10", "1")])
    wo = released_work_order(scene, item, due=_today() + dt.timedelta(days=5))

    run = _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    assert run.status == ScheduleRun.Status.FAILED
    assert f"Operation 20 'Step 2' of {wo.number}: no eligible machine" in run.error
    assert "PAINT" in run.error
    assert not ScheduledOperation.objects.filter(run=run).exists()
    assert not ScheduleConflict.objects.filter(run=run).exists()
    assert services.current_run(scene.plant) is None


def test_a_downtime_on_a_scheduled_machine_reschedules_without_it(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    for d in (1, 2, 3, 4):
        released_work_order(scene, item, due=_today() + dt.timedelta(days=d))
    first = _run(admin_user, scene.plant, django_capture_on_commit_callbacks)
    used = set(ScheduledOperation.objects.filter(run=first).values_list("machine_id", flat=True))
    assert scene.lathe_1.pk in used

    broke_at = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        resources_services.create_downtime(
            actor=admin_user, machine=scene.lathe_1, data={"kind": "breakdown", "starts_at": broke_at}
        )

    second = ScheduleRun.objects.exclude(pk=first.pk).get()
    assert second.trigger == ScheduleRun.Trigger.MACHINE_DOWN and second.requested_by is None
    assert second.status == ScheduleRun.Status.DONE, second.error
    assert not ScheduledOperation.objects.filter(run=second, machine=scene.lathe_1, end__gt=broke_at).exists()
    assert ScheduledOperation.objects.filter(run=second).count() == 4


def test_a_machine_reported_down_reschedules_once(tenant, admin_user, django_capture_on_commit_callbacks):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    for d in (1, 2):
        released_work_order(scene, item, due=_today() + dt.timedelta(days=d))
    first = _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        workflow_services.transition(scene.lathe_1, "down", admin_user, comment="Hydraulic leak")

    second = ScheduleRun.objects.exclude(pk=first.pk).get()
    assert second.trigger == ScheduleRun.Trigger.MACHINE_DOWN and second.status == ScheduleRun.Status.DONE
    assert set(ScheduledOperation.objects.filter(run=second).values_list("machine_id", flat=True)) == {scene.lathe_2.pk}


def test_a_downtime_on_a_machine_the_schedule_does_not_use_asks_nothing(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")], machines=[[scene.lathe_2]])
    released_work_order(scene, item, due=_today() + dt.timedelta(days=2))
    _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        resources_services.create_downtime(
            actor=admin_user, machine=scene.lathe_1, data={"kind": "breakdown", "starts_at": timezone.now()}
        )

    assert ScheduleRun.objects.count() == 1


def test_a_second_run_is_warm_started_from_the_first(tenant, admin_user, django_capture_on_commit_callbacks):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6"), (scene.mills, "15", "3")])
    for d in (2, 3):
        released_work_order(scene, item, due=_today() + dt.timedelta(days=d))
    _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    second = _run(admin_user, scene.plant, django_capture_on_commit_callbacks)

    assert second.status == ScheduleRun.Status.DONE, second.error
    assert second.stats["hinted"] >= 1


def test_material_reserved_for_the_order_is_not_a_shortage(tenant, admin_user, django_capture_on_commit_callbacks):
    wo = released_order(stock=10, quantity=5, due_in_days=10)  # needs 5 x 2 = 10, reserved at release
    calendar = wo.operations.first().work_center.calendar
    for day in range(7):
        ShiftPatternFactory(
            calendar=calendar, weekday=day, start_time=dt.time(6), end_time=dt.time(22), break_minutes=0
        )

    run = _run(admin_user, wo.plant, django_capture_on_commit_callbacks)

    assert run.status == ScheduleRun.Status.DONE, run.error
    assert not ScheduleConflict.objects.filter(run=run, kind="material").exists()
