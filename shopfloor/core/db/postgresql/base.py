"""Django's PostgreSQL backend with the audit trail's commit hook (see `shopfloor.core.db`)."""

from django.db.backends.postgresql import base

from shopfloor.core.db import AuditChainHooks


class DatabaseWrapper(AuditChainHooks, base.DatabaseWrapper):
    pass
