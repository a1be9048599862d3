"""Import jobs: one uploaded file of one dataset, validated (dry run) and then committed."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models

from shopfloor.core.models import TenantModel


def import_file_path(job: ImportJob, filename: str) -> str:
    """Per organization, never the uploader's own name as the path (names clash and may be hostile)."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"imports/{job.organization_id}/{uuid.uuid4().hex}{suffix}"


class ImportJob(TenantModel):
    """An upload of one dataset and what became of it.

    `status` is processing state (not a business lifecycle, so no workflow): queued, running,
    then validated (a clean dry run), committed (written) or failed (errors lists why).
    A validated dry run can be committed: the same stored file is processed again for real.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        VALIDATED = "validated", "Validated"
        FAILED = "failed", "Failed"
        COMMITTED = "committed", "Committed"

    dataset = models.CharField(max_length=40)
    file = models.FileField(upload_to=import_file_path, max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    written_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text='[{"row": 3, "column": "code", "message": "..."}]')
    error_count = models.PositiveIntegerField(default=0)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Whose permissions the current run writes with (the uploader, or who committed).",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="importjob_org_created")]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.dataset} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
