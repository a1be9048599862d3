"""`manage.py import_data <dataset> <file> --organization <slug> --user <username> [--dry-run]`.

Runs the import in this process (no worker needed), recorded as an import job like an upload;
prints the row-by-row errors and exits with status 1 when there are any.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from shopfloor.core import tenancy
from shopfloor.core.models import Organization, User
from shopfloor.exchange import registry, services
from shopfloor.exchange.models import ImportJob


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of a dataset into an organization (all rows or none)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dataset", choices=registry.names())
        parser.add_argument("file", type=Path)
        parser.add_argument("--organization", required=True, help="Slug of the organization.")
        parser.add_argument("--user", required=True, help="Username whose permissions the import writes with.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["organization"], is_active=True).first()
        if organization is None:
            raise CommandError(f"No active organization '{options['organization']}'.")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user '{options['user']}'.")
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        with tenancy.use(organization, user):
            try:
                job = services.start_import(
                    actor=user,
                    dataset=options["dataset"],
                    upload=SimpleUploadedFile(path.name, content),
                    dry_run=options["dry_run"],
                    queue=False,
                )
            except (PermissionDenied, ValidationError) as exc:
                raise CommandError(str(exc)) from None
        job = services.run_job(job.pk) or ImportJob.objects.unscoped().get(pk=job.pk)
        self._report(job)
        if job.status == ImportJob.Status.FAILED:
            raise SystemExit(1)

    def _report(self, job: ImportJob) -> None:
        out = self.stdout
        if job.errors:
            width = max(len(e["column"] or "-") for e in job.errors)
            out.write(f"{'row':>6}  {'column':<{width}}  message")
            for error in job.errors:
                out.write(f"{error['row']:>6}  {(error['column'] or '-'):<{width}}  {error['message']}")
            if job.error_count > len(job.errors):
                out.write(f"... and {job.error_count - len(job.errors)} more.")
            self.stderr.write(
                f"{job.error_count} error(s) in {job.total_rows} row(s) of {job.dataset}; nothing was written."
            )
            return
        if job.dry_run:
            out.write(
                self.style.SUCCESS(f"Dry run: {job.total_rows} row(s) of {job.dataset} are valid (job {job.pk}).")
            )
        else:
            out.write(self.style.SUCCESS(f"Imported {job.written_rows} row(s) of {job.dataset} (job {job.pk})."))
