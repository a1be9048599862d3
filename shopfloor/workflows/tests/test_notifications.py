"""Approvals and assignments notify the right people, end to end through the workflow engine."""

from __future__ import annotations

import pytest
from django.core import mail

from shopfloor.core import notifications
from shopfloor.core.models import Notification
from shopfloor.core.tests.factories import member
from shopfloor.workflows import services as workflow_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def approvers(org):
    return [member(org, ["*.view_*", "workflows.*"], username=f"approver{i}") for i in range(2)]


def _submitted_change_request(admin_user, **kwargs):
    cr = workflow_services.create_change_request(
        actor=admin_user, title="New thread gauge", description="Use ring gauges.", **kwargs
    )
    workflow_services.transition(cr, "submitted", admin_user)
    return cr


def test_an_approval_request_notifies_every_eligible_approver_but_the_requester(
    tenant, admin_user, approvers, django_capture_on_commit_callbacks, settings
):
    settings.SHOPFLOOR_BASE_URL = "https://mes.example.com/"
    bystander = member(tenant, ["*.view_*"], username="bystander")
    with django_capture_on_commit_callbacks(execute=True):
        cr = _submitted_change_request(admin_user)
        workflow_services.transition(cr, "approved", admin_user, comment="please look")
    rows = Notification.objects.filter(event_type="workflows.approval.requested")
    assert sorted(n.recipient.username for n in rows) == ["approver0", "approver1"]
    assert not Notification.objects.filter(recipient__in=[admin_user, bystander]).exists()
    first = rows.first()
    assert (first.object_type, first.object_id) == ("workflows.changerequest", str(cr.pk))
    assert cr.number in first.title and "please look" in first.body
    assert first.url == notifications.url_of(cr) == f"/workflows/change-requests/{cr.pk}/"
    assert f"https://mes.example.com/workflows/change-requests/{cr.pk}/" in mail.outbox[0].body
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in approvers)
    assert all(n.emailed_at is not None for n in rows)


def test_a_decision_notifies_the_requester_and_the_owner(
    tenant, admin_user, approvers, django_capture_on_commit_callbacks
):
    owner = member(tenant, ["*.view_*"], username="owner")
    with django_capture_on_commit_callbacks(execute=True):
        cr = _submitted_change_request(admin_user, owner=owner)
        request = workflow_services.transition(cr, "approved", admin_user).approval_request
    Notification.objects.all().delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow_services.decide(request, approvers[0], approve=False, comment="Needs a drawing")
    rows = Notification.objects.filter(event_type="workflows.approval.decided")
    assert sorted(n.recipient.username for n in rows) == ["alice", "owner"]
    assert all("rejected" in n.title and "Needs a drawing" in n.body for n in rows)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([admin_user.email, owner.email])


def test_assigning_a_record_notifies_the_new_owner_unless_they_assigned_themselves(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    bob = member(tenant, ["*.view_*"], username="bob")
    carol = member(tenant, ["*.view_*"], username="carol")
    with django_capture_on_commit_callbacks(execute=True):
        cr = workflow_services.create_change_request(actor=admin_user, title="Gauge", owner=bob)
        mine = workflow_services.create_change_request(actor=admin_user, title="Mine")
    assert [(n.recipient, n.event_type) for n in Notification.objects.all()] == [
        (bob, "workflows.changerequest.assigned")
    ]
    assert not Notification.objects.filter(object_id=str(mine.pk)).exists()
    with django_capture_on_commit_callbacks(execute=True):
        workflow_services.update_change_request(actor=admin_user, change_request=cr, data={"owner": carol})
    with django_capture_on_commit_callbacks(execute=True):
        workflow_services.update_change_request(actor=admin_user, change_request=cr, data={"title": "Gauge 2"})
    carols = Notification.objects.filter(recipient=carol)
    assert [n.title for n in carols] == [f"You were assigned change request {cr.number} Gauge"]
    assert carols[0].body == f"{admin_user.display_name} assigned change request {cr.number} Gauge to you."
    assert Notification.objects.filter(recipient=bob).count() == 1
