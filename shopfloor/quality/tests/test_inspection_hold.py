"""A failed in-process inspection holds its work order until the NCR is dispositioned."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shopfloor.core.errors import Conflict
from shopfloor.core.tests.factories import member
from shopfloor.inventory.models import StockMove
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


def _failed_in_process(admin_user, inspector, capture, second_done=None):
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
    if second_done is not None:  # the next operation ran before the inspection was recorded
        production_services.start_operation(actor=admin_user, operation=second)
        production_services.complete_operation(actor=admin_user, operation=second, good_quantity=second_done)
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


def _to_disposition(inspector, ncr):
    ncr_services.transition_ncr(actor=inspector, ncr=ncr, to_state="investigating")
    ncr_services.update_ncr(
        actor=inspector, ncr=ncr, data={"cause_category": "method", "why_1": "Burr left at deburring"}
    )
    ncr_services.transition_ncr(actor=inspector, ncr=ncr, to_state="disposition")


def test_scrapping_in_process_material_books_it_as_the_operations_scrap(
    tenant, admin_user, inspector, django_capture_on_commit_callbacks
):
    """Issue 6 point 4: scrap on an NCR without a stock location (work in progress) comes off the
    operation's good quantity; the next operation can then complete only what is left."""
    wo, second, done = _failed_in_process(admin_user, inspector, django_capture_on_commit_callbacks)
    ncr = Ncr.objects.get(number=done.ncr_number)
    first = ncr.operation
    assert ncr.location is None
    _to_disposition(inspector, ncr)
    moves = StockMove.objects.count()
    with pytest.raises(PermissionDenied):  # booking scrap on a job card is a production right
        ncr_services.add_disposition(actor=inspector, ncr=ncr, data={"kind": "scrap", "quantity": "1"})
    assert ncr.dispositions.count() == 0
    scrap = ncr_services.add_disposition(
        actor=admin_user, ncr=ncr, data={"kind": "scrap", "quantity": "1", "scrap_reason": "dimensions"}
    )
    first.refresh_from_db()
    assert (first.good_quantity, first.scrap_quantity, first.scrap_reason) == (Decimal(3), Decimal(1), "dimensions")
    assert (scrap.kind, scrap.quantity, scrap.stock_move) == ("scrap", Decimal(1), None)
    assert StockMove.objects.count() == moves  # work in progress: no stock moved
    assert ncr_services.disposed_quantity(ncr) == Decimal(1)
    assert production_services.received_quantity(second) == Decimal(3)
    wo.refresh_from_db()
    assert wo.status == "on_hold"  # 3 of 4 still undecided
    use = ncr_services.add_disposition(actor=inspector, ncr=ncr, data={"kind": "use_as_is", "quantity": "3"})
    ncr_services.approve_concession(actor=admin_user, disposition=use)
    wo.refresh_from_db()
    assert wo.status == "in_progress"
    production_services.start_operation(actor=admin_user, operation=second)
    with pytest.raises(ValidationError) as exc:
        production_services.complete_operation(actor=admin_user, operation=second, good_quantity=4)
    assert "received 3" in exc.value.message_dict["good_quantity"][0]
    production_services.complete_operation(actor=admin_user, operation=second, good_quantity=3)


def test_the_whole_in_process_quantity_can_be_scrapped_with_the_default_reason(
    tenant, admin_user, inspector, django_capture_on_commit_callbacks
):
    wo, second, done = _failed_in_process(admin_user, inspector, django_capture_on_commit_callbacks)
    ncr = Ncr.objects.get(number=done.ncr_number)
    _to_disposition(inspector, ncr)
    ncr_services.add_disposition(actor=admin_user, ncr=ncr, data={"kind": "scrap", "quantity": "4"})
    first = ncr.operation
    first.refresh_from_db()
    wo.refresh_from_db()
    ncr.refresh_from_db()
    assert (first.good_quantity, first.scrap_quantity, first.scrap_reason) == (Decimal(0), Decimal(4), "other")
    assert (wo.status, ncr.work_order_held) == ("in_progress", False)
    assert production_services.received_quantity(second) == Decimal(0)


def test_scrap_of_units_the_next_operation_already_processed_is_a_409_and_changes_nothing(
    api, org, admin_user, inspector, django_capture_on_commit_callbacks
):
    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        wo, second, done = _failed_in_process(admin_user, inspector, django_capture_on_commit_callbacks, second_done=4)
        ncr = Ncr.objects.get(number=done.ncr_number)
        _to_disposition(inspector, ncr)
        with pytest.raises(Conflict):
            ncr_services.add_disposition(actor=admin_user, ncr=ncr, data={"kind": "scrap", "quantity": "1"})
    refused = api.post(
        f"/api/v1/quality/ncrs/{ncr.pk}/dispositions/", {"kind": "scrap", "quantity": "1"}, format="json"
    )
    assert refused.status_code == 409 and "Operation 20 has already processed 4" in str(refused.json())
    with tenancy.use(org, admin_user):
        first = ncr.operation
        first.refresh_from_db()
        assert (first.good_quantity, first.scrap_quantity) == (Decimal(4), Decimal(0))
        assert ncr.dispositions.count() == 0
        wo.refresh_from_db()
        assert wo.status == "on_hold"


def test_the_api_books_in_process_scrap_with_the_reason_given(
    api, org, admin_user, inspector, django_capture_on_commit_callbacks
):
    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        wo, second, done = _failed_in_process(admin_user, inspector, django_capture_on_commit_callbacks)
        ncr = Ncr.objects.get(number=done.ncr_number)
        _to_disposition(inspector, ncr)
    bad = api.post(
        f"/api/v1/quality/ncrs/{ncr.pk}/dispositions/",
        {"kind": "scrap", "quantity": "2", "scrap_reason": "wobbly"},
        format="json",
    )
    assert bad.status_code == 400 and "scrap_reason" in bad.json()["errors"]
    made = api.post(
        f"/api/v1/quality/ncrs/{ncr.pk}/dispositions/",
        {"kind": "scrap", "quantity": "2", "scrap_reason": "dimensions"},
        format="json",
    )
    assert made.status_code == 201, made.content
    with tenancy.use(org, admin_user):
        first = ncr.operation
        first.refresh_from_db()
        assert (first.good_quantity, first.scrap_quantity, first.scrap_reason) == (Decimal(2), Decimal(2), "dimensions")
