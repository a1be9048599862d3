"""The workflow engine's rules, walked on the change request's default workflow."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from shopfloor.core import audit, tenancy
from shopfloor.core import services as core_services
from shopfloor.core.errors import Conflict
from shopfloor.core.models import AuditEvent, OutboxEvent
from shopfloor.core.tests.factories import PASSWORD, OrganizationFactory, UserFactory, member
from shopfloor.workflows import services
from shopfloor.workflows.models import (
    ChangeRequest,
    Signature,
    TransitionRecord,
    WorkflowDefinition,
    WorkflowState,
    WorkflowTransition,
)
from shopfloor.workflows.services import SignatureInput


@pytest.fixture
def approvers(org):
    return [member(org, ["*.view_*", "workflows.*"], username=f"approver{i}") for i in range(2)]


@pytest.fixture
def cr(tenant, admin_user):
    return services.create_change_request(actor=admin_user, title="New thread gauge", description="Use ring gauges.")


def _sign() -> SignatureInput:
    return SignatureInput(password=PASSWORD)


def test_new_organization_gets_default_definitions(db, django_capture_on_commit_callbacks):
    root = UserFactory(is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        org = core_services.create_organization(actor=root, name="Fresh Org", slug="fresh")
    with tenancy.use(org):
        definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
        assert [s.key for s in definition.states.all()] == ["draft", "submitted", "approved", "rejected", "closed"]
        assert services.validation_errors(definition) == []


def test_change_request_starts_in_initial_state_with_a_number(cr):
    assert cr.status == "draft"
    assert cr.number == "CR-000001"


def test_guard_forbids_submitting_without_description(tenant, admin_user):
    cr = services.create_change_request(actor=admin_user, title="No text")
    with pytest.raises(Conflict, match="Write a description first"):
        services.transition(cr, "submitted", admin_user)
    cr.refresh_from_db()
    assert cr.status == "draft"
    assert not TransitionRecord.objects.exists()


def test_transition_records_history_audit_and_event(cr, admin_user):
    result = services.transition(cr, "submitted", admin_user, comment="ready")
    assert result.done and cr.status == "submitted"
    record = TransitionRecord.objects.get()
    assert (record.from_state, record.to_state, record.actor, record.comment) == (
        "draft",
        "submitted",
        admin_user,
        "ready",
    )
    event = AuditEvent.objects.filter(action="transition").get()
    assert event.changes == {"status": ["draft", "submitted"]} and event.reason == "ready"
    assert OutboxEvent.objects.filter(event_type="workflows.changerequest.transitioned").count() == 1
    assert audit.verify() == []


def test_unknown_state_is_a_validation_error(cr, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.transition(cr, "teleported", admin_user)
    assert "to_state" in exc.value.message_dict


def test_transition_not_allowed_from_current_state_is_a_conflict(cr, admin_user):
    with pytest.raises(Conflict, match="cannot move to 'closed'"):
        services.transition(cr, "closed", admin_user)


def test_missing_permission_is_refused_and_nothing_changes(cr, org):
    viewer = member(org, ["*.view_*"], username="viewer")
    with pytest.raises(PermissionDenied):
        services.transition(cr, "submitted", viewer)
    cr.refresh_from_db()
    assert cr.status == "draft"


def test_reject_needs_a_comment(cr, admin_user):
    services.transition(cr, "submitted", admin_user)
    with pytest.raises(ValidationError) as exc:
        services.transition(cr, "rejected", admin_user)
    assert "comment" in exc.value.message_dict


def test_approval_needs_two_signed_approvals_then_transition_runs(cr, admin_user, approvers):
    services.transition(cr, "submitted", admin_user)
    result = services.transition(cr, "approved", admin_user)
    assert not result.done
    request = result.approval_request
    assert request.status == "pending"
    cr.refresh_from_db()
    assert cr.status == "submitted"

    services.decide(request, approvers[0], approve=True, signature=_sign())
    cr.refresh_from_db()
    assert cr.status == "submitted"
    services.decide(request, approvers[1], approve=True, signature=_sign(), comment="fine")
    cr.refresh_from_db()
    request.refresh_from_db()
    assert cr.status == "approved" and request.status == "approved"
    signatures = Signature.objects.order_by("signed_at")
    assert [s.signer for s in signatures] == approvers
    assert all(s.meaning == "Approved" for s in signatures)
    assert all(valid for _, valid in services.signatures_of(cr))
    record = TransitionRecord.objects.get(to_state="approved")
    assert record.signature == signatures.last()


def test_a_second_approval_request_for_the_same_step_is_a_conflict(cr, admin_user):
    services.transition(cr, "submitted", admin_user)
    services.transition(cr, "approved", admin_user)
    with pytest.raises(Conflict):
        services.transition(cr, "approved", admin_user)


def test_creator_cannot_approve_own_record(cr, admin_user, approvers):
    services.transition(cr, "submitted", admin_user)
    request = services.transition(cr, "approved", admin_user).approval_request
    with pytest.raises(PermissionDenied):
        services.decide(request, admin_user, approve=True, signature=_sign())


def test_rejection_ends_the_request(cr, admin_user, approvers):
    services.transition(cr, "submitted", admin_user)
    request = services.transition(cr, "approved", admin_user).approval_request
    services.decide(request, approvers[0], approve=False, comment="not enough data")
    request.refresh_from_db()
    assert request.status == "rejected"
    with pytest.raises(Conflict, match="already rejected"):
        services.decide(request, approvers[1], approve=True, signature=_sign())
    cr.refresh_from_db()
    assert cr.status == "submitted"


def test_wrong_password_signs_nothing_and_changes_nothing(cr, admin_user, approvers):
    services.transition(cr, "submitted", admin_user)
    request = services.transition(cr, "approved", admin_user).approval_request
    with pytest.raises(ValidationError) as exc:
        services.decide(request, approvers[0], approve=True, signature=SignatureInput(password="wrong"))
    assert "signature.password" in exc.value.message_dict
    assert not Signature.objects.exists()
    assert request.decisions.count() == 0


def test_signature_turns_invalid_when_the_record_changes(cr, admin_user, approvers):
    services.transition(cr, "submitted", admin_user)
    request = services.transition(cr, "approved", admin_user).approval_request
    for approver in approvers:
        services.decide(request, approver, approve=True, signature=_sign())
    ChangeRequest.objects.filter(pk=cr.pk).update(title="Tampered behind the engine's back")
    cr.refresh_from_db()
    assert [valid for _, valid in services.signatures_of(cr)] == [False, False]


def test_signed_and_closed_records_refuse_ordinary_edits(cr, admin_user, approvers):
    services.transition(cr, "submitted", admin_user)
    request = services.transition(cr, "approved", admin_user).approval_request
    for approver in approvers:
        services.decide(request, approver, approve=True, signature=_sign())
    with pytest.raises(Conflict, match="signatures"):
        services.update_change_request(actor=admin_user, change_request=cr, data={"title": "Changed"})
    services.transition(cr, "closed", admin_user)
    with pytest.raises(Conflict, match="closed"):
        services.update_change_request(actor=admin_user, change_request=cr, data={"title": "Changed"})
    cr.refresh_from_db()
    assert cr.title == "New thread gauge"


def test_draft_record_is_editable_and_edit_is_audited(cr, admin_user):
    services.update_change_request(actor=admin_user, change_request=cr, data={"title": "Better title"})
    event = AuditEvent.objects.filter(action="update").get()
    assert event.changes == {"title": ["New thread gauge", "Better title"]}


def test_available_transitions_say_why_not(cr, org, admin_user):
    viewer = member(org, ["*.view_*"], username="viewer")
    services.transition(cr, "submitted", admin_user)
    options = {o.to_state: o for o in services.available_transitions(cr, viewer)}
    assert set(options) == {"approved", "rejected"}
    assert not options["approved"].allowed
    assert "workflows.approve_changerequest" in options["approved"].reasons[0]
    mine = {o.to_state: o for o in services.available_transitions(cr, admin_user)}
    assert mine["approved"].allowed and mine["rejected"].allowed


def test_validation_finds_unreachable_states_final_exits_and_unknown_guards(tenant, cr):
    definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
    limbo = WorkflowState.objects.create(definition=definition, key="limbo", label="Limbo")
    closed = definition.states.get(key="closed")
    draft = definition.states.get(key="draft")
    WorkflowTransition.objects.create(
        definition=definition, source=closed, target=draft, label="Reopen", guards=["moon_is_full"]
    )
    errors = services.validation_errors(definition)
    assert "'Reopen' leaves the final state 'Closed'." in errors
    assert "'Reopen' uses the unknown guard 'moon_is_full'." in errors
    assert f"The state '{limbo.label}' cannot be reached from 'Draft'." in errors


@pytest.mark.django_db(transaction=True)
def test_two_users_firing_the_same_transition_one_wins_one_conflicts():
    org = OrganizationFactory(slug="race")
    alice = member(org, ["*"], username="alice")
    bob = member(org, ["*"], username="bob")
    with tenancy.use(org, alice):
        cr = services.create_change_request(actor=alice, title="Race", description="Who wins?")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def fire(user):
        try:
            with tenancy.use(org, user):
                obj = ChangeRequest.objects.get(pk=cr.pk)
                barrier.wait(timeout=10)
                services.transition(obj, "submitted", user)
                outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=fire, args=(u,)) for u in (alice, bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    with tenancy.use(org):
        assert TransitionRecord.objects.count() == 1
        assert ChangeRequest.objects.get(pk=cr.pk).status == "submitted"


def _workflow_reads(queries) -> int:
    """Statements of `queries` reading a workflow's states or transitions."""
    return sum(
        'FROM "workflows_workflowstate"' in q["sql"] or 'FROM "workflows_workflowtransition"' in q["sql"]
        for q in queries.captured_queries
    )


