"""Webhooks in a real browser: create one, copy its secret (shown once), send a test ping to a
real local receiver and read the delivery log."""

from __future__ import annotations

import pytest

from shopfloor.core.tests.browser import log_in, shot
from shopfloor.integrations import tasks
from shopfloor.integrations.tests.receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_create_a_webhook_send_a_test_and_read_the_delivery_log(
    transactional_db, live_server, page, admin_user, receiver
):
    base = live_server.url
    log_in(page, base, "alice")
    page.locator("#sidebar").get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="+ New").click()
    page.get_by_label("Name").fill("ERP bridge")
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Event types").fill("core.plant.*\nworkflows.*")
    shot(page, "webhook-form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/integrations/webhooks/*/")
    secret = page.get_by_label("Webhook secret").input_value()
    assert secret.startswith("whsec_")
    shot(page, "webhook-secret-once")

    page.get_by_role("button", name="Send test").click()
    page.wait_for_load_state("networkidle")
    assert tasks.wait_for_background(30)
    page.reload()
    assert page.get_by_label("Webhook secret").count() == 0  # shown once only
    log = page.locator("#delivery-log")
    assert "integrations.webhook.test" in log.inner_text()
    assert "Succeeded" in log.inner_text() and " ms" in log.inner_text()
    assert receiver.requests[0]["headers"]["X-Shopfloor-Event"] == "integrations.webhook.test"
    shot(page, "webhook-delivery-log")
