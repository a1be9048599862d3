"""The audit trail: hash-chained per organization, verifiable, append-only, complete."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command, execute_from_command_line
from django.db import DatabaseError, connection, transaction

from shopfloor.core import audit, services, tenancy
from shopfloor.core.models import AuditChainHead, AuditEvent, User
from shopfloor.core.tests.factories import UserFactory, member
from shopfloor.core.tests.support import as_attacker, run_in_threads


def _make_events(actor, count=4):
    """`count` audited changes in the organization in context; their events, oldest first."""
    for i in range(count):
        services.create_plant(actor=actor, data={"code": f"P{i}", "name": f"Plant {i}"})
    return list(AuditEvent.objects.order_by("sequence"))


def _verify_audit_exit(capsys) -> tuple[int, str]:
    """Run `manage.py verify_audit` as the shell would; its exit status and everything it printed."""
    try:
        execute_from_command_line(["manage.py", "verify_audit"])
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


# --- The chain and verify_audit ---------------------------------------------------------------


def test_verify_audit_exits_zero_on_an_intact_chain(tenant, admin_user, capsys):
    events = _make_events(admin_user)
    assert [e.sequence for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    code, output = _verify_audit_exit(capsys)
    assert code == 0, output
    assert "intact" in output


def test_verify_audit_names_the_first_altered_event(tenant, admin_user, capsys):
    events = _make_events(admin_user)
    as_attacker("UPDATE core_auditevent SET reason = %s WHERE id = %s", ["nothing to see", events[1].pk])
    as_attacker("UPDATE core_auditevent SET actor_name = %s WHERE id = %s", ["someone else", events[2].pk])
    code, output = _verify_audit_exit(capsys)
    assert code == 1
    assert f"sequence 2 (event id {events[1].pk})" in output
    assert "altered" in output
    assert f"event id {events[2].pk}" not in output  # the first break is named, not the noise after it


def test_verify_audit_detects_an_altered_change_value(tenant, admin_user, capsys):
    events = _make_events(admin_user)
    as_attacker(
        "UPDATE core_auditevent SET changes = %s WHERE id = %s",
        ['{"code": [null, "FORGED"], "name": [null, "Plant 0"]}', events[0].pk],
    )
    code, output = _verify_audit_exit(capsys)
    assert code == 1
    assert f"sequence 1 (event id {events[0].pk})" in output and "altered" in output


def test_verify_audit_detects_a_rewritten_event_whose_hash_was_recomputed(tenant, admin_user, capsys):
    events = _make_events(admin_user)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.reason = "forged"
    forged_hash = audit.compute_hash(forged)
    as_attacker("UPDATE core_auditevent SET reason = %s, hash = %s WHERE id = %s", ["forged", forged_hash, forged.pk])
    code, output = _verify_audit_exit(capsys)
    assert code == 1
    assert f"sequence 3 (event id {events[2].pk})" in output
    assert "does not link" in output


def test_verify_audit_detects_a_removed_middle_event(tenant, admin_user, capsys):
    events = _make_events(admin_user)
    as_attacker("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    code, output = _verify_audit_exit(capsys)
    assert code == 1
    assert "sequence 2" in output and "removed" in output


def test_verify_audit_detects_a_removed_last_event(tenant, admin_user, capsys):
    events = _make_events(admin_user)
    as_attacker("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    code, output = _verify_audit_exit(capsys)
    assert code == 1
    assert "sequence 4" in output and "removed" in output


def test_verify_audit_detects_a_replaced_last_event(tenant, admin_user, capsys):
    events = _make_events(admin_user)
    last = AuditEvent.objects.get(pk=events[-1].pk)
    last.reason = "forged"
    as_attacker(
        "UPDATE core_auditevent SET reason = %s, hash = %s WHERE id = %s", ["forged", audit.compute_hash(last), last.pk]
    )
    code, output = _verify_audit_exit(capsys)
    assert code == 1
    assert "sequence 4" in output


def test_chains_are_per_organization_and_a_break_names_its_organization(org, other_org, admin_user, capsys):
    with tenancy.use(org, admin_user):
        ours = _make_events(admin_user, 2)
    rival_admin = member(other_org, ["*"], username="rita")
    with tenancy.use(other_org, rival_admin):
        theirs = _make_events(rival_admin, 3)
    assert [e.sequence for e in ours] == [1, 2] and [e.sequence for e in theirs] == [1, 2, 3]
    as_attacker("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["x", theirs[0].pk])
    problems = audit.verify()
    assert [p.chain for p in problems] == [other_org.pk]
    call_command("verify_audit", "--organization", org.slug)  # the intact chain still verifies alone


@pytest.mark.postgres
def test_postgres_trigger_refuses_update_of_audit_rows(tenant, admin_user):
    event = _make_events(admin_user, 1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.reason = "tampered"
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.postgres
def test_postgres_trigger_refuses_delete_of_audit_rows(tenant, admin_user):
    event = _make_events(admin_user, 1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_in_one_organization_keep_a_linear_verifiable_chain(org, admin_user):
    threads, per_thread = 8, 8

    def write(i: int) -> None:
        actor = User.objects.get(pk=admin_user.pk)
        with tenancy.use(org, actor):
            for j in range(per_thread):
                services.create_plant(actor=actor, data={"code": f"T{i}-{j}", "name": f"Plant {i}/{j}"})

    run_in_threads(threads, write)
    with tenancy.use(org):
        events = list(AuditEvent.objects.order_by("sequence"))
    # Each new plant also gets its default locations (inventory's plant-created handler, its own
    # audited writes racing the other threads): the chain must stay gapless across all of them.
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert sum(1 for e in events if e.object_type == "core.plant" and e.action == "create") == threads * per_thread
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    head = AuditChainHead.objects.get(chain=org.pk)
    assert (head.sequence, head.hash) == (events[-1].sequence, events[-1].hash)
    assert audit.verify() == []


@pytest.mark.django_db(transaction=True)
def test_a_transactions_events_are_linked_and_written_as_it_commits_and_a_rollback_leaves_none(org, admin_user):
    with tenancy.use(org, admin_user):
        plant = services.create_plant(actor=admin_user, data={"code": "P1", "name": "Plant 1"})
        written = AuditEvent.objects.count()
        with transaction.atomic():
            audit.record(admin_user, plant, action="action", reason="kept 1")
            assert AuditEvent.objects.count() == written  # linked at the commit, not before
            try:
                with transaction.atomic():
                    audit.record(admin_user, plant, action="action", reason="undone")
                    raise RuntimeError("the savepoint is rolled back")
            except RuntimeError:
                pass
            audit.record(admin_user, plant, action="action", reason="kept 2")
        with transaction.atomic():
            audit.record(admin_user, plant, action="action", reason="rolled back")
            transaction.set_rollback(True)
        events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.reason for e in events[written:]] == ["kept 1", "kept 2"]
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    assert events[written].prev_hash == events[written - 1].hash
    head = AuditChainHead.objects.get(chain=org.pk)
    assert (head.sequence, head.hash) == (events[-1].sequence, events[-1].hash)
    assert audit.verify() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serializes writers at BEGIN")
@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_with_audited_writes_does_not_hold_up_the_organizations_other_writers(org, admin_user):
    """A long transaction's events do not lock the chain head until it commits: another writer
    of the organization commits in the meantime, and the chain is in commit order."""
    recorded, other_done = threading.Event(), threading.Event()

    def long_transaction(i: int) -> None:
        actor = User.objects.get(pk=admin_user.pk)
        with tenancy.use(org, actor), transaction.atomic():
            services.create_plant(actor=actor, data={"code": "SLOW", "name": "Slow"})
            recorded.set()
            assert other_done.wait(timeout=20), "the other writer waited for this transaction"

    def other_writer(i: int) -> None:
        actor = User.objects.get(pk=admin_user.pk)
        assert recorded.wait(timeout=20)
        with tenancy.use(org, actor), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")  # a wait fails the test, not hangs it
            services.create_plant(actor=actor, data={"code": "FAST", "name": "Fast"})
        other_done.set()

    run_in_threads(2, lambda i: (long_transaction, other_writer)[i](i))
    with tenancy.use(org):
        creates = [e.object_repr for e in AuditEvent.objects.filter(object_type="core.plant").order_by("sequence")]
    assert [repr_.split()[0] for repr_ in creates] == ["FAST", "SLOW"]
    assert audit.verify() == []


# --- What an event holds -----------------------------------------------------------------------


def test_update_records_old_and_new_values_actor_utc_time_and_reason(tenant, admin_user):
    plant = services.create_plant(actor=admin_user, data={"code": "HOU", "name": "Houston"})
    before = dt.datetime.now(dt.UTC)
    services.update_object(actor=admin_user, obj=plant, data={"name": "Houston Bits"}, reason="renamed by sales")
    event = AuditEvent.objects.get(object_type="core.plant", object_id=str(plant.pk), action="update")
    assert event.changes == {"name": ["Houston", "Houston Bits"]}
    assert event.actor_id == admin_user.pk and event.actor_name == admin_user.display_name
    assert event.reason == "renamed by sales"
    assert event.occurred_at.utcoffset() == dt.timedelta(0)
    assert before <= event.occurred_at <= dt.datetime.now(dt.UTC)


def test_delete_records_the_old_values(tenant, admin_user):
    plant = services.create_plant(actor=admin_user, data={"code": "HOU", "name": "Houston"})
    plant_id = plant.pk
    services.delete_object(actor=admin_user, obj=plant, reason="duplicate")
    event = AuditEvent.objects.get(action="delete")
    assert event.changes["code"] == ["HOU", None] and event.object_id == str(plant_id)
    assert event.object_repr == "HOU Houston" and event.reason == "duplicate"


def test_actor_name_is_a_snapshot_that_survives_renaming_and_deleting_the_user(tenant, org):
    actor = member(org, ["*"], username="bob", first_name="Bob", last_name="Builder")
    services.create_plant(actor=actor, data={"code": "HOU", "name": "Houston"})
    User.objects.filter(pk=actor.pk).update(first_name="Robert")
    event = AuditEvent.objects.get(object_type="core.plant")
    assert event.actor_name == "Bob Builder"
    assert audit.verify() == []


def test_audit_event_carries_the_request_id_of_the_request_that_caused_it(api, org):
    response = api.post(
        "/api/v1/core/plants/", {"code": "HOU", "name": "Houston"}, format="json", HTTP_X_REQUEST_ID="req-7f3a-audit"
    )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "req-7f3a-audit"
    event = AuditEvent.objects.unscoped().get(object_type="core.plant", object_id=str(response.json()["id"]))
    assert event.request_id == "req-7f3a-audit"


def test_audit_never_stores_a_password_hash(tenant, admin_user):
    services.create_user_and_member(
        actor=admin_user, username="carol", email="carol@example.com", password="a-long-Secret-99"
    )
    user = User.objects.get(username="carol")
    event = AuditEvent.objects.get(object_type="core.user", action="create")
    assert user.password not in str(event.changes)
    assert event.changes["password"][1].startswith("sha256:")


def test_events_without_an_organization_form_the_platform_chain(db):
    actor = UserFactory()
    audit.record(actor, actor, action="login", object_repr=actor.username)
    audit.record(actor, actor, action="logout", object_repr=actor.username)
    events = list(AuditEvent.objects.unscoped().filter(organization__isnull=True).order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2]
    assert audit.verify() == []