def test_a_transition_reads_the_workflows_states_and_transitions_once_per_edit(tenant, admin_user):
    from django.test.utils import CaptureQueriesContext

    first, second = (
        services.create_change_request(actor=admin_user, title=f"CR {i}", description="Text.") for i in range(2)
    )
    services.transition(first, "submitted", admin_user)
    with CaptureQueriesContext(connection) as queries:
        services.transition(second, "submitted", admin_user)
    assert second.status == "submitted" and _workflow_reads(queries) == 0
    with pytest.raises(ValidationError, match="not a state of this workflow"):
        services.transition(second, "nowhere", admin_user)
    with pytest.raises(Conflict, match="cannot move to 'closed'"):
        services.transition(second, "closed", admin_user)

    # An edit moves the definition's stamp: the next transition reads the workflow again.
    definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
    submit = WorkflowTransition.objects.get(definition=definition, source__key="draft", target__key="submitted")
    services.save_transition(
        actor=admin_user, definition=definition, data={"comment_required": True}, transition_obj=submit
    )
    third = services.create_change_request(actor=admin_user, title="CR 3", description="Text.")
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError, match="needs a comment"):
        services.transition(third, "submitted", admin_user)
    assert _workflow_reads(queries) == 2
    third.refresh_from_db()
    assert third.status == "draft"
    services.transition(third, "submitted", admin_user, comment="Ready.")


