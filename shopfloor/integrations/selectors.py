"""Read queries of integrations, already joined for their lists and pages."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import WebhookDelivery, WebhookSubscription


def subscriptions() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.select_related("owner")


def deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("subscription")


def deliveries_of(subscription: WebhookSubscription, limit: int = 100) -> QuerySet[WebhookDelivery]:
    """The newest deliveries of one subscription: its delivery log."""
    return WebhookDelivery.objects.filter(subscription=subscription).order_by("-created_at", "-id")[:limit]
