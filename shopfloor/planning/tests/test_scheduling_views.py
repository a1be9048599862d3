"""Schedule page and machine downtime on the machine page: render, write through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shopfloor.planning.models import OperationPin, ScheduleRun
from shopfloor.planning.tests.factories import ScheduleConflictFactory, ScheduledOperationFactory, ScheduleRunFactory
from shopfloor.resources.models import MachineDowntime
from shopfloor.resources.tests.factories import MachineDowntimeFactory, MachineFactory

from .schedule_scene import plant_scene, released_work_order, routed_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_schedule_page_draws_the_gantt_per_machine_and_per_order(tenant, admin):
    row = ScheduledOperationFactory()
    late = ScheduledOperationFactory(
        run=row.run, machine=row.machine, start=row.end, end=row.end + dt.timedelta(hours=1)
    )
    ScheduleConflictFactory(run=row.run, planned_order=late.planned_order)
    url = reverse("planning:schedule") + f"?plant={row.run.plant_id}"

    per_machine = admin.get(url).content.decode()
    per_order = admin.get(url + "&view=order").content.decode()

    assert per_machine.count('class="gantt-bar') == 2
    assert per_machine.count('class="gantt-bar late"') == 1
    assert f'data-row="{row.machine.code}"' in per_machine
    assert f'data-row="Planned {row.planned_order.item.number}"' in per_order
    assert "Ends 2.0 h late" in per_machine


def test_the_status_panel_polls_while_a_run_is_active_and_refreshes_when_it_ends(tenant, admin):
    run = ScheduleRunFactory(status=ScheduleRun.Status.RUNNING, progress=40, message="Optimising 12 operations")
    url = reverse("planning:schedule-status", args=[run.pk])

    running = admin.get(url)
    ScheduleRun.objects.filter(pk=run.pk).update(status=ScheduleRun.Status.DONE, progress=100)
    ended = admin.get(url + "?was=active")

    assert (
        'hx-trigger="every 1s"' in running.content.decode() and "Optimising 12 operations" in running.content.decode()
    )
    assert "hx-trigger" not in ended.content.decode() and ended["HX-Refresh"] == "true"


def test_reschedule_from_the_page_runs_and_shows_the_new_schedule(tenant, admin, django_capture_on_commit_callbacks):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    released_work_order(scene, item, due=timezone.localdate() + dt.timedelta(days=3))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse("planning:schedule-run"), {"plant": scene.plant.pk, "time_limit": 5, "include_planned_orders": "on"}
        )

    assert response.status_code == 302
    run = ScheduleRun.objects.get()
    assert run.status == "done" and run.trigger == "manual", run.error
    page = admin.get(response["Location"]).content.decode()
    assert page.count('class="gantt-bar') == 1


def test_pin_and_unpin_from_the_page(tenant, admin):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    wo = released_work_order(scene, item, due=timezone.localdate() + dt.timedelta(days=3))
    op = wo.operations.get()

    admin.post(
        reverse("planning:schedule-pin"),
        {"plant": scene.plant.pk, "operation": op.pk, "machine": scene.lathe_1.pk, "start": "2026-06-02T08:00"},
    )
    pin = OperationPin.objects.get(operation=op)
    admin.post(reverse("planning:schedule-unpin", args=[pin.pk]))

    assert pin.machine_id == scene.lathe_1.pk
    assert not OperationPin.objects.exists()


def test_the_machine_page_lists_records_and_ends_downtime(tenant, admin):
    machine = MachineFactory()
    open_one = MachineDowntimeFactory(machine=machine)
    url = reverse("resources:machine-detail", args=[machine.pk])

    page = admin.get(url).content.decode()
    admin.post(
        reverse("resources:downtime-add", args=[machine.pk]),
        {"kind": "maintenance", "starts_at": "2026-07-01T06:00", "ends_at": "2026-07-01T10:00", "reason": "Oil"},
    )
    admin.post(reverse("resources:downtime-end", args=[open_one.pk]))
    refused = admin.post(
        reverse("resources:downtime-add", args=[machine.pk]),
        {"kind": "maintenance", "starts_at": "2026-07-01T06:00", "ends_at": "2026-07-01T05:00"},
    )

    assert "Spindle bearing" in page and "further notice" in page
    assert MachineDowntime.objects.filter(machine=machine, reason="Oil").exists()
    open_one.refresh_from_db()
    assert open_one.ends_at is not None
    assert refused.status_code == 400
