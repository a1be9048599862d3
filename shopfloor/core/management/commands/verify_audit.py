"""`manage.py verify_audit`: prove the audit trail was not altered; exit 1 naming the first bad event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shopfloor.core import audit
from shopfloor.core.models import AuditEvent, Organization


class Command(BaseCommand):
    help = "Recompute the hash chain of every organization's audit trail."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--organization", help="Slug of one organization to verify.")

    def handle(self, *args: Any, **options: Any) -> None:
        chains = None
        if options["organization"]:
            org = Organization.objects.filter(slug=options["organization"]).first()
            if org is None:
                raise CommandError(f"No organization '{options['organization']}'.")
            chains = [org.pk]
        problems = audit.verify(chains)
        total = AuditEvent.objects.unscoped().count()
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN {problem}")
            raise CommandError(f"Audit trail verification failed: first bad event: {problems[0]}")
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {total} events verified."))
