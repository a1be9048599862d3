"""Domain events through the outbox: after commit, at most once per handler, never lost."""

from __future__ import annotations

import os
import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from celery import _state as celery_state
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import IntegrityError, connections, transaction

from shopfloor.core import events, tenancy
from shopfloor.core.models import HandledEvent, OutboxEvent
from shopfloor.core.tasks import sweep_outbox
from shopfloor.core.tests.support import CLOSED_BROKER_URL, celery_configured

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def subscribe():
    """subscribe(pattern, func, name) for one test; unsubscribed afterwards."""
    names: list[str] = []

    def add(pattern, func, name=None):
        name = name or f"test.{func.__name__}.{uuid.uuid4().hex[:8]}"
        events.subscribe(pattern, name=name)(func)
        names.append(name)
        return name

    yield add
    for name in names:
        events.unsubscribe(name)


def test_handlers_run_only_after_commit(org, subscribe):
    seen = []
    subscribe("test.thing.*", lambda event: seen.append(event.event_type))
    with tenancy.use(org), transaction.atomic():
        event = events.emit("test.thing.made", {"id": 1})
        assert seen == []  # still inside the transaction
    assert seen == ["test.thing.made"]
    event.refresh_from_db()
    assert event.dispatched_at is not None and event.organization_id == org.pk


def test_nothing_emitted_by_a_rolled_back_transaction_is_ever_handled(org, subscribe):
    seen = []
    subscribe("test.*", lambda event: seen.append(event.pk))
    with tenancy.use(org):
        with pytest.raises(RuntimeError), transaction.atomic():
            events.emit("test.thing.made", {"id": 1})
            raise RuntimeError("the service failed")
        assert sweep_outbox.delay(older_than_seconds=0).get() == 0
    assert seen == []
    assert not OutboxEvent.objects.exists()


def test_handlers_see_the_organization_of_the_event(org, other_org, subscribe):
    seen = []
    subscribe("test.*", lambda event: seen.append(tenancy.current_organization_id()))
    with tenancy.use(other_org):
        events.emit("test.thing.made")
    assert seen == [other_org.pk]


def test_a_failing_handler_does_not_block_others_and_the_event_stays_undispatched(org, subscribe):
    seen = []

    def broken(event):
        raise ValueError("webhook endpoint said 500")

    broken_name = subscribe("test.*", broken, name="test.broken")
    subscribe("test.*", lambda event: seen.append("ok"), name="test.ok")
    with tenancy.use(org):
        event = events.emit("test.thing.made")
    assert seen == ["ok"]
    event.refresh_from_db()
    assert event.dispatched_at is None
    assert event.attempts == 1
    assert "test.broken: webhook endpoint said 500" in event.last_error
    assert list(HandledEvent.objects.values_list("handler", flat=True)) == ["test.ok"]
    assert events.pending(older_than_seconds=0) == [event.pk]
    assert broken_name == "test.broken"


def test_a_handler_that_already_handled_an_event_is_not_run_again(org, subscribe):
    calls = {"ok": 0, "flaky": 0}

    def ok(event):
        calls["ok"] += 1

    def flaky(event):
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise ConnectionError("first try fails")

    subscribe("test.*", ok, name="test.ok")
    subscribe("test.*", flaky, name="test.flaky")
    with tenancy.use(org):
        event = events.emit("test.thing.made")
    assert calls == {"ok": 1, "flaky": 1}
    assert events.dispatch(event.pk) is True  # the retry runs only the handler that failed
    assert calls == {"ok": 1, "flaky": 2}
    event.refresh_from_db()
    assert event.dispatched_at is not None and event.attempts == 2 and event.last_error == ""
    events.dispatch(event.pk)  # a duplicate delivery of a dispatched event does nothing
    assert calls == {"ok": 1, "flaky": 2}


def test_a_handlers_own_integrity_error_is_a_failure_not_a_duplicate(org, subscribe):
    def clashes(event):
        raise IntegrityError("duplicate key in the handler's own table")

    subscribe("test.*", clashes, name="test.clashes")
    with tenancy.use(org):
        event = events.emit("test.thing.made")
    event.refresh_from_db()
    assert event.dispatched_at is None and "duplicate key" in event.last_error
    assert not HandledEvent.objects.exists()


