"""Production pages: the same services behind buttons and forms; refusals come back as messages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.inventory.models import Lot
from shopfloor.production.models import MaterialIssue, WorkOrder
from shopfloor.production.tests.factories import WorkOrderFactory, released_order, run_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_tenant(tenant):
    """The test body reads rows of `org` (the requests set their own tenancy)."""
    yield


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def order(org, admin_user):
    with tenancy.use(org, admin_user):
        return released_order(quantity=10, stock=50)


def test_list_shows_progress_and_late_flag(web, org, admin_user):
    with tenancy.use(org, admin_user):
        late = WorkOrderFactory(due_date=timezone.localdate() - timedelta(days=2))
        WorkOrderFactory()
    page = web.get("/production/work-orders/")
    assert page.status_code == 200
    html = page.content.decode()
    assert late.number in html
    assert html.count("data-late") == 1
    assert web.get("/production/work-orders/", {"late": "true"}).content.decode().count("<progress") == 1


def test_create_form_makes_a_draft_and_shows_field_errors(web, org, admin_user):
    with tenancy.use(org, admin_user):
        item, plant = ItemFactory(), PlantFactory()
    bad = web.post(
        "/production/work-orders/new/",
        {"item": item.pk, "plant": plant.pk, "quantity": "0", "due_date": "2030-01-01", "kind": "production"},
    )
    assert bad.status_code == 200
    assert "Give a quantity above zero" in bad.content.decode()
    good = web.post(
        "/production/work-orders/new/",
        {"item": item.pk, "plant": plant.pk, "quantity": "5", "due_date": "2030-01-01", "kind": "production"},
    )
    assert good.status_code == 302
    wo = WorkOrder.objects.unscoped().get(item=item)
    assert good["Location"] == f"/production/work-orders/{wo.pk}/"


def test_detail_page_shows_job_cards_material_and_history(web, order):
    page = web.get(f"/production/work-orders/{order.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-operation="10"' in html and 'data-operation="20"' in html
    assert f"lot <strong>C-{order.materials.get().component.number}</strong>" in html
    history = web.get(f"/production/work-orders/{order.pk}/?tab=history").content.decode()
    assert "BOM and routing copied at release" in history


def test_buttons_run_the_order_to_output(web, order):
    line = order.materials.get()
    lot = Lot.objects.unscoped().get(item=line.component)
    issued = web.post(
        f"/production/materials/{line.pk}/issue/",
        {"quantity": "20", "location": order.issue_location_id, "lot": lot.number},
        follow=True,
    )
    assert "Issued 20" in issued.content.decode()
    for op in order.operations.order_by("sequence"):
        web.post(f"/production/operations/{op.pk}/start/", {"machine": op.eligible_machines.first().pk})
        done = web.post(f"/production/operations/{op.pk}/complete/", {"good_quantity": "10"}, follow=True)
        assert f"Operation {op.sequence} completed" in done.content.decode()
    received = web.post(f"/production/work-orders/{order.pk}/output/", {"quantity": "10"}, follow=True)
    html = received.content.decode()
    assert f"L-{order.number.replace('-', '')}-01" in html
    order.refresh_from_db()
    assert order.received_quantity == Decimal(10)


def test_refused_button_shows_the_reason_and_writes_nothing(web, order):
    line = order.materials.get()
    page = web.post(
        f"/production/materials/{line.pk}/issue/",
        {"quantity": "500", "location": order.issue_location_id, "lot": f"C-{line.component.number}"},
        follow=True,
    )
    assert "available at" in page.content.decode()
    assert not MaterialIssue.objects.unscoped().exists()


def test_genealogy_trace_page(web, org, admin_user):
    from shopfloor.production import services

    with tenancy.use(org, admin_user):
        wo = run_order(released_order(quantity=4))
        (output,) = services.receive_output(actor=admin_user, work_order=wo, quantity=4)
    page = web.get("/production/genealogy/", {"lot": output.lot.number})
    assert page.status_code == 200
    assert f"C-{wo.materials.get().component.number}" in page.content.decode()
    missing = web.get("/production/genealogy/", {"lot": "NOPE"})
    assert "No lot" in missing.content.decode()


def test_another_organizations_order_is_404(web, other_org):
    with tenancy.use(other_org):
        foreign = WorkOrderFactory(organization=other_org)
    assert web.get(f"/production/work-orders/{foreign.pk}/").status_code == 404
