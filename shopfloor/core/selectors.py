"""Read queries of core, already joined and filtered for their pages and endpoints."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from . import tenancy
from .models import AuditEvent


def organization_users() -> QuerySet:
    """Users with a membership in the organization in context."""
    User = get_user_model()
    return User.objects.filter(memberships__organization_id=tenancy.require_organization().pk).distinct()


def recent_activity(limit: int = 20) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("actor").order_by("-sequence")[:limit]
