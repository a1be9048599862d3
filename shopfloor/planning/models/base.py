"""What MRP runs and schedule runs have in common: a background job with live progress."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from shopfloor.core.models import PlantModel


class PlanningRun(PlantModel):
    """A run executed by a Celery task; the page polls `progress` and `message` while it works.

    Runs are results, not documents: they have no workflow, they are never edited, and the
    newest finished run of a plant is the plan in force.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, editable=False)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)], editable=False)
    message = models.CharField(max_length=200, blank=True, editable=False, help_text="What the run is doing now.")
    error = models.TextField(blank=True, editable=False, help_text="Why a failed run failed, naming the culprit.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    stats = models.JSONField(default=dict, blank=True, editable=False, help_text="Counts and seconds, for the page.")

    class Meta(PlantModel.Meta):
        abstract = True
