"""Web pages of integrations: webhook list, detail with the delivery log, forms and buttons.

A new or rotated secret is handed from the action to the next page through the session and
shown once; no page reads it from the database.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from shopfloor.core import access
from shopfloor.core.views import ObjectActionView, ObjectCreateView, ObjectDetailView, ObjectListView, ObjectUpdateView

from . import selectors, services
from .forms import WebhookForm
from .models import WebhookDelivery, WebhookSubscription

CHANGE = "integrations.change_webhooksubscription"


def _hand_over_secret(request: HttpRequest, subscription: WebhookSubscription, secret: str) -> None:
    request.session[f"webhook-secret-{subscription.pk}"] = secret


class WebhookListView(ObjectListView):
    model = WebhookSubscription
    title = "Webhooks"
    columns = [
        ("name", "Name"),
        ("url", "URL"),
        ("event_types_text", "Events"),
        ("is_active", "Active"),
        ("consecutive_failures", "Failures in a row"),
    ]
    search_fields = ["name", "url"]
    filters = {"active": "is_active"}
    create_url_name = "integrations:webhook-create"
    detail_url_name = "integrations:webhook-detail"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("owner")


class WebhookDetailView(ObjectDetailView):
    model = WebhookSubscription
    template_name = "integrations/webhook_detail.html"
    fields = [
        ("name", "Name"),
        ("url", "URL"),
        ("event_types_text", "Events"),
        ("is_active", "Active"),
        ("owner", "Owner"),
        ("consecutive_failures", "Failures in a row"),
        ("disabled_at", "Disabled at"),
        ("disabled_reason", "Disabled because"),
        ("created_at", "Created"),
    ]
    edit_url_name = "integrations:webhook-edit"
    list_url_name = "integrations:webhook-list"

    def get_queryset(self) -> Any:
        return selectors.subscriptions()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context["model_name"] = "Webhook"
        context["secret"] = self.request.session.pop(f"webhook-secret-{obj.pk}", None)
        context["deliveries"] = selectors.deliveries_of(obj)
        context["can_change"] = access.has_perm(self.request.user, CHANGE)
        context["can_redeliver"] = access.has_perm(self.request.user, "integrations.change_webhookdelivery")
        context["can_delete"] = access.has_perm(self.request.user, "integrations.delete_webhooksubscription")
        return context


class WebhookCreateView(ObjectCreateView):
    model = WebhookSubscription
    form_class = WebhookForm
    title = "New webhook"
    detail_url_name = "integrations:webhook-detail"
    cancel_url_name = "integrations:webhook-list"
    success_message = "Webhook {object.name} created. Copy its secret now: it is shown once."

    def perform(self, form: WebhookForm) -> WebhookSubscription:
        subscription, secret = services.create_subscription(actor=self.request.user, data=form.service_data())
        _hand_over_secret(self.request, subscription, secret)
        return subscription


class WebhookUpdateView(ObjectUpdateView):
    model = WebhookSubscription
    form_class = WebhookForm
    detail_url_name = "integrations:webhook-detail"
    success_message = "Webhook {object.name} saved."

    def perform(self, form: WebhookForm) -> WebhookSubscription:
        return services.update_subscription(
            actor=self.request.user, subscription=self.get_object(), data=form.service_data()
        )


class _WebhookAction(ObjectActionView):
    model = WebhookSubscription
    permission_required = CHANGE

    def get_success_url(self, obj: Any) -> str:
        return reverse("integrations:webhook-detail", args=[obj.pk])


class WebhookTestView(_WebhookAction):
    success_message = "A test delivery to {object.name} is on its way; reload to see its result."

    def perform(self, obj: WebhookSubscription) -> Any:
        return services.send_test(actor=self.request.user, subscription=obj)


class WebhookRotateSecretView(_WebhookAction):
    success_message = "The secret of {object.name} was replaced. Copy the new one now: it is shown once."

    def perform(self, obj: WebhookSubscription) -> Any:
        subscription, secret = services.rotate_secret(actor=self.request.user, subscription=obj)
        _hand_over_secret(self.request, subscription, secret)
        return subscription


class WebhookEnableView(_WebhookAction):
    success_message = "Webhook {object.name} is enabled again."

    def perform(self, obj: WebhookSubscription) -> Any:
        return services.enable(actor=self.request.user, subscription=obj)


class WebhookDeleteView(_WebhookAction):
    permission_required = "integrations.delete_webhooksubscription"
    success_message = "Webhook {object.name} deleted."

    def perform(self, obj: WebhookSubscription) -> Any:
        services.delete_subscription(actor=self.request.user, subscription=obj)

    def get_success_url(self, obj: Any) -> str:
        return reverse("integrations:webhook-list")


class DeliveryRedeliverView(ObjectActionView):
    model = WebhookDelivery
    permission_required = "integrations.change_webhookdelivery"
    success_message = "Delivery {object.pk} is queued again."

    def perform(self, obj: WebhookDelivery) -> Any:
        return services.redeliver(actor=self.request.user, delivery=obj)

    def get_success_url(self, obj: Any) -> str:
        return reverse("integrations:webhook-detail", args=[obj.subscription_id])
