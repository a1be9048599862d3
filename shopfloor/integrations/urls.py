from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("webhooks/", views.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/new/", views.WebhookCreateView.as_view(), name="webhook-create"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/edit/", views.WebhookUpdateView.as_view(), name="webhook-edit"),
    path("webhooks/<int:pk>/test/", views.WebhookTestView.as_view(), name="webhook-test"),
    path("webhooks/<int:pk>/rotate-secret/", views.WebhookRotateSecretView.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<int:pk>/enable/", views.WebhookEnableView.as_view(), name="webhook-enable"),
    path("webhooks/<int:pk>/delete/", views.WebhookDeleteView.as_view(), name="webhook-delete"),
    path("deliveries/<int:pk>/redeliver/", views.DeliveryRedeliverView.as_view(), name="delivery-redeliver"),
]