def test_concurrent_deliveries_of_one_event_run_each_handler_once(org, subscribe):
    from shopfloor.core.tests.support import run_in_threads

    calls = []
    subscribe("test.*", lambda event: calls.append(1) or time.sleep(0.05), name="test.slow")
    with tenancy.use(org):
        event = OutboxEvent.objects.create(organization=org, event_type="test.thing.made")
    run_in_threads(4, lambda i: events.dispatch(event.pk))
    assert len(calls) == 1
    assert HandledEvent.objects.filter(event=event).count() == 1


def test_when_the_broker_is_down_at_commit_the_event_stays_and_the_sweep_resends_it(org, subscribe):
    seen = []
    subscribe("test.*", lambda event: seen.append(event.pk))
    with celery_configured(task_always_eager=False, broker_url=CLOSED_BROKER_URL):
        with tenancy.use(org):
            event = events.emit("test.thing.made")  # commits; queuing fails; the service still succeeds
    assert seen == []
    event.refresh_from_db()
    assert event.dispatched_at is None and event.attempts == 0
    assert events.pending(older_than_seconds=0) == [event.pk]
    # The broker is back (eager here): the periodic sweep re-sends what was never queued.
    assert sweep_outbox.delay(older_than_seconds=0).get() == 1
    assert seen == [event.pk]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert events.pending(older_than_seconds=0) == []


def test_the_sweep_leaves_recent_events_to_their_first_delivery(org):
    with celery_configured(task_always_eager=False, broker_url=CLOSED_BROKER_URL):
        with tenancy.use(org):
            events.emit("test.thing.made")
    assert sweep_outbox.delay(older_than_seconds=300).get() == 0


@contextmanager
def redis_worker():
    """The project's Celery app on the real Redis (a queue of its own) with an in-thread worker."""
    import redis

    queue = f"shopfloor-test-{uuid.uuid4().hex}"
    broker_url = os.environ["REDIS_URL"]

    def close_worker_connections(**kwargs):
        connections.close_all()  # runs in the worker thread, which has its own DB connection

    task_postrun.connect(close_worker_connections, weak=False)
    client = redis.Redis.from_url(broker_url)
    try:
        with celery_configured(
            task_always_eager=False,
            broker_url=broker_url,
            task_default_queue=queue,
            worker_hijack_root_logger=False,
        ) as app:
            yield app, queue, client
    finally:
        task_postrun.disconnect(close_worker_connections)
        # A worker started in this process marks it as "inside a worker", where Celery refuses
        # result.get(); the eager tests that follow in this process need it back off.
        celery_state._set_task_join_will_block(False)
        client.delete(queue)
        client.close()


def _wait_until_dispatched(event, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        event.refresh_from_db()
        if event.dispatched_at is not None:
            return
        time.sleep(0.1)


@pytest.mark.redis
def test_a_failed_delivery_is_retried_by_the_worker_until_it_succeeds(org, subscribe):
    calls = []

    def flaky(event):
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            raise ConnectionError("notification gateway down")

    subscribe("test.redis.*", flaky)
    with redis_worker() as (app, queue, _client):
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=20):
            with tenancy.use(org):
                event = events.emit("test.redis.retry")
            _wait_until_dispatched(event, seconds=30)  # the first retry waits 5 s
    assert event.dispatched_at is not None
    assert len(calls) == 2 and event.attempts == 2 and event.last_error == ""


@pytest.mark.redis
def test_dispatch_event_travels_through_redis_and_a_real_worker_runs_it(org, subscribe):
    seen: list[tuple[str, str]] = []
    subscribe("test.redis.*", lambda event: seen.append((str(event.pk), threading.current_thread().name)))
    with redis_worker() as (app, queue, client):
        with tenancy.use(org):
            event = events.emit("test.redis.ping", {"n": 1})
        # The task is a message waiting in Redis, not something run in this process.
        assert client.llen(queue) == 1
        assert seen == []
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=20):
            _wait_until_dispatched(event)
        assert client.llen(queue) == 0
    assert event.dispatched_at is not None
    assert len(seen) == 1 and seen[0][0] == str(event.pk)
    assert seen[0][1] != threading.current_thread().name  # the worker's thread ran it
