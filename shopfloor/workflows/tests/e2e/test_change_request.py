"""A change request in a real browser: created, submitted, approved by two signing approvers."""

from __future__ import annotations

import re

import pytest

from shopfloor.core.tests.browser import log_in, shot
from shopfloor.core.tests.factories import PASSWORD, member

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_change_request_walks_through_approval_and_signature(transactional_db, live_server, new_page, admin_user, org):
    base = live_server.url
    approvers = [
        member(org, ["*.view_*", "workflows.*"], username=f"approver{i}", first_name="Ann", last_name=f"Approver{i}")
        for i in range(2)
    ]

    # Alice writes the request and submits it; approving needs two approvals, so she asks for them.
    page = new_page()
    log_in(page, base, "alice")
    page.locator("#sidebar").get_by_role("link", name="Change requests").click()
    page.get_by_role("link", name="+ New").click()
    page.get_by_label("Title").fill("Ring gauges for the bit breaker")
    page.get_by_label("Description").fill("Replace plug gauges by ring gauges on line 2.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/workflows/change-requests/\d+/$"))
    detail_url = page.url
    assert "CR-000001" in page.locator("h1").inner_text()
    assert page.locator(".page-actions .wf-badge").inner_text().strip() == "Draft"

    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".page-actions .wf-badge").inner_text().strip() == "Submitted"
    page.get_by_role("button", name="Request approval: Approve").click()
    page.wait_for_load_state()
    assert "Approval requested" in page.locator(".messages").inner_text()
    panel = page.locator(".wf-approvals")
    assert "0 of 2 approvals" in panel.inner_text()
    assert "Ann Approver0" in panel.inner_text() and "Ann Approver1" in panel.inner_text()
    shot(page, "change-request-awaiting-approval")

    # Each approver signs their approval in the dialog with their password.
    for i, approver in enumerate(approvers):
        p = new_page()
        log_in(p, base, approver.username)
        p.goto(detail_url)
        p.get_by_role("button", name="Approve…").click()
        dialog = p.get_by_role("dialog")
        assert dialog.is_visible()
        assert "Signing as Ann Approver" in dialog.inner_text() and "Approved" in dialog.inner_text()
        dialog.get_by_label("Password").fill(PASSWORD)
        shot(p, f"signature-dialog-{i}")
        dialog.get_by_role("button", name="Sign and approve").click()
        p.wait_for_load_state()
        if i == 0:
            assert "Your approval is recorded." in p.locator(".messages").inner_text()
            assert "1 of 2 approvals" in p.locator(".wf-approvals").inner_text()
        else:
            assert "moved on" in p.locator(".messages").inner_text()

    # Alice sees the record approved, both signatures valid, and the timeline of its steps.
    page.goto(detail_url)
    assert page.locator(".page-actions .wf-badge").inner_text().strip() == "Approved"
    signatures = page.locator(".wf-signature")
    assert signatures.count() == 2
    for k in range(2):
        assert "Approved by Ann Approver" in signatures.nth(k).inner_text()
        assert "Valid" in signatures.nth(k).inner_text()
    timeline = page.locator(".wf-timeline-entry")
    assert timeline.count() == 2
    newest = timeline.nth(0).inner_text()
    assert "Submitted" in newest and "Approved" in newest and "Signed" in newest and "Valid" in newest
    assert "Draft" in timeline.nth(1).inner_text()
    assert page.get_by_role("button", name="Close").is_enabled()
    shot(page, "change-request-approved")
