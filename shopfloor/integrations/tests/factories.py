"""factory_boy factories for integrations (organization from context or `organization=`)."""

import factory
from django.utils import timezone

from shopfloor.core import tenancy
from shopfloor.core.models import OutboxEvent
from shopfloor.core.tests.factories import OrganizationFactory, TenantFactory
from shopfloor.integrations.models import WebhookDelivery, WebhookSubscription


class WebhookSubscriptionFactory(TenantFactory):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"Webhook {n}")
    # Port 9 (discard) on the loopback: nothing listens, so a stray send fails at once, offline.
    url = factory.Sequence(lambda n: f"http://127.0.0.1:9/hooks/{n}")
    secret = factory.Sequence(lambda n: f"whsec_test_{n:040d}")
    event_types = factory.LazyFunction(lambda: ["core.plant.created"])


class OutboxEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxEvent

    organization = factory.LazyFunction(lambda: tenancy.current_organization() or OrganizationFactory())
    event_type = "core.plant.created"
    payload = factory.LazyFunction(lambda: {"id": 1})
    dispatched_at = factory.LazyFunction(timezone.now)


class WebhookDeliveryFactory(TenantFactory):
    class Meta:
        model = WebhookDelivery

    subscription = factory.SubFactory(WebhookSubscriptionFactory, organization=factory.SelfAttribute("..organization"))
    event = factory.SubFactory(OutboxEventFactory, organization=factory.SelfAttribute("..organization"))
    event_type = factory.SelfAttribute("event.event_type")
    status = WebhookDelivery.Status.FAILED
    attempts = 1
    response_status = 500
    response_ms = 12
    error = "HTTP 500"
