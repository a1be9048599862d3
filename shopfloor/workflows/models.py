"""Configurable state machines, approvals and electronic signatures.

A `WorkflowDefinition` per organization and model lists the states and the transitions between
them; `services.transition()` is the only way a workflow-managed `status` field changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from shopfloor.core.models import Role, TenantManager, TenantModel, TenantQuerySet, key_validator


class WorkflowDefinition(TenantModel):
    """The lifecycle of one model in one organization (installed from the code's defaults)."""

    model = models.CharField(max_length=100, help_text="app_label.model, e.g. workflows.changerequest")
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["model"]
        constraints = [models.UniqueConstraint(fields=["organization", "model"], name="workflow_model_unique")]

    def __str__(self) -> str:
        return self.name


def touch_definitions(ids: Iterable[int]) -> None:
    """Move the `updated_at` stamp of these definitions: the engine keeps each definition's
    states and transitions per process and reads them again when the stamp differs (see
    `services._shape`)."""
    ids = {pk for pk in ids if pk is not None}
    if ids:
        WorkflowDefinition.objects.unscoped().filter(pk__in=ids).update(updated_at=timezone.now())


class DefinitionPartQuerySet(TenantQuerySet):
    """States and transitions: bulk writes move their definitions' stamps too.

    Saves and deletes of single rows move it through signals (services); `update()`,
    `bulk_create()` and `bulk_update()` send none, so without this an organization's edit made
    in bulk (a data fix, a test, an import) would leave every process on the old definition.
    """

    def update(self, **kwargs: Any) -> int:
        with transaction.atomic(using=self.db, savepoint=False):
            ids = set(self.values_list("definition_id", flat=True))
            rows = super().update(**kwargs)
            touch_definitions(ids)
        return rows

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            touch_definitions(obj.definition_id for obj in created)
        return created

    def bulk_update(self, objs: Iterable[Any], fields: Any, *args: Any, **kwargs: Any) -> int:
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            rows = super().bulk_update(objs, fields, *args, **kwargs)
            touch_definitions(obj.definition_id for obj in objs)
        return rows


class DefinitionPartManager(TenantManager):
    _queryset_class = DefinitionPartQuerySet


class WorkflowState(TenantModel):
    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.CASCADE, related_name="states")
    key = models.CharField(max_length=40, validators=[key_validator])
    label = models.CharField(max_length=80)
    is_initial = models.BooleanField(default=False)
    is_final = models.BooleanField(default=False)
    colour = models.CharField(max_length=7, default="#6b7280", help_text="Badge colour, #rrggbb.")
    position = models.PositiveSmallIntegerField(default=0)

    objects = DefinitionPartManager()

    class Meta(TenantModel.Meta):
        ordering = ["definition", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "key"], name="workflow_state_key_unique"),
            models.UniqueConstraint(
                fields=["definition"], condition=Q(is_initial=True), name="workflow_one_initial_state"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class WorkflowTransition(TenantModel):
    """An allowed move between two states, with what it takes: permission, guards, approvals, signature."""

    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.CASCADE, related_name="transitions")
    source = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="incoming")
    label = models.CharField(max_length=80)
    permission = models.CharField(
        max_length=120, blank=True, help_text="Codename the actor needs; empty: change permission of the model."
    )
    guards = models.JSONField(default=list, blank=True, help_text="Names of guards registered in code.")
    approvals_required = models.PositiveSmallIntegerField(default=0)
    approver_role = models.ForeignKey(Role, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    exclude_creator = models.BooleanField(default=True, help_text="The record's creator cannot approve it.")
    signature_required = models.BooleanField(default=False)
    signature_meaning = models.CharField(max_length=40, blank=True, help_text="e.g. Approved, Reviewed, Released")
    comment_required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = DefinitionPartManager()

    class Meta(TenantModel.Meta):
        ordering = ["definition", "source__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "source", "target"], name="workflow_transition_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="workflow_transition_moves"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.source.key} -> {self.target.key})"


class TransitionRecord(TenantModel):
    """Who moved which record from where to where, when and why."""

    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    transition = models.ForeignKey(WorkflowTransition, null=True, on_delete=models.SET_NULL, related_name="+")
    from_state = models.CharField(max_length=40)
    to_state = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True, max_length=2000)
    signature = models.ForeignKey(
        "workflows.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "object_type", "object_id"], name="transition_object_idx")]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id}: {self.from_state} -> {self.to_state}"


class ApprovalRequest(TenantModel):
    """A transition waiting for N approvals; it runs when the last one arrives."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    transition = models.ForeignKey(WorkflowTransition, on_delete=models.PROTECT, related_name="approval_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    comment = models.TextField(blank=True, max_length=2000)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per record and transition: a second "request approval" is a 409.
            models.UniqueConstraint(
                fields=["organization", "object_type", "object_id", "transition"],
                condition=Q(status="pending"),
                name="approval_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Approval of {self.transition.label} for {self.object_type}#{self.object_id}"


class Approval(TenantModel):
    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    comment = models.TextField(blank=True, max_length=2000)
    signature = models.ForeignKey(
        "workflows.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(TenantModel.Meta):
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["request", "approver"], name="approval_once_per_approver")]

    def __str__(self) -> str:
        return f"{self.decision} by {self.approver_id}"


class Signature(TenantModel):
    """An electronic signature (21 CFR Part 11 style), bound to a hash of the record when signed."""

    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=150)
    meaning = models.CharField(max_length=40)
    signed_at = models.DateTimeField()
    record_hash = models.CharField(max_length=64)

    class Meta(TenantModel.Meta):
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["organization", "object_type", "object_id"], name="signature_object_idx")]

    def __str__(self) -> str:
        return f"{self.meaning} by {self.printed_name} at {self.signed_at:%Y-%m-%d %H:%M}Z"


class ChangeRequest(TenantModel):
    """A request to change something (a process, a document): the first record with a workflow."""

    number = models.CharField(max_length=20, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=40, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="changerequest_number_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("workflows:changerequest-detail", kwargs={"pk": self.pk})
