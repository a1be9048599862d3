"""Routings: versions, one released routing per item, frozen once released, time estimates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.errors import Conflict
from shopfloor.resources import services
from shopfloor.resources.models import Operation, Routing
from shopfloor.resources.tests.factories import (
    MachineFactory,
    OperationFactory,
    RoutingFactory,
    WorkCenterFactory,
)
from shopfloor.workflows import services as workflow_services


@pytest.fixture
def routing(tenant):
    """Saw (15 min setup, 0.5 min/pc), turn (45 min, 6.25 min/pc), inspect (0, 1.2 min/pc)."""
    routing = RoutingFactory(operations=0)
    for sequence, setup, run in ((10, "15", "0.5"), (20, "45", "6.25"), (30, "0", "1.2")):
        OperationFactory(
            routing=routing, sequence=sequence, setup_time_minutes=Decimal(setup), run_time_per_unit_minutes=run
        )
    return routing


def test_estimate_adds_setup_once_and_run_time_per_unit(routing):
    estimate = services.estimate_time(routing, 40)
    assert [
        (line.sequence, line.setup_minutes, line.run_minutes, line.total_minutes) for line in estimate.operations
    ] == [
        (10, Decimal("15.0000"), Decimal("20.0000"), Decimal("35.0000")),
        (20, Decimal("45.0000"), Decimal("250.0000"), Decimal("295.0000")),
        (30, Decimal("0.0000"), Decimal("48.0000"), Decimal("48.0000")),
    ]
    assert estimate.setup_minutes == Decimal("60.0000")
    assert estimate.run_minutes == Decimal("318.0000")
    assert estimate.total_minutes == Decimal("378.0000")
    assert estimate.total_hours == Decimal("6.3000")
    assert estimate.operations[1].total_hours == Decimal("4.9167")


def test_estimate_refuses_a_quantity_that_is_not_positive(routing):
    for quantity in ("0", "-3", "many"):
        with pytest.raises(ValidationError):
            services.estimate_time(routing, quantity)


def test_estimate_over_the_api(api, routing):
    response = api.get(f"/api/v1/resources/routings/{routing.pk}/estimate/", {"quantity": "2.5"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_minutes"] == "79.8750"  # 60 setup + 2.5 × 7.95
    assert body["operations"][1]["run_minutes"] == "15.6250"
    assert api.get(f"/api/v1/resources/routings/{routing.pk}/estimate/").status_code == 400


def test_a_new_routing_takes_the_items_next_version(tenant, admin_user):
    item = ItemFactory()
    first = services.create_routing(actor=admin_user, data={"item": item})
    second = services.create_routing(actor=admin_user, data={"item": item})
    assert (first.version, second.version, first.status) == (1, 2, "draft")


def test_releasing_a_routing_makes_the_previous_released_one_obsolete(tenant, admin_user):
    item = ItemFactory()
    v1 = RoutingFactory(item=item, version=1)
    v2 = RoutingFactory(item=item, version=2)
    services.release_routing(actor=admin_user, routing=v1)
    services.release_routing(actor=admin_user, routing=v2)
    v1.refresh_from_db()
    assert (v1.status, v2.status) == ("obsolete", "released")
    assert list(Routing.objects.filter(item=item, status="released")) == [v2]


def test_the_database_holds_one_released_routing_per_item(tenant):
    item = ItemFactory()
    Routing.objects.filter(pk=RoutingFactory(item=item).pk).update(status="released")
    other = RoutingFactory(item=item)
    with pytest.raises(IntegrityError), transaction.atomic():
        Routing.objects.filter(pk=other.pk).update(status="released")


def test_a_bare_transition_to_released_is_refused_while_another_is_released(tenant, admin_user):
    item = ItemFactory()
    services.release_routing(actor=admin_user, routing=RoutingFactory(item=item))
    draft = RoutingFactory(item=item)
    with pytest.raises(Conflict, match="already has a released routing"):
        workflow_services.transition(draft, "released", admin_user)


def test_a_routing_without_operations_is_not_released(tenant, admin_user):
    routing = RoutingFactory(operations=0)
    with pytest.raises(ValidationError):
        services.release_routing(actor=admin_user, routing=routing)
    routing.refresh_from_db()
    assert routing.status == "draft"


def test_a_released_routing_is_immutable_over_the_api(api, tenant, admin_user, routing):
    services.release_routing(actor=admin_user, routing=routing)
    operation = routing.operations.first()
    base = "/api/v1/resources"
    attempts = [
        api.patch(f"{base}/routings/{routing.pk}/", {"description": "changed"}, format="json"),
        api.delete(f"{base}/routings/{routing.pk}/"),
        api.patch(f"{base}/operations/{operation.pk}/", {"setup_time_minutes": "1.0000"}, format="json"),
        api.delete(f"{base}/operations/{operation.pk}/"),
        api.post(
            f"{base}/operations/",
            {"routing": routing.pk, "sequence": 99, "description": "Deburr", "work_center": operation.work_center_id},
            format="json",
        ),
        api.post(f"{base}/routings/{routing.pk}/release/", {}, format="json"),
    ]
    assert [r.status_code for r in attempts] == [409] * len(attempts), [r.content[:120] for r in attempts]
    operation.refresh_from_db()
    assert operation.setup_time_minutes == Decimal("15.0000")
    assert routing.operations.count() == 3


def test_copy_gives_a_new_draft_with_the_same_operations(api, tenant, admin_user, routing):
    machine = MachineFactory(work_center=routing.operations.get(sequence=20).work_center)
    routing.operations.get(sequence=20).eligible_machines.add(machine)
    services.release_routing(actor=admin_user, routing=routing)
    response = api.post(f"/api/v1/resources/routings/{routing.pk}/copy/", {}, format="json")
    assert response.status_code == 201, response.content
    copy = Routing.objects.get(pk=response.json()["id"])
    assert (copy.status, copy.version, copy.item_id) == ("draft", routing.version + 1, routing.item_id)
    assert list(copy.operations.values_list("sequence", "run_time_per_unit_minutes")) == list(
        routing.operations.values_list("sequence", "run_time_per_unit_minutes")
    )
    assert list(copy.operations.get(sequence=20).eligible_machines.all()) == [machine]


def test_an_eligible_machine_of_another_work_center_is_refused(api, tenant, routing):
    lathes, mills = WorkCenterFactory(), WorkCenterFactory()
    mill = MachineFactory(work_center=mills, code="MILL-1")
    body = {
        "routing": routing.pk,
        "sequence": 40,
        "description": "Turn thread",
        "work_center": lathes.pk,
        "eligible_machines": [mill.pk],
    }
    response = api.post("/api/v1/resources/operations/", body, format="json")
    assert response.status_code == 400
    assert "MILL-1" in str(response.json()["errors"]["eligible_machines"])
    assert not Operation.objects.filter(sequence=40).exists()
    # Moving an operation to another work center while keeping its machines is refused too.
    operation = OperationFactory(routing=routing, sequence=50, work_center=mills)
    operation.eligible_machines.add(mill)
    response = api.patch(f"/api/v1/resources/operations/{operation.pk}/", {"work_center": lathes.pk}, format="json")
    assert response.status_code == 400
    operation.refresh_from_db()
    assert operation.work_center_id == mills.pk


def test_a_work_center_of_another_organization_is_refused(api, routing, other_org):
    with tenancy.use(other_org):
        foreign = WorkCenterFactory()
    body = {"routing": routing.pk, "sequence": 40, "description": "Grind", "work_center": foreign.pk}
    response = api.post("/api/v1/resources/operations/", body, format="json")
    assert response.status_code == 400
    assert "work_center" in response.json()["errors"]
    assert api.get(f"/api/v1/resources/work-centers/{foreign.pk}/").status_code == 404


def test_a_routing_of_another_organization_cannot_be_released(api, other_org):
    with tenancy.use(other_org):
        foreign = RoutingFactory()
    assert api.post(f"/api/v1/resources/routings/{foreign.pk}/release/", {}, format="json").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "draft"


def test_releasing_needs_the_release_permission(api_for, org, tenant):
    from shopfloor.core.tests.factories import member

    routing = RoutingFactory()
    engineer = member(org, ["*.view_*", "resources.change_routing"], username="erin")
    response = api_for(engineer).post(f"/api/v1/resources/routings/{routing.pk}/release/", {}, format="json")
    assert response.status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_releases_for_one_item_at_once_leave_exactly_one_released():
    from shopfloor.core.tests.factories import OrganizationFactory, member
    from shopfloor.core.tests.support import run_in_threads

    org = OrganizationFactory(slug="race-routing")
    alice = member(org, ["*"], username="alice")
    with tenancy.use(org, alice):
        item = ItemFactory()
        services.release_routing(actor=alice, routing=RoutingFactory(item=item, version=1))
        drafts = [RoutingFactory(item=item, version=2), RoutingFactory(item=item, version=3)]

    def release(i: int) -> str:
        with tenancy.use(org, alice):
            return services.release_routing(actor=alice, routing=Routing.objects.get(pk=drafts[i].pk)).status

    assert run_in_threads(2, release) == ["released", "released"]
    with tenancy.use(org):
        statuses = sorted(Routing.objects.filter(item=item).values_list("status", flat=True))
    assert statuses == ["obsolete", "obsolete", "released"]
