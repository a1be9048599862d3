"""An item inspected on receipt with no released receiving plan still waits for an inspection."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.errors import Conflict
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.purchasing import services as purchasing_services
from shopfloor.purchasing.tests.factories import sent_order
from shopfloor.quality.models import Inspection, InspectionPlan, Ncr
from shopfloor.quality.services import inspection as services

pytestmark = pytest.mark.django_db


def _received(actor, capture, quantity="12"):
    item = ItemFactory(make_or_buy="buy", inspect_on_receipt=True, tracking="none")
    order = sent_order(lines=[{"item": item, "quantity": Decimal(quantity), "unit_price": Decimal("3")}])
    with capture(execute=True):
        receipt = purchasing_services.receive(
            actor=actor, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": quantity}]
        )
    return receipt, Inspection.objects.get(item=item)


def on_hand(item, location) -> Decimal:
    row = StockBalance.objects.filter(item=item, location=location).first()
    return row.on_hand if row else Decimal(0)


def test_a_receipt_without_a_plan_opens_a_pass_fail_inspection_in_quarantine(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    receipt, inspection = _received(admin_user, django_capture_on_commit_callbacks)
    assert inspection.plan is None and inspection.status == "open"
    assert (inspection.context, inspection.quantity, inspection.sample_size, inspection.accept_number) == (
        "receiving",
        Decimal("12"),
        1,
        0,
    )
    assert inspection.source_number == receipt.number
    assert inspection.location.location_type == Location.Type.QUARANTINE
    assert on_hand(inspection.item, inspection.location) == Decimal("12")
    # replaying the event opens nothing more
    from shopfloor.core import events
    from shopfloor.core.models import OutboxEvent

    events.dispatch(OutboxEvent.objects.get(event_type="purchasing.receipt.posted").pk)
    assert Inspection.objects.filter(item=inspection.item).count() == 1


def test_an_item_not_inspected_on_receipt_and_without_plan_opens_nothing(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    item = ItemFactory(make_or_buy="buy", tracking="none")
    order = sent_order(lines=[{"item": item, "quantity": Decimal(4), "unit_price": Decimal("3")}])
    with django_capture_on_commit_callbacks(execute=True):
        purchasing_services.receive(
            actor=admin_user, order=order, lines=[{"order_line": order.lines.get().pk, "quantity": "4"}]
        )
    assert not Inspection.objects.filter(item=item).exists()


def test_a_plan_less_pass_releases_the_stock_to_receiving(tenant, admin_user, django_capture_on_commit_callbacks):
    _, inspection = _received(admin_user, django_capture_on_commit_callbacks)
    quarantine, receiving = inspection.location, inspection.home_location
    with pytest.raises(ValidationError) as caught:
        services.complete_inspection(actor=admin_user, inspection=inspection)
    assert "passed" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.complete_inspection(actor=admin_user, inspection=inspection, passed=True)
    assert "note" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.record_measurements(
            actor=admin_user, inspection=inspection, entries=[{"characteristic": 1, "value": "1"}]
        )
    done = services.complete_inspection(
        actor=admin_user, inspection=inspection, passed=True, note="Certificate and threads checked"
    )
    assert (done.status, done.nonconforming, done.note) == ("passed", 0, "Certificate and threads checked")
    assert on_hand(done.item, receiving) == Decimal("12") and on_hand(done.item, quarantine) == 0
    with pytest.raises(Conflict):
        services.complete_inspection(actor=admin_user, inspection=done, passed=False, note="again")


def test_a_plan_less_fail_keeps_the_stock_in_quarantine_and_opens_an_ncr(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    receipt, inspection = _received(admin_user, django_capture_on_commit_callbacks)
    done = services.complete_inspection(actor=admin_user, inspection=inspection, passed=False, note="Rusty threads")
    assert (done.status, done.nonconforming) == ("failed", 1)
    assert on_hand(done.item, inspection.location) == Decimal("12")
    ncr = Ncr.objects.get(number=done.ncr_number)
    assert (ncr.source, ncr.quantity, ncr.location, ncr.supplier) == (
        "inspection",
        Decimal("12"),
        inspection.location,
        receipt.supplier,
    )
    assert ncr.description == "Rejected without a plan: Rusty threads"


def test_a_decision_is_refused_on_an_inspection_with_a_plan(tenant, admin_user, django_capture_on_commit_callbacks):
    item = ItemFactory()
    plan = services.create_plan(actor=admin_user, item=item, context=InspectionPlan.Context.FINAL)
    services.add_characteristic(actor=admin_user, plan=plan, data={"name": "Visual", "kind": "attribute"})
    plan = services.release_plan(actor=admin_user, plan=plan)
    _, planless = _received(admin_user, django_capture_on_commit_callbacks)
    inspection = services.create_inspection(actor=admin_user, plan=plan, plant=planless.plant, quantity=1)
    with pytest.raises(ValidationError) as caught:
        services.complete_inspection(actor=admin_user, inspection=inspection, passed=True, note="looks fine")
    assert "passed" in caught.value.message_dict


def test_plan_less_decision_over_the_api_and_the_page(api, org, admin_user, django_capture_on_commit_callbacks):
    with tenancy.use(org, admin_user):
        _, first = _received(admin_user, django_capture_on_commit_callbacks)
        _, second = _received(admin_user, django_capture_on_commit_callbacks)
    url = f"/api/v1/quality/inspections/{first.pk}/complete/"
    assert api.post(url, {"note": "ok"}, format="json").status_code == 400
    answer = api.post(url, {"passed": True, "note": "Certificate checked"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["status"], answer.json()["plan"]) == ("passed", None)

    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/quality/inspections/{second.pk}/").content.decode()
    assert 'id="decision"' in page and 'id="readings"' not in page
    client.post(f"/quality/inspections/{second.pk}/complete/", {"decision": "fail", "note": "Dented"})
    second.refresh_from_db()
    assert (second.status, second.note) == ("failed", "Dented") and second.ncr_number
