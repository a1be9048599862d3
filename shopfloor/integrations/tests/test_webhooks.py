"""Outgoing webhooks against a real HTTP server on 127.0.0.1: signing, retries with back-off,
disabling, isolation, and a slow receiver that never slows the request that emitted the event."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from celery import _state as celery_state
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections, transaction
from django.utils import timezone

from shopfloor.core import events, tenancy
from shopfloor.core import services as core_services
from shopfloor.core.models import AuditEvent, Notification, OutboxEvent
from shopfloor.core.tests.factories import member
from shopfloor.core.tests.support import CLOSED_BROKER_URL, celery_configured, run_in_threads
from shopfloor.integrations import services, tasks
from shopfloor.integrations.models import WebhookDelivery, WebhookSubscription
from shopfloor.integrations.tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

Status = WebhookDelivery.Status


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _background_sends_finish():
    """No in-process send may outlive its test (it would write into the next one's database)."""
    yield
    assert tasks.wait_for_background(30)


def subscribe(org, user, url, event_types, **extra):
    with tenancy.use(org, user):
        return services.create_subscription(
            actor=user, data={"name": f"Hook {time.monotonic_ns()}", "url": url, "event_types": event_types, **extra}
        )


def make_plant(org, user, code="HOU"):
    with tenancy.use(org, user):
        return core_services.create_plant(actor=user, data={"code": code, "name": "Houston", "timezone": "UTC"})


def deliveries(org):
    with tenancy.use(org):
        return list(WebhookDelivery.objects.order_by("id"))


def travel_and_sweep(delivery: WebhookDelivery) -> WebhookDelivery:
    """Make the next attempt due now (no real waiting) and run the periodic task."""
    WebhookDelivery.objects.unscoped().filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    tasks.retry_due_webhook_deliveries()
    assert tasks.wait_for_background(30)
    return WebhookDelivery.objects.unscoped().get(pk=delivery.pk)


# --- Delivery, signature, headers ----------------------------------------------------------------


def test_a_delivery_is_signed_over_timestamp_and_body_and_names_the_event(org, admin_user, receiver):
    subscription, secret = subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    assert secret.startswith("whsec_")
    plant = make_plant(org, admin_user)
    assert tasks.wait_for_background(30)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    event = OutboxEvent.objects.get(event_type="core.plant.created")
    assert request["path"] == "/hooks/shopfloor?source=test"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Shopfloor-Event"] == "core.plant.created"
    assert headers["X-Shopfloor-Event-Id"] == str(event.pk)
    timestamp = headers["X-Shopfloor-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Shopfloor-Signature"], f"sha256={expected}")
    wrong = hmac.new(b"another secret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Shopfloor-Signature"] != f"sha256={wrong}"
    document = json.loads(body)
    assert document["id"] == str(event.pk)
    assert document["type"] == "core.plant.created"
    assert document["organization"] == "acme"
    assert document["data"] == event.payload and document["data"]["id"] == plant.pk
    assert document["occurred_at"].startswith(str(event.created_at.year))

    [delivery] = deliveries(org)
    assert headers["X-Shopfloor-Delivery"] == str(delivery.pk)
    assert delivery.status == Status.SUCCEEDED and delivery.attempts == 1
    assert delivery.response_status == 200 and delivery.response_ms is not None
    assert json.loads(delivery.response_body) == {"received": True, "status": 200}
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert delivery.subscription_id == subscription.pk


def test_fan_out_is_idempotent_per_subscription_and_event(org, admin_user, receiver):
    subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    make_plant(org, admin_user)
    assert tasks.wait_for_background(30)
    event = OutboxEvent.objects.get(event_type="core.plant.created")
    with tenancy.use(org):
        assert services.fan_out(event) == []  # a second delivery of the event adds nothing
    assert events.dispatch(event.pk) is True
    assert len(deliveries(org)) == 1
    assert len(receiver.requests) == 1


