"""A failed in-process inspection holds its work order until the NCR is dispositioned."""

from decimal import Decimal

import pytest

from shopfloor.core.errors import Conflict
from shopfloor.core.tests.factories import member
from shopfloor.production import services as production_services
from shopfloor.production.tests.factories import released_order
from shopfloor.quality.models import Inspection, InspectionPlan, Ncr
from shopfloor.quality.services import inspection as services
from shopfloor.quality.services import ncr as ncr_services
from shopfloor.workflows.models import TransitionRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector(org):
    """A QC inspector: quality rights only, no right to hold work orders by hand."""
    return member(org, ["*.view_*", "quality.*"], username="quinn")


def _failed_in_process(admin_user, inspector, capture):
    wo = released_order(quantity=4, operations=2)
    first, second = wo.operations.order_by("sequence")
    plan = services.create_plan(
        actor=admin_user,
        item=wo.item,
        context=InspectionPlan.Context.IN_PROCESS,
        data={"operation_sequence": first.sequence, "sample_size": 2},
    )
    services.add_characteristic(actor=admin_user, plan=plan, data={"name": "Visual", "kind": "attribute"})
    plan = services.release_plan(actor=admin_user, plan=plan)
    production_services.start_operation(actor=admin_user, operation=first)
    with capture(execute=True):
        production_services.complete_operation(actor=admin_user, operation=first, good_quantity=4)
    inspection = Inspection.objects.get(work_order=wo)
    ch = plan.characteristics.get()
    services.record_measurements(
        actor=inspector,
        inspection=inspection,
        entries=[
            {"characteristic": ch.pk, "sample": 1, "value": "pass"},
            {"characteristic": ch.pk, "sample": 2, "value": "fail"},
        ],
    )
    done = services.complete_inspection(actor=inspector, inspection=inspection)
    wo.refresh_from_db()
    return wo, second, done


def test_a_failed_in_process_inspection_holds_the_order_with_an_ncr_on_the_good_quantity(
    tenant, admin_user, inspector, django_capture_on_commit_callbacks
):
    wo, second, done = _failed_in_process(admin_user, inspector, django_capture_on_commit_callbacks)
    assert (done.status, done.nonconforming) == ("failed", 1)
    ncr = Ncr.objects.get(number=done.ncr_number)
    assert (ncr.source, ncr.quantity, ncr.work_order, ncr.operation.sequence) == ("inspection", Decimal(4), wo, 10)
    assert (ncr.work_order_held, ncr.work_order_held_from) == (True, "in_progress")
    assert wo.status == "on_hold"
    record = TransitionRecord.objects.get(object_type="production.workorder", object_id=str(wo.pk), to_state="on_hold")
    assert record.actor == inspector and ncr.number in record.comment
    with pytest.raises(Conflict):
        production_services.start_operation(actor=admin_user, operation=second)


def test_the_hold_shows_on_the_ncr_api_and_page(api, org, admin_user, inspector, django_capture_on_commit_callbacks):
    from django.test import Client

    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        wo, _, done = _failed_in_process(admin_user, inspector, django_capture_on_commit_callbacks)
    ncr = Ncr.objects.unscoped().get(number=done.ncr_number)
    body = api.get(f"/api/v1/quality/ncrs/{ncr.pk}/").json()
    assert (body["work_order_held"], body["work_order"], body["operation"]) == (True, wo.pk, ncr.operation_id)
    client = Client()
    client.force_login(admin_user)
    assert "Work order held until dispositioned" in client.get(f"/quality/ncrs/{ncr.pk}/").content.decode()


def test_the_order_resumes_when_the_ncr_is_fully_dispositioned(
    tenant, admin_user, inspector, django_capture_on_commit_callbacks
):
    wo, second, done = _failed_in_process(admin_user, inspector, django_capture_on_commit_callbacks)
    ncr = Ncr.objects.get(number=done.ncr_number)
    ncr_services.transition_ncr(actor=inspector, ncr=ncr, to_state="investigating")
    ncr_services.update_ncr(
        actor=inspector, ncr=ncr, data={"cause_category": "method", "why_1": "Burr left at deburring"}
    )
    ncr_services.transition_ncr(actor=inspector, ncr=ncr, to_state="disposition")
    rework = ncr_services.add_disposition(actor=admin_user, ncr=ncr, data={"kind": "rework", "quantity": "1"})
    assert rework.work_order.kind == "repair"
    wo.refresh_from_db()
    assert wo.status == "on_hold"  # 3 of 4 still undecided
    use = ncr_services.add_disposition(actor=inspector, ncr=ncr, data={"kind": "use_as_is", "quantity": "3"})
    wo.refresh_from_db()
    assert wo.status == "on_hold"  # the concession is not approved yet
    ncr_services.approve_concession(actor=admin_user, disposition=use)
    wo.refresh_from_db()
    ncr.refresh_from_db()
    assert (wo.status, ncr.work_order_held) == ("in_progress", False)
    production_services.start_operation(actor=admin_user, operation=second)


def test_a_cancelled_ncr_releases_the_hold(tenant, admin_user, inspector, django_capture_on_commit_callbacks):
    wo, _, done = _failed_in_process(admin_user, inspector, django_capture_on_commit_callbacks)
    ncr = Ncr.objects.get(number=done.ncr_number)
    ncr_services.transition_ncr(actor=admin_user, ncr=ncr, to_state="cancelled", comment="Gauge was wrong")
    wo.refresh_from_db()
    assert wo.status == "in_progress"
