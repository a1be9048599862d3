"""Scheduling API beyond CRUD: 202 on asking for a run, 400 on bad input, 404 across tenants,
operations and conflicts of a run, pins; and the machine downtime resource."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.planning.models import OperationPin, ScheduleRun
from shopfloor.planning.tests.factories import ScheduleConflictFactory, ScheduledOperationFactory, ScheduleRunFactory
from shopfloor.resources.models import MachineDowntime
from shopfloor.resources.tests.factories import MachineFactory

from .schedule_scene import plant_scene, released_work_order, routed_item

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/planning/schedule-runs/"


def test_asking_for_a_run_answers_202_with_the_run(tenant, api, django_capture_on_commit_callbacks):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    released_work_order(scene, item, due=timezone.localdate() + dt.timedelta(days=3))

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(RUNS, {"plant": scene.plant.pk, "time_limit_seconds": 5}, format="json")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["plant"] == scene.plant.pk and body["trigger"] == "api" and body["status"] == "queued"
    run = ScheduleRun.objects.get(pk=body["id"])
    assert run.status == "done", run.error
    operations = api.get(f"{RUNS}{run.pk}/operations/").json()
    assert len(operations["results"]) == 1
    assert operations["results"][0]["machine"] in (scene.lathe_1.pk, scene.lathe_2.pk)
    assert api.get(f"{RUNS}{run.pk}/").json()["status"] == "done"


def test_a_bad_time_limit_or_plant_is_a_400_naming_the_field(tenant, api):
    plant = PlantFactory()

    too_long = api.post(RUNS, {"plant": plant.pk, "time_limit_seconds": 0}, format="json")
    no_plant = api.post(RUNS, {"plant": 999999}, format="json")

    assert too_long.status_code == 400 and "time_limit_seconds" in too_long.json()["errors"]
    assert no_plant.status_code == 400 and "plant" in no_plant.json()["errors"]
    assert not ScheduleRun.objects.exists()


def test_another_organizations_run_is_a_404(tenant, api, other_org):
    with tenancy.use(other_org):
        foreign = ScheduleRunFactory()

    assert api.get(f"{RUNS}{foreign.pk}/").status_code == 404
    assert api.get(f"{RUNS}{foreign.pk}/operations/").status_code == 404
    assert api.get(f"{RUNS}{foreign.pk}/conflicts/").status_code == 404


def test_the_conflicts_of_a_run_are_listed_latest_first(tenant, api):
    conflict = ScheduleConflictFactory()
    ScheduledOperationFactory(run=conflict.run)

    body = api.get(f"{RUNS}{conflict.run_id}/conflicts/").json()

    assert [c["message"] for c in body["results"]] == [conflict.message]
    assert body["results"][0]["kind"] == "capacity" and body["results"][0]["tardiness_minutes"] == 120


def test_a_viewer_cannot_ask_for_a_run(tenant, api_for, viewer_user):
    plant = PlantFactory()

    response = api_for(viewer_user).post(RUNS, {"plant": plant.pk}, format="json")

    assert response.status_code == 403


def test_pinning_on_a_machine_the_operation_cannot_use_is_a_400(tenant, api):
    scene = plant_scene()
    item = routed_item(scene, [(scene.lathes, "30", "6")])
    wo = released_work_order(scene, item, due=timezone.localdate() + dt.timedelta(days=3))
    op = wo.operations.get()

    wrong = api.post(
        "/api/v1/planning/operation-pins/",
        {"operation": op.pk, "machine": scene.mill_1.pk, "start": "2026-06-01T08:00:00Z"},
        format="json",
    )
    right = api.post(
        "/api/v1/planning/operation-pins/",
        {"operation": op.pk, "machine": scene.lathe_2.pk, "start": "2026-06-01T08:00:00Z"},
        format="json",
    )

    assert wrong.status_code == 400 and "machine" in wrong.json()["errors"]
    assert right.status_code == 201
    assert OperationPin.objects.get(operation=op).machine_id == scene.lathe_2.pk


def test_a_downtime_is_recorded_and_ended_over_the_api(tenant, api):
    machine = MachineFactory()

    created = api.post(
        "/api/v1/resources/machine-downtimes/",
        {"machine": machine.pk, "kind": "breakdown", "starts_at": "2026-06-01T06:00:00Z", "reason": "Spindle"},
        format="json",
    )
    ended = api.post(
        f"/api/v1/resources/machine-downtimes/{created.json()['id']}/end/",
        {"ends_at": "2026-06-01T09:30:00Z"},
        format="json",
    )
    again = api.post(f"/api/v1/resources/machine-downtimes/{created.json()['id']}/end/", {}, format="json")

    assert created.status_code == 201 and created.json()["plant"] == machine.plant_id
    assert ended.status_code == 200 and ended.json()["ends_at"] == "2026-06-01T09:30:00Z"
    assert again.status_code == 409
    assert MachineDowntime.objects.get().ends_at == dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)


def test_a_downtime_ending_before_it_starts_is_a_400(tenant, api):
    machine = MachineFactory()

    response = api.post(
        "/api/v1/resources/machine-downtimes/",
        {"machine": machine.pk, "starts_at": "2026-06-01T06:00:00Z", "ends_at": "2026-06-01T05:00:00Z"},
        format="json",
    )

    assert response.status_code == 400 and "ends_at" in response.json()["errors"]
