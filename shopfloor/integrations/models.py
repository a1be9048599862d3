"""Outgoing webhooks: an organization's subscriptions and the log of every delivery."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from shopfloor.core.models import TenantModel


def validate_webhook_url(value: str) -> None:
    """http(s) with a host and no credentials: a password in a URL ends up in logs and screens.

    Which hosts a URL may point at (SSRF: internal addresses) is not checked here; an operator
    who needs that puts the workers behind an egress proxy.
    """
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"Not a valid URL: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("Use an http:// or https:// URL.")
    if not parts.hostname:
        raise ValidationError("The URL needs a host name.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Do not put credentials in the URL; the receiver checks the signature instead.")
    if parts.fragment:
        raise ValidationError("A fragment (#...) is never sent to a server; remove it.")
    if port == 0:
        raise ValidationError("Port 0 is not a valid port.")


class WebhookSubscription(TenantModel):
    """An endpoint of the organization that receives the events whose type matches a pattern.

    The secret is stored as is (the HMAC needs it) and shown only on creation and rotation.
    A subscription whose deliveries keep failing is disabled and its owner notified.
    """

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(max_length=100, editable=False)
    event_types = models.JSONField(default=list, help_text='Patterns such as "workflows.*" or "core.plant.created".')
    is_active = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who is notified when the subscription is disabled.",
    )
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="webhook_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def event_types_text(self) -> str:
        return ", ".join(self.event_types or [])


class WebhookDelivery(TenantModel):
    """One event sent (or to be sent) to one subscription: at most one row per pair.

    `failed` means the last attempt failed and another is due at `next_attempt_at`;
    `abandoned` means no attempt will follow (attempts used up, or the subscription disabled).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (will retry)"
        ABANDONED = "abandoned", "Abandoned"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("core.OutboxEvent", on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=120)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(delivered_at__isnull=False), name="webhook_delivered_has_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"
