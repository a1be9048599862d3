"""API of integrations: webhook subscriptions (with rotate-secret, enable, test) and their
delivery log (read-only, with redeliver). Every write calls a service.

The secret is in the body of two responses only: creation and `rotate-secret`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shopfloor.core import selectors as core_selectors
from shopfloor.core.api.router import router
from shopfloor.core.api.schema import ProblemSerializer
from shopfloor.core.api.serializers import TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet

from . import selectors, services
from .models import WebhookDelivery, WebhookSubscription


class MemberField(serializers.PrimaryKeyRelatedField):
    """A user of the caller's organization: another organization's user is 'does not exist'."""

    def get_queryset(self) -> Any:
        return core_selectors.organization_users()


class WebhookSubscriptionSerializer(TenantModelSerializer):
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=120),
        allow_empty=False,
        help_text='Event types or patterns, e.g. ["workflows.*", "core.plant.created"].',
    )
    owner = MemberField(required=False, allow_null=True, help_text="Notified when the webhook is disabled.")
    secret = serializers.SerializerMethodField(
        help_text="The signing secret: returned on creation and by rotate-secret only, null otherwise."
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "is_active",
            "owner",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "secret",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["consecutive_failures", "disabled_at", "disabled_reason"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secret(self, obj: WebhookSubscription) -> str | None:
        return self.context.get("secret")


class WebhookDeliverySerializer(TenantModelSerializer):
    subscription_name = serializers.CharField(source="subscription.name", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "subscription_name",
            "event",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "response_status",
            "response_ms",
            "response_body",
            "error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookSubscriptionViewSet(TenantModelViewSet):
    """Endpoints that receive the organization's events, signed with HMAC-SHA256."""

    queryset = selectors.subscriptions()
    serializer_class = WebhookSubscriptionSerializer
    search_fields = ["name", "url"]
    ordering_fields = ["name", "id", "created_at"]
    filterset_fields = ["is_active", "owner"]

    def required_permission(self, request: Any) -> str | None:
        if self.action in ("rotate_secret", "enable", "test"):
            return "integrations.change_webhooksubscription"
        return None

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, secret = services.create_subscription(actor=request.user, data=dict(serializer.validated_data))
        body = self.get_serializer_class()(subscription, context={**self.get_serializer_context(), "secret": secret})
        return Response(body.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_subscription(
            actor=self.request.user, subscription=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        services.delete_subscription(actor=self.request.user, subscription=instance)

    @extend_schema(request=None, responses={200: WebhookSubscriptionSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Any, pk: Any = None) -> Response:
        """Replace the signing secret; the new one is in this response only."""
        subscription, secret = services.rotate_secret(actor=request.user, subscription=self.get_object())
        context = {**self.get_serializer_context(), "secret": secret}
        return Response(WebhookSubscriptionSerializer(subscription, context=context).data)

    @extend_schema(request=None, responses={200: WebhookSubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def enable(self, request: Any, pk: Any = None) -> Response:
        """Switch a (disabled) webhook on again with a clean failure count."""
        subscription = services.enable(actor=request.user, subscription=self.get_object())
        return Response(self.get_serializer(subscription).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Any, pk: Any = None) -> Response:
        """Queue an `integrations.webhook.test` ping to this webhook; watch its delivery."""
        delivery = services.send_test(actor=request.user, subscription=self.get_object())
        return Response(
            WebhookDeliverySerializer(delivery, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED,
        )


class WebhookDeliveryViewSet(TenantReadOnlyViewSet):
    """The delivery log: each event sent to each webhook, with its attempts and last response."""

    queryset = selectors.deliveries()
    serializer_class = WebhookDeliverySerializer
    search_fields = ["event_type"]
    ordering_fields = ["id", "created_at", "next_attempt_at"]
    filterset_fields = ["subscription", "status", "event_type"]

    def required_permission(self, request: Any) -> str | None:
        if self.action == "redeliver":
            return "integrations.change_webhookdelivery"
        return None

    @extend_schema(
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            409: OpenApiResponse(ProblemSerializer, description="The webhook is disabled"),
        },
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Any, pk: Any = None) -> Response:
        """Send this delivery again now (receivers deduplicate by the event id)."""
        delivery = services.redeliver(actor=request.user, delivery=self.get_object())
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)


router.register("integrations/webhooks", WebhookSubscriptionViewSet, basename="webhooksubscription")
router.register("integrations/webhook-deliveries", WebhookDeliveryViewSet, basename="webhookdelivery")
