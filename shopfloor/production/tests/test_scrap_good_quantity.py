"""Scrapping part of an operation's good output afterwards (an NCR on work in progress)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.core.tests.factories import member
from shopfloor.production import services
from shopfloor.production.tests.factories import released_order

pytestmark = pytest.mark.django_db

D = Decimal


def _first_done(admin_user, good=8, scrap=0, reason=""):
    wo = released_order(quantity=10)
    first, second = wo.operations.order_by("sequence")
    services.start_operation(actor=admin_user, operation=first)
    services.complete_operation(
        actor=admin_user, operation=first, good_quantity=good, scrap_quantity=scrap, scrap_reason=reason
    )
    first.refresh_from_db()
    return wo, first, second


def _state(op):
    op.refresh_from_db()
    return (op.good_quantity, op.scrap_quantity, op.scrap_reason)


def test_scrap_moves_good_output_to_scrap_and_the_next_operation_receives_the_rest(tenant, admin_user):
    wo, first, second = _first_done(admin_user, good=8, scrap=2, reason="setup")
    done = services.scrap_good_quantity(
        actor=admin_user, operation=first, quantity="3", reason="dimensions", note="NCR-000001: Scrap"
    )
    assert (done.good_quantity, done.scrap_quantity) == (D(5), D(5))
    assert _state(first) == (D(5), D(5), "setup")  # it had scrap already: its reason stays
    assert services.received_quantity(second) == D(5)
    audit = AuditEvent.objects.filter(object_type="production.operation", object_id=str(first.pk)).first()
    assert audit.changes["good_quantity"] == ["8", "5"] and audit.changes["scrap_quantity"] == ["2", "5"]
    assert "NCR-000001" in audit.reason and "dimensions" in audit.reason
    event = OutboxEvent.objects.get(event_type="production.operation.scrapped", payload__id=first.pk)
    assert (event.payload["quantity"], event.payload["good"], event.payload["scrap"]) == ("3", "5", "5")
    services.start_operation(actor=admin_user, operation=second)
    with pytest.raises(ValidationError) as exc:
        services.complete_operation(actor=admin_user, operation=second, good_quantity=6)
    assert "received 5" in exc.value.message_dict["good_quantity"][0]
    services.complete_operation(actor=admin_user, operation=second, good_quantity=5)


def test_an_operation_without_scrap_takes_the_reason_given(tenant, admin_user):
    _, first, _ = _first_done(admin_user, good=8)
    services.scrap_good_quantity(actor=admin_user, operation=first, quantity=1, reason="material")
    assert _state(first) == (D(7), D(1), "material")


def test_more_than_the_good_quantity_is_refused_and_nothing_changes(tenant, admin_user):
    _, first, _ = _first_done(admin_user, good=8, scrap=2, reason="setup")
    audits = AuditEvent.objects.filter(object_type="production.operation", object_id=str(first.pk)).count()
    with pytest.raises(ValidationError) as exc:
        services.scrap_good_quantity(actor=admin_user, operation=first, quantity="8.5", reason="other")
    assert "passed 8 good; it cannot scrap 8.5" in exc.value.message_dict["quantity"][0]
    assert _state(first) == (D(8), D(2), "setup")
    assert AuditEvent.objects.filter(object_type="production.operation", object_id=str(first.pk)).count() == audits
    assert not OutboxEvent.objects.filter(event_type="production.operation.scrapped").exists()


def test_units_the_next_operation_already_processed_are_not_scrapped_here(tenant, admin_user):
    _, first, second = _first_done(admin_user, good=8)
    services.start_operation(actor=admin_user, operation=second)
    services.complete_operation(actor=admin_user, operation=second, good_quantity=6)
    with pytest.raises(Conflict) as exc:
        services.scrap_good_quantity(actor=admin_user, operation=first, quantity=3, reason="other")
    assert exc.value.code == "passed_on" and "Operation 20 has already processed 6" in exc.value.message
    assert _state(first) == (D(8), D(0), "")
    services.scrap_good_quantity(actor=admin_user, operation=first, quantity=2, reason="other")
    assert _state(first) == (D(6), D(2), "other")


def test_a_pending_operation_and_a_bad_reason_are_refused(tenant, admin_user):
    _, first, second = _first_done(admin_user, good=8)
    with pytest.raises(Conflict):
        services.scrap_good_quantity(actor=admin_user, operation=second, quantity=1, reason="other")
    with pytest.raises(ValidationError) as exc:
        services.scrap_good_quantity(actor=admin_user, operation=first, quantity=1, reason="lost")
    assert "scrap_reason" in exc.value.message_dict
    assert _state(first) == (D(8), D(0), "")


def test_scrapping_needs_the_job_card_permission(tenant, org, admin_user):
    _, first, _ = _first_done(admin_user, good=8)
    viewer = member(org, ["*.view_*"], username="vic")
    with pytest.raises(PermissionDenied):
        services.scrap_good_quantity(actor=viewer, operation=first, quantity=1, reason="other")
    assert _state(first) == (D(8), D(0), "")
