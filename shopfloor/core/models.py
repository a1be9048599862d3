"""Core tables: tenancy, users and roles, audit trail, configuration, numbering, outbox."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from . import tenancy

slug_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$", "Use letters, digits, '-' and '_', starting with a letter or digit."
)
key_validator = RegexValidator(r"^[a-z][a-z0-9_]*$", "Use lower-case letters, digits and '_', starting with a letter.")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a known time zone (e.g. 'Europe/Oslo', 'America/Houston').")


# --- Tenancy base classes ------------------------------------------------------------------


class CurrentOrganizationId(models.Expression):
    """The organization in context, read when the query runs rather than when it is built.

    So `queryset = Plant.objects.all()` on a class, built once at import, still returns only
    the rows of whichever organization the request runs in; with none it raises `NoTenant`.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        return "%s", [tenancy.require_organization().pk]


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Filters by the organization in context; `unscoped()` is the explicit way across tenants."""

    def get_queryset(self) -> TenantQuerySet:
        return super().get_queryset().filter(organization_id=CurrentOrganizationId())

    def unscoped(self) -> TenantQuerySet:
        return super().get_queryset()


class TenantModel(models.Model):
    """Every tenant table: organization, timestamps and creator."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        # Filling the tenant from context is plumbing, not a business rule: it keeps a row from
        # ever being written without an organization.
        if self.organization_id is None:
            self.organization = tenancy.require_organization()
        if self._state.adding and self.created_by_id is None:
            self.created_by = tenancy.current_user()
        super().save(*args, **kwargs)


class PlantModel(TenantModel):
    """A table whose rows belong to one plant of the organization."""

    plant = models.ForeignKey("core.Plant", on_delete=models.PROTECT, related_name="+")

    class Meta(TenantModel.Meta):
        abstract = True


class CustomFieldsModel(models.Model):
    """Adds administrator-defined fields, validated by `core.customfields` against definitions."""

    custom_fields = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


# --- Organization, plant, user ---------------------------------------------------------------


class Organization(models.Model):
    """The tenant. Nothing of one organization is ever visible to another."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Plant(TenantModel, CustomFieldsModel):
    """A site of an organization, with the time zone its shifts and calendars run in."""

    code = models.CharField(max_length=20, validators=[slug_validator])
    name = models.CharField(max_length=120)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    address = models.TextField(blank=True, max_length=1000)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="plant_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A person who logs in. Belongs to organizations through memberships."""

    class Theme(models.TextChoices):
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.LIGHT)
    default_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = UserManager()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Role(TenantModel):
    """A named set of permission codenames (patterns allowed: 'quality.*', '*.view_*')."""

    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    permissions = models.JSONField(default=list, blank=True)
    template = models.CharField(max_length=40, blank=True, help_text="The shipped template it was made from.")

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="role_name_unique")]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A user's place in an organization: roles, and optionally the only plants they work in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    roles = models.ManyToManyField(Role, blank=True, related_name="memberships")
    plants = models.ManyToManyField(Plant, blank=True, related_name="memberships", help_text="Empty means every plant.")
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["user__username"]
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="membership_user_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization_id}"


class ApiToken(TenantModel):
    """A personal API token. Only a SHA-256 of the secret is stored; it is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# --- Audit trail -----------------------------------------------------------------------------


class AuditManager(models.Manager):
    """Audit rows of the organization in context (platform rows have no organization)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(organization_id=CurrentOrganizationId())

    def unscoped(self) -> models.QuerySet:
        return super().get_queryset()


class AuditEvent(models.Model):
    """One append-only line of the audit trail, chained by hash to its organization's previous."""

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        TRANSITION = "transition", "Transition"
        SIGN = "sign", "Sign"
        LOGIN = "login", "Login"
        LOGOUT = "logout", "Logout"
        LOGIN_FAILED = "login_failed", "Login failed"
        ACTION = "action", "Action"

    # No database FKs to what it describes: audit rows outlive users and deleted objects.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    sequence = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditManager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sequence"], name="audit_sequence_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["organization", "-occurred_at"], name="audit_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id} by {self.actor_name}"


