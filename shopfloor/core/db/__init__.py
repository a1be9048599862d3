"""Database backends: Django's PostgreSQL and SQLite backends with one hook added for the audit trail.

The audit trail links a transaction's events into their organization's hash chain as the
transaction commits, not as each event is recorded (`core.audit` says why). Django offers hooks
after a commit (`on_commit`) but none before it, so these backends add it: `commit()` writes
the transaction's pending audit events first, in the transaction, and a rollback (whole, or to a
savepoint) forgets the events recorded inside what it undoes. The settings select these
backends for the database URL's scheme; nothing else differs from Django's.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError

PENDING = "_sf_audit_pending"  # the connection's attribute holding its transaction's pending events


class AuditChainHooks:
    """Mixed into a backend's DatabaseWrapper (before it): see the module docstring."""

    def commit(self) -> None:
        if self.__dict__.get(PENDING):
            from shopfloor.core import audit

            try:
                audit.write_pending(self)
            except DatabaseError:
                raise  # the atomic block rolls the transaction back
            except Exception:
                self.rollback()  # type: ignore[attr-defined]
                raise
        super().commit()  # type: ignore[misc]

    def savepoint_commit(self, sid: Any) -> None:
        if self.__dict__.get(PENDING):
            from shopfloor.core import audit

            audit.released(self)
        super().savepoint_commit(sid)  # type: ignore[misc]

    def savepoint_rollback(self, sid: Any) -> None:
        super().savepoint_rollback(sid)  # type: ignore[misc]
        pending = self.__dict__.get(PENDING)
        if pending:
            pending[:] = [(sids, event) for sids, event in pending if sid not in sids]

    def rollback(self) -> None:
        self.__dict__.pop(PENDING, None)
        super().rollback()  # type: ignore[misc]

    def close(self) -> None:
        self.__dict__.pop(PENDING, None)  # a transaction closed with its connection is rolled back
        super().close()  # type: ignore[misc]
