"""Resources web pages: every page renders, the editors write through the services, others' rows are 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core import tenancy
from shopfloor.core.tests.factories import member
from shopfloor.resources import services
from shopfloor.resources.models import CalendarException, Machine, Operation, Routing, ShiftPattern, WorkCenter
from shopfloor.resources.tests.factories import (
    CalendarExceptionFactory,
    CapabilityFactory,
    MachineFactory,
    OperationFactory,
    RoutingFactory,
    ShiftPatternFactory,
    WorkCenterFactory,
    WorkingCalendarFactory,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(admin_user) -> Client:
    return client_for(admin_user)


@pytest.fixture
def shop(org, admin_user):
    """A calendar with a Monday day shift, a lathe cell of 2 with one machine, a routing of two operations."""
    with tenancy.use(org, admin_user):
        calendar = WorkingCalendarFactory(name="Two shifts", timezone="Europe/Oslo")
        ShiftPatternFactory(calendar=calendar, weekday=0, start_time=dt.time(6), end_time=dt.time(14), break_minutes=30)
        CalendarExceptionFactory(calendar=calendar, date=dt.date(2026, 5, 17), kind="holiday")
        center = WorkCenterFactory(code="LATHE", calendar=calendar, capacity=2)
        machine = MachineFactory(work_center=center, code="MZ-1")
        capability = CapabilityFactory()
        routing = RoutingFactory(operations=0)
        op = OperationFactory(routing=routing, sequence=10, work_center=center, description="Turn OD")
        OperationFactory(routing=routing, sequence=20, work_center=center, description="Thread")
    return {
        "calendar": calendar,
        "center": center,
        "machine": machine,
        "capability": capability,
        "routing": routing,
        "operation": op,
    }


def test_every_resources_page_renders(admin, shop):
    s = shop
    pages = [
        ("resources:workcenter-list", []),
        ("resources:workcenter-create", []),
        ("resources:workcenter-detail", [s["center"].pk]),
        ("resources:workcenter-edit", [s["center"].pk]),
        ("resources:machine-list", []),
        ("resources:machine-create", []),
        ("resources:machine-detail", [s["machine"].pk]),
        ("resources:machine-edit", [s["machine"].pk]),
        ("resources:capability-list", []),
        ("resources:capability-create", []),
        ("resources:capability-edit", [s["capability"].pk]),
        ("resources:calendar-list", []),
        ("resources:calendar-create", []),
        ("resources:calendar-detail", [s["calendar"].pk]),
        ("resources:calendar-edit", [s["calendar"].pk]),
        ("resources:routing-list", []),
        ("resources:routing-create", []),
        ("resources:routing-detail", [s["routing"].pk]),
        ("resources:routing-edit", [s["routing"].pk]),
        ("resources:operation-edit", [s["operation"].pk]),
    ]
    for name, args in pages:
        response = admin.get(reverse(name, args=args))
        assert response.status_code == 200, (name, response.status_code)
    for name, obj in (("workcenter", "center"), ("machine", "machine"), ("routing", "routing")):
        assert admin.get(reverse(f"resources:{name}-detail", args=[s[obj].pk]) + "?tab=history").status_code == 200


def test_navigation_lists_the_resources_pages(admin):
    body = admin.get(reverse("web:dashboard")).content.decode()
    for name in ("workcenter-list", "machine-list", "calendar-list", "routing-list"):
        assert reverse(f"resources:{name}") in body


def test_work_center_page_shows_hours_times_capacity(admin, shop):
    url = reverse("resources:workcenter-detail", args=[shop["center"].pk])
    response = admin.get(url, {"date_from": "2026-05-11", "date_to": "2026-05-17"})
    assert response.status_code == 200
    hours = response.context["hours"]
    assert hours[dt.date(2026, 5, 11)] == Decimal("15.00")  # 7.5 h × 2 in parallel
    assert hours[dt.date(2026, 5, 12)] == Decimal("0.00")
    assert b"<svg" in response.content
    assert len(admin.get(url).context["hours"]) == 14


def test_a_backwards_hours_range_is_a_form_error_not_a_crash(admin, shop):
    url = reverse("resources:calendar-detail", args=[shop["calendar"].pk])
    response = admin.get(url, {"date_from": "2026-05-17", "date_to": "2026-05-11"})
    assert response.status_code == 200
    assert "end date is before" in response.content.decode()


def test_shift_editor_adds_a_night_shift_and_refuses_a_duplicate(admin, shop, org):
    calendar = shop["calendar"]
    url = reverse("resources:shift-add", args=[calendar.pk])
    body = {"weekday": 1, "name": "Night", "start_time": "22:00", "end_time": "06:00", "break_minutes": 30}
    response = admin.post(url, body)
    assert response.status_code == 302
    with tenancy.use(org):
        assert ShiftPattern.objects.filter(calendar=calendar, weekday=1, name="Night").exists()
    page = admin.get(reverse("resources:calendar-detail", args=[calendar.pk])).content.decode()
    assert "22:00–06:00 (+1)" in page
    response = admin.post(url, body)
    assert response.status_code == 400
    with tenancy.use(org):
        assert ShiftPattern.objects.filter(calendar=calendar, weekday=1).count() == 1


def test_exception_editor_needs_times_for_an_extra_shift(admin, shop, org):
    url = reverse("resources:exception-add", args=[shop["calendar"].pk])
    response = admin.post(url, {"date": "2026-05-16", "kind": "extra_shift", "break_minutes": 0})
    assert response.status_code == 400
    assert "needs a start and an end time" in response.content.decode()
    response = admin.post(
        url,
        {"date": "2026-05-16", "kind": "extra_shift", "start_time": "08:00", "end_time": "12:00", "break_minutes": 0},
    )
    assert response.status_code == 302
    with tenancy.use(org):
        assert CalendarException.objects.filter(date=dt.date(2026, 5, 16), kind="extra_shift").exists()


def test_work_center_and_machine_forms_create_through_services(admin, shop, org):
    plant = shop["center"].plant
    response = admin.post(
        reverse("resources:workcenter-create"),
        {
            "plant": plant.pk,
            "code": "MILL",
            "name": "Mills",
            "kind": "machining",
            "cost_rate_per_hour": "140",
            "capacity": 3,
            "calendar": shop["calendar"].pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]
    with tenancy.use(org):
        mill = WorkCenter.objects.get(code="MILL")
    response = admin.post(reverse("resources:machine-create"), {"work_center": mill.pk, "code": "DMG-1", "name": "DMG"})
    assert response.status_code == 302
    with tenancy.use(org):
        machine = Machine.objects.get(code="DMG-1")
    assert (machine.plant_id, machine.status) == (plant.pk, "available")


def test_machine_page_offers_the_status_workflow(admin, shop):
    page = admin.get(reverse("resources:machine-detail", args=[shop["machine"].pk])).content.decode()
    assert "Report down" in page and "Start maintenance" in page


def test_operation_editor_refuses_a_machine_of_another_work_center(admin, shop, org):
    with tenancy.use(org):
        other = WorkCenterFactory(code="MILLS")
    url = reverse("resources:operation-add", args=[shop["routing"].pk])
    body = {
        "sequence": 30,
        "description": "Mill flats",
        "work_center": other.pk,
        "eligible_machines": [shop["machine"].pk],
        "setup_time_minutes": "20",
        "run_time_per_unit_minutes": "3",
    }
    response = admin.post(url, body)
    assert response.status_code == 400
    assert "Not machines of work center MILLS: MZ-1" in response.content.decode()
    body["eligible_machines"] = []
    assert admin.post(url, body).status_code == 302
    with tenancy.use(org):
        assert Operation.objects.filter(routing=shop["routing"], sequence=30).exists()


def test_release_copy_and_estimate_from_the_routing_page(admin, shop, org):
    routing = shop["routing"]
    detail = reverse("resources:routing-detail", args=[routing.pk])
    response = admin.get(detail, {"quantity": "10"})
    estimate = response.context["estimate"]
    assert estimate.total_minutes == Decimal("150.0000")  # 2 × (30 setup + 10 × 4.5)
    htmx = admin.get(detail, {"quantity": "10"}, HTTP_HX_REQUEST="true")
    assert htmx.templates[0].name == "resources/_estimate.html"
    assert admin.post(reverse("resources:routing-release", args=[routing.pk])).status_code == 302
    routing.refresh_from_db()
    assert routing.status == "released"
    page = admin.get(detail).content.decode()
    assert "Add operation" not in page and "cannot be changed" in page
    response = admin.post(reverse("resources:routing-copy", args=[routing.pk]))
    with tenancy.use(org):
        copy = Routing.objects.exclude(pk=routing.pk).get(item=routing.item)
        assert copy.operations.count() == 2
    assert response["Location"] == reverse("resources:routing-detail", args=[copy.pk])


def test_a_released_routing_is_not_edited_through_the_web(admin, admin_user, shop, org):
    with tenancy.use(org, admin_user):
        services.release_routing(actor=admin_user, routing=shop["routing"])
    response = admin.post(
        reverse("resources:operation-edit", args=[shop["operation"].pk]),
        {
            "sequence": 10,
            "description": "Changed",
            "work_center": shop["center"].pk,
            "setup_time_minutes": "1",
            "run_time_per_unit_minutes": "1",
        },
    )
    assert response.status_code == 200
    assert "cannot be changed" in response.content.decode()
    shop["operation"].refresh_from_db()
    assert shop["operation"].description == "Turn OD"


def test_item_page_shows_the_released_routing_panel(admin, admin_user, shop, org):
    routing = shop["routing"]
    with tenancy.use(org, admin_user):
        services.release_routing(actor=admin_user, routing=routing)
    response = admin.get(reverse("catalog:item-panel", args=[routing.item_id, "routings"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"v{routing.version}" in body and "Turn OD" in body and "Thread" in body
    assert "routings" in admin.get(reverse("catalog:item-detail", args=[routing.item_id])).content.decode()


def test_another_organizations_resources_are_404(admin, other_org):
    with tenancy.use(other_org):
        center = WorkCenterFactory()
        machine = MachineFactory()
        routing = RoutingFactory()
        calendar = WorkingCalendarFactory()
    for name, pk in (
        ("resources:workcenter-detail", center.pk),
        ("resources:machine-detail", machine.pk),
        ("resources:routing-detail", routing.pk),
        ("resources:calendar-detail", calendar.pk),
        ("resources:routing-edit", routing.pk),
    ):
        assert admin.get(reverse(name, args=[pk])).status_code == 404, name
    assert admin.post(reverse("resources:routing-release", args=[routing.pk])).status_code == 404
    routing.refresh_from_db()
    assert routing.status == "draft"


def test_a_viewer_reads_but_cannot_edit(org, shop):
    viewer = client_for(member(org, ["*.view_*"], username="val"))
    assert viewer.get(reverse("resources:routing-detail", args=[shop["routing"].pk])).status_code == 200
    assert viewer.get(reverse("resources:workcenter-create")).status_code == 403
    response = viewer.post(
        reverse("resources:shift-add", args=[shop["calendar"].pk]),
        {"weekday": 2, "start_time": "06:00", "end_time": "14:00", "break_minutes": 0},
    )
    assert response.status_code == 403
    with tenancy.use(org):
        assert not ShiftPattern.objects.filter(weekday=2).exists()


def test_routing_page_shows_the_drawings_linked_to_each_operation(admin, shop, org, settings, tmp_path):
    from shopfloor.catalog.tests.factories import DocumentFactory, DocumentLinkFactory, DocumentRevisionFactory

    settings.MEDIA_ROOT = str(tmp_path)
    with tenancy.use(org):
        drawing = DocumentFactory(title="Bit body")
        DocumentRevisionFactory(document=drawing, revision="B", status="released")
        DocumentLinkFactory(document=drawing, object_type="resources.operation", object_id=shop["operation"].pk)
        sketch = DocumentFactory(title="Thread gauge")
        DocumentLinkFactory(document=sketch, object_type="resources.operation", object_id=shop["operation"].pk)
    page = admin.get(reverse("resources:routing-detail", args=[shop["routing"].pk])).content.decode()
    assert f"{drawing.number} Bit body" in page and "rev B" in page
    assert f"{sketch.number} Thread gauge" in page and "no released revision" in page