class AuditChainHead(models.Model):
    """The last sequence and hash of each organization's chain (0 = platform events).

    Locking this row serializes appends per organization, which a linear chain needs; it
    also lets `verify_audit` notice that the newest events were removed.
    """

    chain = models.BigIntegerField(primary_key=True)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.sequence}"


# --- Configuration engine: type lists and custom fields ----------------------------------------


class TypeList(TenantModel):
    """A managed pick list (defect codes, reason codes, rig types...)."""

    key = models.CharField(max_length=50, validators=[key_validator])
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=500, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="typelist_key_unique")]

    def __str__(self) -> str:
        return self.name


class TypeListEntry(TenantModel):
    type_list = models.ForeignKey(TypeList, on_delete=models.CASCADE, related_name="entries")
    value = models.CharField(max_length=50)
    label = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["type_list", "position", "value"]
        verbose_name_plural = "type list entries"
        constraints = [models.UniqueConstraint(fields=["type_list", "value"], name="typelist_entry_unique")]

    def __str__(self) -> str:
        return self.label


class CustomFieldDefinition(TenantModel):
    """An extra field administrators add to a model; values live in the model's JSON column."""

    class FieldType(models.TextChoices):
        TEXT = "text", "Text"
        INTEGER = "integer", "Integer"
        DECIMAL = "decimal", "Decimal"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes/No"
        URL = "url", "URL"
        CHOICE = "choice", "Choice"
        MULTI_CHOICE = "multi_choice", "Multiple choice"

    model = models.CharField(max_length=100, help_text="app_label.model, e.g. core.plant")
    key = models.CharField(max_length=50, validators=[key_validator])
    label = models.CharField(max_length=120)
    field_type = models.CharField(max_length=20, choices=FieldType.choices)
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=300, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    min_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    pattern = models.CharField(max_length=200, blank=True, help_text="Regular expression a text value must match.")
    type_list = models.ForeignKey(TypeList, null=True, blank=True, on_delete=models.PROTECT, related_name="fields")
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["model", "position", "key"]
        constraints = [models.UniqueConstraint(fields=["organization", "model", "key"], name="customfield_key_unique")]

    def __str__(self) -> str:
        return f"{self.model}.{self.key}"


# --- Numbering ---------------------------------------------------------------------------------


class NumberSequence(TenantModel):
    """The next document number per organization and document type (WO-000123)."""

    document_type = models.CharField(max_length=40)
    prefix = models.CharField(max_length=20)
    padding = models.PositiveSmallIntegerField(default=6)
    next_value = models.PositiveBigIntegerField(default=1)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "document_type"], name="numbering_type_unique"),
            models.CheckConstraint(condition=Q(next_value__gte=1), name="numbering_next_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type}: {self.prefix}{self.next_value:0{self.padding}d}"


# --- Events and outbox -------------------------------------------------------------------------


class OutboxEvent(models.Model):
    """A domain event written in the transaction that caused it; delivered after commit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=120)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["dispatched_at", "created_at"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


class HandledEvent(models.Model):
    """Which handler has already processed which event: handlers run at least once, act once."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="handled")
    handler = models.CharField(max_length=200)
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="handled_event_unique")]

    def __str__(self) -> str:
        return f"{self.handler} handled {self.event_id}"


# --- API idempotency ---------------------------------------------------------------------------


class IdempotencyKey(TenantModel):
    """A POST's Idempotency-Key with the response it produced, kept 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "user", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


# --- Notifications -----------------------------------------------------------------------------

event_type_validator = RegexValidator(
    r"^[a-z0-9_*?]+(\.[a-z0-9_*?]+)*$",
    "Use an event type such as 'workflows.approval.requested', or a pattern such as 'workflows.*'.",
)


class Notification(TenantModel):
    """One message in a user's inbox about something that happened, linking to the object."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event_type = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=5000)
    url = models.CharField(max_length=500, blank=True, help_text="Where the object is shown (a path in this site).")
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "recipient", "read_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.title} -> {self.recipient_id}"


class NotificationPreference(TenantModel):
    """How a user wants one event type (or a pattern of them) delivered: in the inbox, by e-mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event_type = models.CharField(max_length=120, validators=[event_type_validator])
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["event_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "event_type"], name="notification_preference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type}: in-app {self.in_app}, e-mail {self.email}"