def test_two_senders_of_one_delivery_send_it_once(org, admin_user, receiver):
    subscription, _ = subscribe(org, admin_user, receiver.url, ["test.*"])
    receiver.delay = 0.3
    with tenancy.use(org, admin_user):
        event = OutboxEvent.objects.create(organization=org, event_type="test.thing.made")
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event=event, event_type=event.event_type, next_attempt_at=timezone.now()
        )
    results = run_in_threads(3, lambda i: services.deliver(delivery.pk))
    assert sum(r is not None for r in results) == 1
    assert len(receiver.requests) == 1


# --- Failures, back-off, recovery, disabling -------------------------------------------------------


def test_a_failing_receiver_is_retried_with_growing_backoff_until_it_recovers(org, admin_user, receiver):
    subscription, _ = subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    receiver.status = 500
    make_plant(org, admin_user)
    assert tasks.wait_for_background(30)

    [delivery] = deliveries(org)
    assert delivery.status == Status.FAILED and delivery.attempts == 1
    assert delivery.response_status == 500 and delivery.error == "HTTP 500"
    first_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=35)

    # Not due yet: the sweep leaves it alone.
    assert tasks.retry_due_webhook_deliveries() == 0
    assert len(receiver.requests) == 1

    delivery = travel_and_sweep(delivery)
    assert delivery.status == Status.FAILED and delivery.attempts == 2
    second_wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert second_wait > first_wait * 3
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 2

    receiver.status = 204
    delivery = travel_and_sweep(delivery)
    assert delivery.status == Status.SUCCEEDED and delivery.attempts == 3
    assert delivery.response_status == 204 and delivery.error == "" and delivery.next_attempt_at is None
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0 and subscription.is_active
    ids = {r["headers"]["X-Shopfloor-Event-Id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1  # the same event each time: receivers dedupe by it


def test_a_delivery_is_abandoned_after_the_maximum_attempts(org, admin_user, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    receiver.status = 503
    make_plant(org, admin_user)
    assert tasks.wait_for_background(30)
    [delivery] = deliveries(org)
    delivery = travel_and_sweep(delivery)
    assert delivery.status == Status.ABANDONED and delivery.attempts == 2 and delivery.next_attempt_at is None
    assert "gave up after 2 attempts" in delivery.error
    assert tasks.retry_due_webhook_deliveries() == 0


def test_a_subscription_that_keeps_failing_is_disabled_and_its_owner_notified(org, admin_user, receiver, settings):
    settings.WEBHOOK_DISABLE_AFTER = 3
    owner = member(org, ["*"], username="owen")
    subscription, _ = subscribe(org, admin_user, receiver.url, ["core.plant.*"], owner=owner)
    receiver.status = 500
    make_plant(org, admin_user, code="A")
    make_plant(org, admin_user, code="B")
    assert tasks.wait_for_background(30)
    first, second = deliveries(org)
    assert {first.status, second.status} == {Status.FAILED}
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 2

    first = travel_and_sweep(first)
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_at is not None and "3 consecutive failed deliveries" in subscription.disabled_reason
    second = WebhookDelivery.objects.unscoped().get(pk=second.pk)
    assert first.status == Status.ABANDONED and second.status == Status.ABANDONED
    assert second.next_attempt_at is None

    with tenancy.use(org):
        notes = list(Notification.objects.filter(recipient=owner, event_type="integrations.webhook.disabled"))
        audit_rows = list(
            AuditEvent.objects.filter(object_type="integrations.webhooksubscription", object_id=str(subscription.pk))
        )
    assert [n.event_type for n in notes] == ["integrations.webhook.disabled"]
    assert subscription.name in notes[0].title and f"/integrations/webhooks/{subscription.pk}/" in notes[0].url
    assert any(a.changes.get("is_active") == [True, False] and a.actor_id is None for a in audit_rows)

    count = len(receiver.requests)
    make_plant(org, admin_user, code="C")  # a disabled subscription gets nothing new
    assert tasks.retry_due_webhook_deliveries() == 0
    assert tasks.wait_for_background(30)
    assert len(receiver.requests) == count

    receiver.status = 200
    with tenancy.use(org, admin_user):
        ping = services.send_test(actor=admin_user, subscription=subscription)  # allowed while disabled
    assert tasks.wait_for_background(30)
    ping = WebhookDelivery.objects.unscoped().get(pk=ping.pk)
    assert ping.status == Status.SUCCEEDED
    assert receiver.requests[-1]["headers"]["X-Shopfloor-Event"] == "integrations.webhook.test"
    with tenancy.use(org, admin_user):
        enabled = services.enable(actor=admin_user, subscription=subscription)
    assert enabled.is_active and enabled.consecutive_failures == 0 and enabled.disabled_at is None


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(org, admin_user, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    receiver.delay = 2
    make_plant(org, admin_user)
    assert tasks.wait_for_background(30)
    [delivery] = deliveries(org)
    assert delivery.status == Status.FAILED and "timed out" in delivery.error.lower()
    assert delivery.response_ms < 1500


def test_an_unreachable_receiver_is_a_failed_attempt_not_an_error(org, admin_user):
    subscribe(org, admin_user, "http://127.0.0.1:9/nothing-listens", ["core.plant.*"])
    make_plant(org, admin_user)
    assert tasks.wait_for_background(30)
    [delivery] = deliveries(org)
    assert delivery.status == Status.FAILED and delivery.response_status is None
    assert "refused" in delivery.error.lower() or "error" in delivery.error.lower()


# --- What never reaches a receiver ----------------------------------------------------------------


def test_an_event_of_a_rolled_back_transaction_never_reaches_the_receiver(org, admin_user, receiver):
    subscribe(org, admin_user, receiver.url, ["core.*"])
    with pytest.raises(RuntimeError), transaction.atomic():
        make_plant(org, admin_user)
        raise RuntimeError("the service failed after emitting")
    with tenancy.use(org):
        from shopfloor.core.tasks import sweep_outbox

        sweep_outbox(older_than_seconds=0)
    tasks.retry_due_webhook_deliveries()
    assert tasks.wait_for_background(30)
    assert receiver.requests == []
    assert deliveries(org) == []


def test_inactive_subscriptions_and_other_event_types_receive_nothing(org, admin_user, receiver):
    subscribe(org, admin_user, receiver.url, ["core.plant.*"], is_active=False)
    subscribe(org, admin_user, receiver.url, ["workflows.*", "core.role.created"])
    make_plant(org, admin_user)
    assert tasks.wait_for_background(30)
    assert receiver.requests == []
    assert deliveries(org) == []


def test_another_organizations_events_never_reach_a_subscription(org, other_org, admin_user, receiver):
    subscribe(org, admin_user, receiver.url, ["core.*"])
    rival_admin = member(other_org, ["*"], username="rita")
    make_plant(other_org, rival_admin)
    assert tasks.wait_for_background(30)
    assert receiver.requests == []
    assert deliveries(org) == [] and deliveries(other_org) == []


# --- Reliability: the request that emits an event never waits for a receiver -----------------------


def test_a_slow_receiver_does_not_slow_the_request_that_emitted_the_event(org, admin_user, receiver, api):
    """The receiver holds its answer until the test lets it go. Had the request waited for the
    delivery, it could only have returned after the delivery timed out, and the delivery would
    then be a failure; instead the request returns first and the delivery later succeeds."""
    subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    receiver.gate = threading.Event()
    try:
        response = api.post("/api/v1/core/plants/", {"code": "SLOW", "name": "Slow", "timezone": "UTC"}, format="json")
        assert response.status_code == 201, response.content
        assert receiver.answered == 0, "the receiver answered before the request returned"
    finally:
        receiver.gate.set()
    # ...and the delivery still happens, in the background.
    assert tasks.wait_for_background(30)
    [delivery] = deliveries(org)
    assert delivery.status == Status.SUCCEEDED
    assert len(receiver.requests) == 1 and receiver.answered == 1


# --- API ----------------------------------------------------------------------------------------


def test_the_api_shows_the_secret_only_on_create_and_rotate(org, admin_user, api, receiver):
    response = api.post(
        "/api/v1/integrations/webhooks/",
        {"name": "ERP", "url": receiver.url, "event_types": ["workflows.*", "core.plant.created"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert created["event_types"] == ["core.plant.created", "workflows.*"]
    assert created["owner"] == admin_user.pk
    pk = created["id"]
    detail = api.get(f"/api/v1/integrations/webhooks/{pk}/").json()
    assert detail["secret"] is None
    listed = api.get("/api/v1/integrations/webhooks/").json()["results"]
    assert [row["secret"] for row in listed] == [None]
    patched = api.patch(f"/api/v1/integrations/webhooks/{pk}/", {"name": "ERP 2"}, format="json").json()
    assert patched["secret"] is None
    assert secret not in json.dumps(api.get("/api/v1/core/audit-events/", {"page_size": 200}).json())

    rotated = api.post(f"/api/v1/integrations/webhooks/{pk}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != secret
    assert api.get(f"/api/v1/integrations/webhooks/{pk}/").json()["secret"] is None
    assert WebhookSubscription.objects.unscoped().get(pk=pk).secret == rotated["secret"]

    # The ping is signed with the new secret.
    ping = api.post(f"/api/v1/integrations/webhooks/{pk}/test/")
    assert ping.status_code == 202 and ping.json()["event_type"] == "integrations.webhook.test"
    assert tasks.wait_for_background(30)
    request = receiver.requests[-1]
    ts = request["headers"]["X-Shopfloor-Timestamp"]
    digest = hmac.new(rotated["secret"].encode(), f"{ts}.".encode() + request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Shopfloor-Signature"] == f"sha256={digest}"
    log = api.get("/api/v1/integrations/webhook-deliveries/", {"subscription": pk, "status": "succeeded"}).json()
    assert [row["event_type"] for row in log["results"]] == ["integrations.webhook.test"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"url": "https://user:secret@example.com/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["Core Plant!"]}, "event_types"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, body, field):
    payload = {"name": "Hook", "url": "https://example.com/hook", "event_types": ["core.*"], **body}
    response = api.post("/api/v1/integrations/webhooks/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not WebhookSubscription.objects.unscoped().exists()


def test_an_owner_from_another_organization_is_refused(api, other_org):
    stranger = member(other_org, ["*"], username="stranger")
    payload = {"name": "Hook", "url": "https://example.com/hook", "event_types": ["core.*"], "owner": stranger.pk}
    response = api.post("/api/v1/integrations/webhooks/", payload, format="json")
    assert response.status_code == 400 and "owner" in response.json()["errors"]


def test_a_duplicate_name_is_a_400(api):
    payload = {"name": "Hook", "url": "https://example.com/hook", "event_types": ["core.*"]}
    assert api.post("/api/v1/integrations/webhooks/", payload, format="json").status_code == 201
    response = api.post("/api/v1/integrations/webhooks/", payload, format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]


def test_redeliver_sends_again_and_refuses_a_disabled_webhook(org, admin_user, api, receiver):
    subscription, _ = subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    make_plant(org, admin_user)
    assert tasks.wait_for_background(30)
    [delivery] = deliveries(org)
    response = api.post(f"/api/v1/integrations/webhook-deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 202, response.content
    assert tasks.wait_for_background(30)
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and delivery.attempts == 2
    assert len(receiver.requests) == 2
    with tenancy.use(org, admin_user):
        services.update_subscription(actor=admin_user, subscription=subscription, data={"is_active": False})
    response = api.post(f"/api/v1/integrations/webhook-deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 409


# --- Web pages --------------------------------------------------------------------------------------


def test_the_webhook_pages_show_the_secret_once_and_the_delivery_log(org, admin_user, client, receiver):
    client.force_login(admin_user)
    assert client.get("/integrations/webhooks/").status_code == 200
    response = client.post(
        "/integrations/webhooks/new/",
        {"name": "MES bridge", "url": receiver.url, "event_types": "core.plant.*\nworkflows.*", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = WebhookSubscription.objects.unscoped().get(name="MES bridge")
    assert subscription.event_types == ["core.plant.*", "workflows.*"]
    page = client.get(response["Location"]).content.decode()
    assert subscription.secret in page
    assert subscription.secret not in client.get(response["Location"]).content.decode()  # once only

    receiver.status = 500
    make_plant(org, admin_user)
    assert tasks.wait_for_background(30)
    page = client.get(f"/integrations/webhooks/{subscription.pk}/").content.decode()
    assert 'id="delivery-log"' in page
    assert "core.plant.created" in page and "Failed (will retry)" in page and "HTTP 500" in page and " ms<" in page

    edit = client.post(
        f"/integrations/webhooks/{subscription.pk}/edit/",
        {"name": "MES bridge", "url": "ftp://nope", "event_types": "core.*", "is_active": "on"},
    )
    assert edit.status_code == 200 and "http:// or https://" in edit.content.decode()
    nav = client.get("/").content.decode()
    assert "/integrations/webhooks/" in nav


def test_a_viewer_sees_webhooks_but_cannot_change_them(org, viewer_user, client, admin_user):
    subscription, _ = subscribe(org, admin_user, "https://example.com/hook", ["core.*"])
    client.force_login(viewer_user)
    page = client.get(f"/integrations/webhooks/{subscription.pk}/")
    assert page.status_code == 200 and subscription.secret not in page.content.decode()
    assert client.post(f"/integrations/webhooks/{subscription.pk}/rotate-secret/").status_code == 403
    assert client.get("/integrations/webhooks/new/").status_code == 403


# --- Production path: a broker and a real worker; a broker outage ------------------------------------


def test_a_broker_outage_loses_no_delivery(org, admin_user, receiver):
    subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    with tenancy.use(org, admin_user):
        event = OutboxEvent.objects.create(organization=org, event_type="core.plant.created", payload={"id": 7})
    with celery_configured(task_always_eager=False, broker_url=CLOSED_BROKER_URL):
        with tenancy.use(org), transaction.atomic():
            [delivery] = services.fan_out(event)  # queuing after commit fails: logged, not raised
    assert receiver.requests == []
    assert services.due_deliveries() == [delivery.pk]
    # The broker is back (eager here): the periodic task sends what was never queued.
    assert tasks.retry_due_webhook_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and len(receiver.requests) == 1


@contextmanager
def redis_worker():
    """The project's Celery app on the real Redis (a queue of its own) with an in-thread worker."""
    queue = f"shopfloor-test-{uuid.uuid4().hex}"

    def close_worker_connections(**kwargs):
        connections.close_all()  # runs in the worker thread, which has its own DB connection

    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with celery_configured(
            task_always_eager=False,
            broker_url=os.environ["REDIS_URL"],
            task_default_queue=queue,
            worker_hijack_root_logger=False,
        ) as app:
            with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=20):
                yield app
    finally:
        task_postrun.disconnect(close_worker_connections)
        celery_state._set_task_join_will_block(False)


@pytest.mark.redis
def test_a_real_worker_sends_and_retries_a_failed_delivery_after_its_backoff(org, admin_user, receiver, settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 1
    subscribe(org, admin_user, receiver.url, ["core.plant.*"])
    receiver.status = 500
    with redis_worker():
        make_plant(org, admin_user)
        deadline = time.monotonic() + 20
        while len(receiver.requests) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        receiver.status = 200  # the receiver recovers before the worker's retry
        while time.monotonic() < deadline:
            done = WebhookDelivery.objects.unscoped().filter(status=Status.SUCCEEDED).first()
            if done is not None:
                break
            time.sleep(0.1)
    [delivery] = deliveries(org)
    assert delivery.status == Status.SUCCEEDED and delivery.attempts == 2
    assert len(receiver.requests) == 2


def test_a_delivery_owed_by_a_deactivated_or_deleted_webhook_is_not_sent(org, admin_user, receiver):
    subscription, _ = subscribe(org, admin_user, receiver.url, ["test.*"])
    with tenancy.use(org, admin_user):
        first = OutboxEvent.objects.create(organization=org, event_type="test.thing.made")
        second = OutboxEvent.objects.create(organization=org, event_type="test.thing.made")
        owed = [
            WebhookDelivery.objects.create(subscription=subscription, event=e, event_type=e.event_type)
            for e in (first, second)
        ]
        services.update_subscription(actor=admin_user, subscription=subscription, data={"is_active": False})
    abandoned = services.deliver(owed[0].pk)
    assert abandoned.status == Status.ABANDONED and "disabled" in abandoned.error
    with tenancy.use(org, admin_user):
        services.delete_subscription(actor=admin_user, subscription=subscription)
    assert services.deliver(owed[1].pk) is None
    assert receiver.requests == []
    assert not WebhookDelivery.objects.unscoped().exists()
