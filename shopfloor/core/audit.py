"""The audit trail: explicit records from services, hash-chained per organization.

Each event stores the hash of its organization's previous event. Appends lock the chain head
row, so the chain stays linear under concurrent writers (on SQLite the IMMEDIATE transaction
already serializes writers). `verify()` recomputes every hash and reports the first break.

A service records its events as it goes; they are linked into the chain and written when its
transaction commits, by the database backend's commit hook (`shopfloor.core.db`), in one
statement after the chain heads are locked. Linking them as they were recorded would lock the
organization's chain head from the transaction's first event until its commit: every other
audited write of the organization (a whole plant floor) would wait behind the rest of that
transaction. The chain is the same either way, in commit order; a rolled-back transaction or
savepoint leaves none of its events. Outside a transaction, inside a test's own transaction or
on a backend without the hook, an event is linked and written at once.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from . import tenancy
from .db import PENDING, AuditChainHooks
from .models import AuditChainHead, AuditEvent, Organization

GENESIS = "0" * 64
SKIPPED_FIELDS = {"created_at", "updated_at", "created_by", "organization", "key_hash"}
# Secrets never enter the trail (it is readable through the API); a short fingerprint of the
# salted hash still shows *that* a password changed.
SECRET_FIELDS = {"password"}


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "name") and hasattr(value, "url"):  # files
        return value.name or None
    return str(value)


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The audited state of an object: concrete fields and many-to-many ids, as JSON values."""
    state: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SKIPPED_FIELDS or field.primary_key:
            continue
        value = getattr(obj, field.attname)
        if field.name in SECRET_FIELDS:
            value = f"sha256:{hashlib.sha256(value.encode()).hexdigest()[:8]}" if value else ""
        state[field.name] = _jsonable(value)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            state[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return state


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed fields as {field: [old, new]}."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "organization": event.organization_id,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "action": event.action,
        "changes": event.changes,
        "request_id": event.request_id,
        "reason": event.reason,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _lock_head(chain: int) -> AuditChainHead:
    """The chain's head row, locked until the transaction ends (created with the first event)."""
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    # The first event of a chain: concurrent first writers create the row once (the loser of
    # the insert waits for the winner's commit), then lock it like everyone else.
    AuditChainHead.objects.bulk_create([AuditChainHead(chain=chain)], ignore_conflicts=True)
    return AuditChainHead.objects.select_for_update().get(chain=chain)


def object_type_of(obj: models.Model | type[models.Model]) -> str:
    return obj._meta.label_lower


def record(
    actor: Any,
    obj: models.Model | None,
    *,
    action: str,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    organization: Organization | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event. Called by services inside their own transaction, which writes it as it
    commits (the event has its sequence and hash from then on; see the module docstring)."""
    if organization is None:
        org_id = getattr(obj, "organization_id", None) if obj is not None else None
        if org_id is None and isinstance(obj, Organization):
            org_id = obj.pk
        organization_id = org_id if org_id is not None else tenancy.current_organization_id()
    else:
        organization_id = organization.pk
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        organization_id=organization_id,
        occurred_at=timezone.now(),
        actor=real_actor,
        actor_name=(real_actor.display_name if real_actor is not None else "system")[:150],
        object_type=object_type or (object_type_of(obj) if obj is not None else ""),
        object_id=object_id or (str(obj.pk) if obj is not None and obj.pk is not None else ""),
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        action=action,
        changes=_jsonable(changes or {}),
        request_id=tenancy.current_request_id()[:64],
        reason=reason[:500],
    )
    connection = transaction.get_connection()
    if isinstance(connection, AuditChainHooks) and _in_own_transaction(connection):
        # Forgotten if a savepoint active now is rolled back (as Django's on_commit callbacks are).
        connection.__dict__.setdefault(PENDING, []).append((set(connection.savepoint_ids), event))
    else:
        with transaction.atomic():
            _write([event])
    return event


def _in_own_transaction(connection: Any) -> bool:
    """Inside a transaction the code opened itself: not merely the one a test case wraps around
    each test (never committed; its events are written at once so the test can read them)."""
    return connection.in_atomic_block and not all(
        getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


def _write(events: list[AuditEvent]) -> None:
    """Link `events` (in the order recorded) into their chains and write them: each chain head
    is locked in chain order (two committing transactions never wait on each other in a
    circle) and holds until the commit that follows."""
    chains: dict[int, list[AuditEvent]] = {}
    for event in events:
        chains.setdefault(event.organization_id or 0, []).append(event)
    for chain, linked in sorted(chains.items()):
        head = _lock_head(chain)
        sequence, previous = head.sequence, head.hash
        for event in linked:
            sequence += 1
            event.sequence, event.prev_hash = sequence, previous
            event.hash = previous = compute_hash(event)
        AuditChainHead.objects.filter(chain=chain).update(sequence=sequence, hash=previous)
    AuditEvent.objects.unscoped().bulk_create(events)


def write_pending(connection: Any) -> None:
    """Write the events the connection's transaction recorded (its commit hook calls this)."""
    pending = connection.__dict__.pop(PENDING, None)
    if pending:
        _write([event for _, event in pending])


def released(connection: Any) -> None:
    """A savepoint was released: if it was the outermost block inside a test case's transaction
    (which never commits), its events are written now, as its commit would have."""
    if not _in_own_transaction(connection):
        write_pending(connection)


def history(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """Every event about one object, newest first."""
    return (
        AuditEvent.objects.unscoped()
        .filter(
            organization_id=getattr(obj, "organization_id", None)
            or (obj.pk if isinstance(obj, Organization) else None),
            object_type=object_type_of(obj),
            object_id=str(obj.pk),
        )
        .select_related("actor")
    )


@dataclass
class ChainProblem:
    chain: int
    sequence: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        where = "platform" if self.chain == 0 else f"organization {self.chain}"
        ident = f"event id {self.event_id}" if self.event_id is not None else "missing event"
        return f"{where}: sequence {self.sequence} ({ident}): {self.problem}"


def _events(chain: int) -> Iterator[AuditEvent]:
    qs = AuditEvent.objects.unscoped()
    qs = qs.filter(organization__isnull=True) if chain == 0 else qs.filter(organization_id=chain)
    return qs.order_by("sequence").iterator(chunk_size=2000)


def verify(chains: Iterable[int] | None = None) -> list[ChainProblem]:
    """Recompute every chain; return the first problem of each broken chain."""
    if chains is None:
        heads = set(AuditChainHead.objects.values_list("chain", flat=True))
        orgs = set(
            AuditEvent.objects.unscoped().exclude(organization__isnull=True).values_list("organization_id", flat=True)
        )
        chains = sorted(
            heads | orgs | ({0} if AuditEvent.objects.unscoped().filter(organization__isnull=True).exists() else set())
        )
    problems: list[ChainProblem] = []
    for chain in chains:
        problem = _verify_chain(chain)
        if problem is not None:
            problems.append(problem)
    return problems


def _verify_chain(chain: int) -> ChainProblem | None:
    expected_prev, expected_seq = GENESIS, 1
    for event in _events(chain):
        if event.sequence != expected_seq:
            return ChainProblem(chain, expected_seq, None, f"removed (next present is {event.sequence})")
        if event.prev_hash != expected_prev:
            return ChainProblem(chain, event.sequence, event.pk, "does not link to the previous event")
        if compute_hash(event) != event.hash:
            return ChainProblem(chain, event.sequence, event.pk, "altered (its content does not match its hash)")
        expected_prev, expected_seq = event.hash, expected_seq + 1
    head = AuditChainHead.objects.filter(chain=chain).first()
    if head is not None and head.sequence >= expected_seq:
        return ChainProblem(chain, expected_seq, None, f"removed (the chain head records {head.sequence} events)")
    if head is not None and head.sequence == expected_seq - 1 and head.hash != expected_prev:
        return ChainProblem(chain, head.sequence, None, "the newest event differs from the chain head")
    return None
