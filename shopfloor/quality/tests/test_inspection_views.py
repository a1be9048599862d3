"""Inspection pages: plans with characteristics and the sampling preview, the queue, reading entry."""

from __future__ import annotations

import pytest
from django.test import Client

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.quality.models import Inspection, InspectionPlan, Measurement
from shopfloor.quality.services import inspection as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def _plan(admin_user, **data):
    plan = services.create_plan(actor=admin_user, item=ItemFactory(), context="receiving", data=data)
    services.add_characteristic(
        actor=admin_user,
        plan=plan,
        data={"name": "Bore", "lsl": "9.95", "usl": "10.05", "gauge_min": "0", "gauge_max": "25"},
    )
    return plan


def test_pages_render(web, org, admin_user):
    with tenancy.use(org, admin_user):
        plan = _plan(admin_user, sampling="iso2859", aql="1.0")
        plan = services.release_plan(actor=admin_user, plan=plan)
        inspection = services.create_inspection(actor=admin_user, plan=plan, plant=PlantFactory(), quantity=3)
    for url in [
        "/quality/plans/",
        "/quality/plans/new/",
        f"/quality/plans/{plan.pk}/",
        f"/quality/plans/{plan.pk}/?tab=history",
        "/quality/inspections/",
        "/quality/inspections/?status=open",
        f"/quality/inspections/{inspection.pk}/",
    ]:
        assert web.get(url).status_code == 200, url
    preview = web.get(f"/quality/plans/{plan.pk}/", {"quantity": "1000"}).content.decode()
    assert "Sample <strong>80</strong>, accept <strong>2</strong>, reject <strong>3</strong>" in preview
    page = web.get("/").content.decode()
    assert "/quality/inspections/" in page and "/quality/plans/" in page


def test_draft_a_plan_add_a_characteristic_and_release_it(web, org, admin_user):
    with tenancy.use(org, admin_user):
        item = ItemFactory()
    response = web.post(
        "/quality/plans/new/",
        {
            "item": item.pk,
            "context": "final",
            "sampling": "fixed",
            "sample_size": "2",
            "accept_number": "0",
            "inspection_level": "II",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = InspectionPlan.objects.unscoped().get(item=item)
    added = web.post(
        f"/quality/plans/{plan.pk}/characteristics/",
        {"position": "10", "name": "Visual", "kind": "attribute", "max_defects": "0"},
    )
    assert added.status_code == 302
    web.post(f"/quality/plans/{plan.pk}/release/")
    plan.refresh_from_db()
    assert plan.status == "released"


def test_reading_entry_refuses_an_impossible_reading_then_fails_the_inspection(web, org, admin_user):
    with tenancy.use(org, admin_user):
        plan = services.release_plan(actor=admin_user, plan=_plan(admin_user, sample_size=2))
        inspection = services.create_inspection(actor=admin_user, plan=plan, plant=PlantFactory(), quantity=5)
        ch = plan.characteristics.get()
    url = f"/quality/inspections/{inspection.pk}/"
    page = web.get(url).content.decode()
    assert f'name="m-{ch.pk}-1"' in page and f'name="m-{ch.pk}-2"' in page
    refused = web.post(url + "measurements/", {f"m-{ch.pk}-1": "10", f"m-{ch.pk}-2": "99"}, follow=True)
    assert "above what the gauge can read" in refused.content.decode()
    assert Measurement.objects.unscoped().count() == 0
    web.post(url + "measurements/", {f"m-{ch.pk}-1": "10", f"m-{ch.pk}-2": "10.3"})
    done = web.post(url + "complete/", follow=True)
    assert "failed" in done.content.decode()
    assert Inspection.objects.unscoped().get(pk=inspection.pk).status == "failed"
