"""`manage.py install_workflows`: give every organization the default definitions it lacks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from shopfloor.core.models import Organization
from shopfloor.workflows import services


class Command(BaseCommand):
    help = "Install default workflow definitions into organizations that do not have them (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for organization in Organization.objects.order_by("pk"):
            installed = services.install_defaults(organization)
            total += len(installed)
            for definition in installed:
                self.stdout.write(f"{organization.slug}: installed {definition.model}")
        self.stdout.write(self.style.SUCCESS(f"{total} definition(s) installed."))