def test_a_transition_no_signature_can_lead_to_does_not_read_the_state_before_locking(tenant, admin_user):
    """Whether a step signs is asked of the record's state only when some transition into the
    target signs: a workflow that never signs locks the record and reads it once."""
    from django.test.utils import CaptureQueriesContext

    first, second = (
        services.create_change_request(actor=admin_user, title=f"CR {i}", description="Text.") for i in range(2)
    )
    services.transition(first, "submitted", admin_user)

    def reads_of_the_record(queries) -> list[str]:
        return [q["sql"] for q in queries.captured_queries if 'FROM "workflows_changerequest"' in q["sql"]]

    with CaptureQueriesContext(connection) as queries:
        services.transition(second, "submitted", admin_user)
    (locking,) = reads_of_the_record(queries)
    assert "FOR UPDATE" in locking or connection.vendor == "sqlite"  # SQLite locks by its write transaction

    definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
    review = WorkflowTransition.objects.get(definition=definition, source__key="submitted", target__key="rejected")
    services.save_transition(
        actor=admin_user, definition=definition, data={"signature_required": True}, transition_obj=review
    )
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError, match="electronic signature"):
        services.transition(second, review.target.key, admin_user)  # it signs: the password first
    assert len(reads_of_the_record(queries)) == 1
    second.refresh_from_db()
    assert second.status == "submitted"


def test_a_workflow_edited_elsewhere_applies_to_the_next_transition(tenant, admin_user):
    """Another process's edit reaches this one through the definition's stamp in the database
    (its own signal only ran there): a save by the ORM, a removed transition, a stamp moved by hand."""
    first, second, third = (
        services.create_change_request(actor=admin_user, title=f"CR {i}", description="Text.") for i in range(3)
    )
    services.transition(first, "submitted", admin_user)
    definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
    submit = WorkflowTransition.objects.get(definition=definition, source__key="draft", target__key="submitted")

    submit.comment_required = True
    submit.save()  # an admin edit or a data fix through the ORM
    with pytest.raises(ValidationError, match="needs a comment"):
        services.transition(second, "submitted", admin_user)

    # A bulk update sends no signal: the states' and transitions' queryset moves the stamp itself.
    stamp = WorkflowDefinition.objects.get(pk=definition.pk).updated_at
    assert WorkflowTransition.objects.filter(pk=submit.pk).update(comment_required=False) == 1
    assert WorkflowDefinition.objects.get(pk=definition.pk).updated_at > stamp
    services.transition(second, "submitted", admin_user)
    definition.transitions.filter(pk=submit.pk).update(comment_required=True)  # the related manager too
    with pytest.raises(ValidationError, match="needs a comment"):
        services.transition(third, "submitted", admin_user)
    submit.comment_required = False
    stamp = WorkflowDefinition.objects.get(pk=definition.pk).updated_at
    WorkflowTransition.objects.bulk_update([submit], ["comment_required"])
    assert WorkflowDefinition.objects.get(pk=definition.pk).updated_at > stamp

    submit.delete()
    with pytest.raises(Conflict, match="cannot move to 'submitted'"):
        services.transition(third, "submitted", admin_user)
    assert ChangeRequest.objects.get(pk=third.pk).status == "draft"
