"""Workflow pages: the widgets on a change request, the generic buttons, the definition editor."""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PASSWORD, member
from shopfloor.workflows import services
from shopfloor.workflows.models import (
    Approval,
    ApprovalRequest,
    ChangeRequest,
    Signature,
    TransitionRecord,
    WorkflowDefinition,
    WorkflowState,
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
def viewer(viewer_user) -> Client:
    return client_for(viewer_user)


@pytest.fixture
def approvers(org):
    return [member(org, ["*.view_*", "workflows.*"], username=f"approver{i}", first_name=f"Ann{i}") for i in range(2)]


@pytest.fixture
def cr(org, admin_user):
    with tenancy.use(org, admin_user):
        return services.create_change_request(actor=admin_user, title="New thread gauge", description="Ring gauges.")


@pytest.fixture
def foreign_cr(other_org):
    owner = member(other_org, ["*"], username="rival")
    with tenancy.use(other_org, owner):
        return services.create_change_request(actor=owner, title="Secret", description="Theirs.")


def move(obj, to_state, actor, org, **kwargs):
    with tenancy.use(org, actor):
        return services.transition(obj, to_state, actor, **kwargs)


def fire(client, obj, to_state, **data):
    payload = {"object_type": "workflows.changerequest", "object_id": obj.pk, "to_state": to_state, **data}
    return client.post(reverse("workflows:transition"), payload, follow=True)


def status_of(obj) -> str:
    return ChangeRequest.objects.unscoped().get(pk=obj.pk).status


def body(response) -> str:
    return response.content.decode()


# --- Pages -------------------------------------------------------------------------------------


def test_pages_render_for_an_administrator(admin, org, cr):
    with tenancy.use(org):
        definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
        state = definition.states.get(key="draft")
        t = definition.transitions.first()
    pages = [
        ("workflows:changerequest-list", []),
        ("workflows:changerequest-create", []),
        ("workflows:changerequest-detail", [cr.pk]),
        ("workflows:changerequest-edit", [cr.pk]),
        ("workflows:definition-list", []),
        ("workflows:definition-detail", [definition.pk]),
        ("workflows:state-create", [definition.pk]),
        ("workflows:state-edit", [definition.pk, state.pk]),
        ("workflows:transition-create", [definition.pk]),
        ("workflows:transition-edit", [definition.pk, t.pk]),
    ]
    for name, args in pages:
        response = admin.get(reverse(name, args=args))
        assert response.status_code == 200, (name, response.status_code)
    detail = body(admin.get(reverse("workflows:changerequest-detail", args=[cr.pk]) + "?tab=history"))
    assert "Create" in detail and "New thread gauge" in detail


def test_navigation_links_follow_permissions(admin, viewer):
    page = body(admin.get(reverse("web:dashboard")))
    assert reverse("workflows:changerequest-list") in page and reverse("workflows:definition-list") in page
    page = body(viewer.get(reverse("web:dashboard")))
    assert reverse("workflows:changerequest-list") in page and reverse("workflows:definition-list") not in page


def test_list_shows_badges_searches_and_filters_by_status(admin, org, admin_user, cr):
    with tenancy.use(org, admin_user):
        other = services.create_change_request(actor=admin_user, title="Paint booth", description="Filters.")
    move(other, "submitted", admin_user, org)
    url = reverse("workflows:changerequest-list")
    page = body(admin.get(url))
    assert 'class="badge wf-badge' in page and "Submitted" in page and "Draft" in page
    assert "Paint booth" not in body(admin.get(url + "?q=gauge"))
    filtered = body(admin.get(url + "?status=submitted"))
    assert "Paint booth" in filtered and "New thread gauge" not in filtered


def test_create_and_edit_a_change_request(admin, org):
    response = admin.post(
        reverse("workflows:changerequest-create"), {"title": "Torque wrench", "description": "Calibrate."}
    )
    with tenancy.use(org):
        cr = ChangeRequest.objects.get(title="Torque wrench")
    assert response.status_code == 302 and response["Location"] == reverse(
        "workflows:changerequest-detail", args=[cr.pk]
    )
    assert cr.status == "draft" and cr.number.startswith("CR-")
    admin.post(reverse("workflows:changerequest-edit", args=[cr.pk]), {"title": "Torque wrenches", "description": "x"})
    assert ChangeRequest.objects.unscoped().get(pk=cr.pk).title == "Torque wrenches"


def test_viewer_gets_403_on_write_views(viewer, org, cr):
    with tenancy.use(org):
        definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
        state = definition.states.get(key="draft")
    assert viewer.get(reverse("workflows:changerequest-create")).status_code == 403
    assert viewer.get(reverse("workflows:changerequest-edit", args=[cr.pk])).status_code == 403
    assert viewer.post(reverse("workflows:changerequest-edit", args=[cr.pk]), {"title": "x"}).status_code == 403
    assert viewer.get(reverse("workflows:state-create", args=[definition.pk])).status_code == 403
    assert viewer.post(reverse("workflows:state-delete", args=[definition.pk, state.pk])).status_code == 403
    assert ChangeRequest.objects.unscoped().get(pk=cr.pk).title == "New thread gauge"


def test_another_organizations_change_request_is_404(admin, foreign_cr):
    assert admin.get(reverse("workflows:changerequest-detail", args=[foreign_cr.pk])).status_code == 404
    assert admin.get(reverse("workflows:changerequest-edit", args=[foreign_cr.pk])).status_code == 404
    response = admin.post(
        reverse("workflows:transition"),
        {"object_type": "workflows.changerequest", "object_id": foreign_cr.pk, "to_state": "submitted"},
    )
    assert response.status_code == 404
    assert status_of(foreign_cr) == "draft"


def test_transition_needs_a_model_with_a_workflow(admin, org):
    response = admin.post(reverse("workflows:transition"), {"object_type": "core.plant", "object_id": 1})
    assert response.status_code == 404


# --- Transitions ---------------------------------------------------------------------------------


def test_transition_via_the_web_changes_status_and_shows_in_timeline(admin, admin_user, cr):
    page = body(admin.get(reverse("workflows:changerequest-detail", args=[cr.pk])))
    assert ">Submit</button>" in page
    response = fire(admin, cr, "submitted", next=reverse("workflows:changerequest-detail", args=[cr.pk]))
    assert response.status_code == 200
    assert status_of(cr) == "submitted"
    page = body(response)
    assert "is now Submitted" in page
    timeline = page[page.index('class="wf-timeline"') : page.index("</ol>")]
    assert "Draft" in timeline and "<strong>Submitted</strong>" in timeline and admin_user.display_name in timeline


def test_transition_with_htmx_answers_with_a_redirect_header(admin, cr):
    url = reverse("workflows:changerequest-detail", args=[cr.pk])
    response = admin.post(
        reverse("workflows:transition"),
        {"object_type": "workflows.changerequest", "object_id": cr.pk, "to_state": "submitted", "next": url},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204 and response["HX-Redirect"] == url
    assert status_of(cr) == "submitted"


def test_refused_transition_shows_the_reason_and_changes_nothing(admin, org, admin_user):
    with tenancy.use(org, admin_user):
        cr = services.create_change_request(actor=admin_user, title="No text")
    page = body(admin.get(reverse("workflows:changerequest-detail", args=[cr.pk])))
    assert re.search(r"<button[^>]*disabled[^>]*>Submit</button>", page)
    assert "Write a description first." in page
    response = fire(admin, cr, "submitted")
    assert "Write a description first." in body(response)
    assert status_of(cr) == "draft"
    assert not TransitionRecord.objects.unscoped().exists()


def test_viewer_sees_disabled_buttons_and_a_post_is_refused_with_a_message(viewer, cr):
    page = body(viewer.get(reverse("workflows:changerequest-detail", args=[cr.pk])))
    assert "You need the permission" in page
    response = fire(viewer, cr, "submitted")
    assert response.status_code == 200 and "permission" in body(response)
    assert status_of(cr) == "draft"


def test_comment_required_is_enforced_and_reported(admin, org, admin_user, cr):
    move(cr, "submitted", admin_user, org)
    response = fire(admin, cr, "rejected")
    assert "needs a comment" in body(response)
    assert status_of(cr) == "submitted"
    fire(admin, cr, "rejected", comment="Too costly")
    assert status_of(cr) == "rejected"


# --- Approvals and signatures ---------------------------------------------------------------------


def _request_approval(admin, org, admin_user, cr) -> ApprovalRequest:
    move(cr, "submitted", admin_user, org)
    response = fire(admin, cr, "approved")
    assert "Approval requested" in body(response)
    return ApprovalRequest.objects.unscoped().get(status="pending")


def test_approval_panel_lists_approvers_and_both_approvals_run_the_transition(admin, org, admin_user, cr, approvers):
    request = _request_approval(admin, org, admin_user, cr)
    first, second = (client_for(u) for u in approvers)
    page = body(first.get(reverse("workflows:changerequest-detail", args=[cr.pk])))
    assert "0 of 2 approvals" in page
    assert "Ann0" in page and "Ann1" in page
    assert f'action="{reverse("workflows:approval-approve", args=[request.pk])}"' in page
    assert 'type="password"' in page and "Signing as" in page
    # The creator is not among the approvers: no approve form for them.
    assert reverse("workflows:approval-approve", args=[request.pk]) not in body(
        admin.get(reverse("workflows:changerequest-detail", args=[cr.pk]))
    )

    sig = {"signature_password": PASSWORD, "signature_meaning": "Approved"}
    response = first.post(reverse("workflows:approval-approve", args=[request.pk]), sig, follow=True)
    assert "Your approval is recorded." in body(response) and "1 of 2 approvals" in body(response)
    assert status_of(cr) == "submitted"
    response = second.post(
        reverse("workflows:approval-approve", args=[request.pk]), {**sig, "comment": "ok"}, follow=True
    )
    page = body(response)
    assert status_of(cr) == "approved"
    assert page.count('class="badge ok">Valid</span>') >= 2
    assert 'data-valid="true"' in page and 'data-valid="false"' not in page
    assert Signature.objects.unscoped().count() == 2


def test_wrong_signature_password_shows_an_error_and_changes_nothing(admin, org, admin_user, cr, approvers):
    request = _request_approval(admin, org, admin_user, cr)
    response = client_for(approvers[0]).post(
        reverse("workflows:approval-approve", args=[request.pk]),
        {"signature_password": "wrong", "signature_meaning": "Approved"},
        follow=True,
    )
    assert "The password is not correct; nothing was signed." in body(response)
    assert not Signature.objects.unscoped().exists()
    assert not Approval.objects.unscoped().filter(request=request).exists()
    assert status_of(cr) == "submitted"


def test_reject_via_the_web_needs_a_reason_and_ends_the_request(admin, org, admin_user, cr, approvers):
    request = _request_approval(admin, org, admin_user, cr)
    client = client_for(approvers[0])
    url = reverse("workflows:approval-reject", args=[request.pk])
    assert "Say why you reject it." in body(client.post(url, {}, follow=True))
    request.refresh_from_db()
    assert request.status == "pending"
    assert "You rejected the request." in body(client.post(url, {"comment": "No data"}, follow=True))
    request.refresh_from_db()
    assert request.status == "rejected" and status_of(cr) == "submitted"


def test_someone_not_eligible_cannot_approve(admin, org, admin_user, cr, approvers):
    request = _request_approval(admin, org, admin_user, cr)
    response = admin.post(
        reverse("workflows:approval-approve", args=[request.pk]), {"signature_password": PASSWORD}, follow=True
    )
    assert "not among the approvers" in body(response)
    assert not Approval.objects.unscoped().filter(request=request).exists()


def test_signed_record_cannot_be_edited_and_says_why(admin, org, admin_user, cr, approvers):
    request = _request_approval(admin, org, admin_user, cr)
    for approver in approvers:
        client_for(approver).post(
            reverse("workflows:approval-approve", args=[request.pk]), {"signature_password": PASSWORD}
        )
    assert status_of(cr) == "approved"
    detail = reverse("workflows:changerequest-detail", args=[cr.pk])
    assert reverse("workflows:changerequest-edit", args=[cr.pk]) not in body(admin.get(detail))
    response = admin.get(reverse("workflows:changerequest-edit", args=[cr.pk]), follow=True)
    assert "electronic signatures" in body(response)
    admin.post(reverse("workflows:changerequest-edit", args=[cr.pk]), {"title": "Changed", "description": "x"})
    assert ChangeRequest.objects.unscoped().get(pk=cr.pk).title == "New thread gauge"


class _FakeAuthenticator:
    def verify_token(self, code: str) -> bool:
        return code == "123456"


@pytest.mark.skipif(
    "totp" not in {f.name for f in dataclasses.fields(services.SignatureInput)}, reason="engine without TOTP"
)
def test_signature_dialog_asks_for_the_authenticator_code_when_the_engine_does(
    admin, org, admin_user, cr, approvers, monkeypatch
):
    request = _request_approval(admin, org, admin_user, cr)
    client = client_for(approvers[0])
    detail = reverse("workflows:changerequest-detail", args=[cr.pk])
    monkeypatch.setattr(services, "totp_devices", lambda user: [])
    assert 'name="signature_totp"' not in body(client.get(detail))
    monkeypatch.setattr(services, "totp_devices", lambda user: [_FakeAuthenticator()])
    page = body(client.get(detail))
    assert 'name="signature_totp"' in page and "Authenticator code" in page
    url = reverse("workflows:approval-approve", args=[request.pk])
    client.post(url, {"signature_password": PASSWORD, "signature_totp": "000000"})
    assert not Approval.objects.unscoped().filter(request=request).exists()
    client.post(url, {"signature_password": PASSWORD, "signature_totp": "123456"})
    assert Approval.objects.unscoped().filter(request=request, approver=approvers[0]).exists()


# --- Definition editor -----------------------------------------------------------------------------


def test_definition_page_draws_an_svg_with_a_node_per_state(admin, org, cr):
    with tenancy.use(org):
        definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
        keys = list(definition.states.values_list("key", flat=True))
        edges = definition.transitions.count()
    page = body(admin.get(reverse("workflows:definition-detail", args=[definition.pk])))
    svg = page[page.index('<svg class="wf-diagram"') :]
    svg = svg[: svg.index("</svg>")]
    assert 'class="wf-diagram"' in svg
    assert sorted(re.findall(r'class="wf-node[^"]*" data-state="([^"]+)"', svg)) == sorted(keys)
    assert svg.count('class="wf-edge"') == edges
    assert ">Valid</span>" in page


def test_add_and_edit_a_state_and_a_transition(admin, org, cr):
    with tenancy.use(org):
        definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
        submitted = definition.states.get(key="submitted")
        draft = definition.states.get(key="draft")
    url = reverse("workflows:state-create", args=[definition.pk])
    response = admin.post(url, {"key": "on_hold", "label": "On hold", "colour": "#f59e0b", "position": 5})
    assert response.status_code == 302
    page = body(admin.get(reverse("workflows:definition-detail", args=[definition.pk])))
    assert "cannot be reached" in page and 'data-state="on_hold"' in page
    with tenancy.use(org):
        hold = definition.states.get(key="on_hold")
    response = admin.post(
        reverse("workflows:transition-create", args=[definition.pk]),
        {"source": submitted.pk, "target": hold.pk, "label": "Hold", "approvals_required": 0, "position": 9},
    )
    assert response.status_code == 302
    page = body(admin.get(reverse("workflows:definition-detail", args=[definition.pk])))
    assert "cannot be reached" not in page and ">Hold<" in page
    # A guard the installation does not know is refused, nothing saved.
    with tenancy.use(org):
        t = definition.transitions.get(label="Hold")
    response = admin.post(
        reverse("workflows:transition-edit", args=[definition.pk, t.pk]),
        {
            "source": draft.pk,
            "target": hold.pk,
            "label": "Hold",
            "approvals_required": 0,
            "position": 9,
            "guards": ["x"],
        },
    )
    assert response.status_code == 200 and "errorlist" in body(response)


def test_deleting_a_state_in_use_is_refused_with_the_message(admin, org, cr):
    with tenancy.use(org):
        definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
        draft = definition.states.get(key="draft")
    response = admin.post(reverse("workflows:state-delete", args=[definition.pk, draft.pk]), follow=True)
    assert "1 record(s) are in &#x27;draft&#x27;: move them before removing the state." in body(response)
    assert WorkflowState.objects.unscoped().filter(pk=draft.pk).exists()


def test_deleting_an_unused_state_and_a_transition(admin, org, cr):
    with tenancy.use(org):
        definition = WorkflowDefinition.objects.get(model="workflows.changerequest")
        t = definition.transitions.get(label="Rework")
    response = admin.post(reverse("workflows:transition-delete", args=[definition.pk, t.pk]), follow=True)
    assert "removed" in body(response)
    assert "cannot be reached" not in body(response)  # rejected is still reached from submitted
    with tenancy.use(org):
        hold = definition.states.create(organization=org, key="hold", label="Hold")
    response = admin.post(reverse("workflows:state-delete", args=[definition.pk, hold.pk]), follow=True)
    assert "Hold removed." in body(response)
