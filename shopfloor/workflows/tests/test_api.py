"""The workflow API: transitions, approvals and signatures over HTTP, with their refusals.

Every refusal answers in the one error shape and leaves the record, its history and its
signatures exactly as they were.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PASSWORD, member
from shopfloor.workflows import services
from shopfloor.workflows.models import Approval, ApprovalRequest, ChangeRequest, Signature, TransitionRecord

CRS = "/api/v1/workflows/change-requests/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def approvers(org):
    return [member(org, ["*.view_*", "workflows.*"], username=f"approver{i}") for i in range(2)]


@pytest.fixture
def client_for():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def cr(api) -> dict:
    response = api.post(CRS, {"title": "Ring gauges", "description": "Use ring gauges on all threads."}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _state(cr_id: int, org) -> str:
    return ChangeRequest.objects.unscoped().get(pk=cr_id).status


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    return body


def _submitted(api, cr) -> ApprovalRequest:
    assert api.post(f"{CRS}{cr['id']}/transition/", {"to_state": "submitted"}, format="json").status_code == 200
    response = api.post(f"{CRS}{cr['id']}/transition/", {"to_state": "approved"}, format="json")
    assert response.status_code == 202, response.content
    return ApprovalRequest.objects.unscoped().get(pk=response.json()["id"])


def _approve(client, request_id: int, **signature):
    body = {"comment": "ok", "signature": {"password": PASSWORD, **signature}}
    return client.post(f"/api/v1/workflows/approval-requests/{request_id}/approve/", body, format="json")


# --- Transitions ---------------------------------------------------------------------------------


def test_available_transitions_list_what_may_be_done_and_why_not(api, cr):
    options = api.get(f"{CRS}{cr['id']}/transitions/").json()
    submit = next(o for o in options if o["to_state"] == "submitted")
    assert submit["allowed"] is True and submit["reasons"] == []
    assert {o["to_state"] for o in options} == {"submitted"}


def test_a_transition_over_the_api_moves_the_record_and_writes_history(api, cr, org):
    response = api.post(f"{CRS}{cr['id']}/transition/", {"to_state": "submitted", "comment": "ready"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    history = api.get(f"{CRS}{cr['id']}/history/").json()
    assert [(h["from_state"], h["to_state"], h["comment"]) for h in history] == [("draft", "submitted", "ready")]
    assert _state(cr["id"], org) == "submitted"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"to_state": "teleported"}, 400, "to_state"),
        ({"to_state": "closed"}, 409, None),
        ({}, 400, "to_state"),
        ({"to_state": "submitted", "speed": "fast"}, 400, "speed"),
        ({"to_state": "submitted", "comment": ["x"]}, 400, "comment"),
    ],
)
def test_a_refused_transition_is_a_clear_error_and_changes_nothing(api, cr, org, body, status, field):
    response = api.post(f"{CRS}{cr['id']}/transition/", body, format="json")
    problem = _problem(response, status)
    if field:
        assert field in problem["errors"]
    assert _state(cr["id"], org) == "draft"
    assert not TransitionRecord.objects.unscoped().exists()


def test_reject_without_a_comment_is_400_naming_the_comment(api, cr, org):
    api.post(f"{CRS}{cr['id']}/transition/", {"to_state": "submitted"}, format="json")
    problem = _problem(api.post(f"{CRS}{cr['id']}/transition/", {"to_state": "rejected"}, format="json"), 400)
    assert problem["errors"]["comment"] == ["'Reject' needs a comment."]
    assert _state(cr["id"], org) == "submitted"


def test_a_member_without_the_permission_gets_403_and_nothing_changes(cr, org, client_for):
    viewer = member(org, ["*.view_*"], username="watcher")
    response = client_for(viewer).post(f"{CRS}{cr['id']}/transition/", {"to_state": "submitted"}, format="json")
    _problem(response, 403)
    assert _state(cr["id"], org) == "draft"


def test_another_organizations_record_is_404_for_transitions(cr, other_org, client_for):
    stranger = member(other_org, ["*"], username="stranger")
    client = client_for(stranger)
    assert client.post(f"{CRS}{cr['id']}/transition/", {"to_state": "submitted"}, format="json").status_code == 404
    assert client.get(f"{CRS}{cr['id']}/transitions/").status_code == 404
    assert ChangeRequest.objects.unscoped().get(pk=cr["id"]).status == "draft"


# --- Approvals and signatures --------------------------------------------------------------------


def test_two_signed_approvals_over_the_api_approve_the_record(api, cr, org, approvers, client_for):
    request = _submitted(api, cr)
    first = _approve(client_for(approvers[0]), request.pk)
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "pending" and _state(cr["id"], org) == "submitted"
    second = _approve(client_for(approvers[1]), request.pk)
    assert second.status_code == 200, second.content
    assert second.json()["status"] == "approved"
    assert _state(cr["id"], org) == "approved"
    signatures = sorted(api.get(f"{CRS}{cr['id']}/signatures/").json(), key=lambda s: s["signed_at"])
    assert [(s["printed_name"], s["meaning"], s["valid"]) for s in signatures] == [
        (approvers[0].get_full_name(), "Approved", True),
        (approvers[1].get_full_name(), "Approved", True),
    ]


def test_a_wrong_signing_password_is_400_and_signs_nothing(api, cr, org, approvers, client_for):
    request = _submitted(api, cr)
    response = client_for(approvers[0]).post(
        f"/api/v1/workflows/approval-requests/{request.pk}/approve/",
        {"comment": "ok", "signature": {"password": "not-my-password"}},
        format="json",
    )
    assert _problem(response, 400)["errors"]["signature.password"] == [
        "The password is not correct; nothing was signed."
    ]
    assert not Signature.objects.unscoped().exists()
    assert not Approval.objects.unscoped().filter(request=request).exists()


def test_approving_without_a_signature_is_400(api, cr, approvers, client_for):
    request = _submitted(api, cr)
    response = client_for(approvers[0]).post(
        f"/api/v1/workflows/approval-requests/{request.pk}/approve/", {"comment": "ok"}, format="json"
    )
    assert "signature.password" in _problem(response, 400)["errors"]
    assert not Signature.objects.unscoped().exists()


def test_a_non_approver_gets_403_on_approve(api, cr, org, client_for):
    request = _submitted(api, cr)
    outsider = member(org, ["*.view_*"], username="outsider")
    _problem(_approve(client_for(outsider), request.pk), 403)
    assert ApprovalRequest.objects.unscoped().get(pk=request.pk).status == "pending"


def test_rejecting_needs_a_comment_and_then_ends_the_request(api, cr, org, approvers, client_for):
    request = _submitted(api, cr)
    url = f"/api/v1/workflows/approval-requests/{request.pk}/reject/"
    client = client_for(approvers[0])
    assert "comment" in _problem(client.post(url, {}, format="json"), 400)["errors"]
    response = client.post(url, {"comment": "Gauges not in stock"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    _problem(_approve(client_for(approvers[1]), request.pk), 409)
    assert _state(cr["id"], org) == "submitted"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failed_signing_attempts_count_toward_the_lockout(api, cr, org, approvers, client_for):
    request = _submitted(api, cr)
    client = client_for(approvers[0])
    for _ in range(3):
        response = client.post(
            f"/api/v1/workflows/approval-requests/{request.pk}/approve/",
            {"comment": "ok", "signature": {"password": "guess"}},
            format="json",
        )
        assert response.status_code in (400, 403, 429)
    attempt = AccessAttempt.objects.get(username=approvers[0].username)
    assert attempt.failures_since_start >= 3
    # Locked out now: even the right password no longer signs.
    assert _approve(client, request.pk).status_code in (400, 403, 429)
    assert not Signature.objects.unscoped().exists()


# --- Authenticator codes (TOTP) ------------------------------------------------------------------


@pytest.fixture
def totp_approver(approvers) -> tuple:
    device = TOTPDevice.objects.create(user=approvers[0], name="phone", confirmed=True)
    return approvers[0], device


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits) + offset:06d}"[-6:]


def test_a_signer_with_an_authenticator_must_give_its_code(api, cr, totp_approver, client_for):
    approver, _device = totp_approver
    request = _submitted(api, cr)
    response = _approve(client_for(approver), request.pk)
    assert _problem(response, 400)["errors"]["signature.totp"] == ["Enter the code from your authenticator app."]
    assert not Signature.objects.unscoped().exists()


def test_a_wrong_authenticator_code_signs_nothing_and_counts_as_a_failure(api, cr, totp_approver, client_for):
    approver, device = totp_approver
    request = _submitted(api, cr)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = _approve(client_for(approver), request.pk, totp=wrong)
    assert _problem(response, 400)["errors"]["signature.totp"] == ["The code is not correct; nothing was signed."]
    assert AccessAttempt.objects.get(username=approver.username).failures_since_start == 1
    assert not Signature.objects.unscoped().exists()


def test_the_right_authenticator_code_and_password_sign(api, cr, totp_approver, client_for):
    approver, device = totp_approver
    request = _submitted(api, cr)
    response = _approve(client_for(approver), request.pk, totp=_code(device))
    assert response.status_code == 200, response.content
    with tenancy.use(request.organization):
        assert Signature.objects.get().signer == approver


def test_services_refuse_to_sign_without_prior_reauthentication(cr, org, approvers, admin_user):
    """The engine signs only what reauthenticate() proved, even if a caller skips the check."""
    with tenancy.use(org, admin_user):
        obj = ChangeRequest.objects.get(pk=cr["id"])
        sig = services.SignatureInput(password=PASSWORD)
        with pytest.raises(services.Conflict):
            services._sign(obj, approvers[0], sig, "Approved")
