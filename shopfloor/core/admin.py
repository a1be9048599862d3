"""Django admin for platform administrators: every change it makes is in the audit trail.

The admin is a platform tool (superusers only). Platform-level records, organizations and
user accounts, are edited here through the same audit trail as the services use. Tenant
records (plants, roles, members, tokens, lists...) are shown read-only: their rules live in
the services (tenancy, validation, last-administrator checks) that the web UI and the API
call, and a second, unchecked way to change them would be a hole in the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models, transaction
from django.http import HttpRequest

from . import audit, services, tenancy
from .models import (
    ApiToken,
    AuditEvent,
    CustomFieldDefinition,
    Membership,
    Organization,
    Plant,
    Role,
    TypeList,
    TypeListEntry,
    User,
)


class AuditedAdminMixin:
    """Records create, update (old and new values, many-to-many included) and delete."""

    def _organization_of(self, obj: models.Model) -> Organization | None:
        if isinstance(obj, Organization):
            return obj if obj.pk else None
        return getattr(obj, "organization", None)

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        before: dict[str, Any] = {}
        if change:
            before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk))
        request._audit_before = before  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        obj = form.instance
        changes = audit.diff(getattr(request, "_audit_before", {}), audit.snapshot(obj))
        if changes:
            with tenancy.use(self._organization_of(obj), request.user):
                audit.record(
                    request.user, obj, action="update" if change else "create", changes=changes, reason="admin"
                )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        before, label, pk, text = audit.snapshot(obj), audit.object_type_of(obj), obj.pk, str(obj)
        org = self._organization_of(obj)
        with transaction.atomic():
            super().delete_model(request, obj)  # type: ignore[misc]
            audit.record(
                request.user,
                None,
                action="delete",
                changes=audit.diff(before, {}),
                reason="admin",
                organization=None if isinstance(obj, Organization) else org,
                object_type=label,
                object_id=str(pk),
                object_repr=text,
            )

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyTenantAdmin(admin.ModelAdmin):
    """Tenant records across organizations, to look at; changed in the app, not here."""

    list_display: tuple[str, ...] = ("__str__", "organization")
    list_filter: tuple[str, ...] = ("organization",)

    def get_queryset(self, request: HttpRequest) -> Any:
        return self.model._default_manager.unscoped().select_related("organization")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


site = admin.site
site.site_header = "Shopfloor platform administration"
site.site_title = "Shopfloor admin"


@admin.register(Organization, site=site)
class OrganizationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "is_active", "created_at")
    search_fields = ("name", "slug")

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new organization needs its role templates and events: the service does it all.
        created = services.create_organization(actor=request.user, name=obj.name, slug=obj.slug)
        obj.pk = created.pk
        obj._state.adding = False
        request._audit_before = audit.snapshot(created)  # type: ignore[attr-defined]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # organizations are deactivated, never deleted: their audit chain stays


@admin.register(User, site=site)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_superuser")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # users are deactivated: audit events keep pointing at them

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """Django's password form saves without save_model: record the change here."""
        user = self.get_object(request, id)
        before = audit.snapshot(user) if user is not None else {}
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST":
            changes = audit.diff(before, audit.snapshot(User.objects.get(pk=user.pk)))
            if changes:
                with tenancy.use(None, request.user):
                    audit.record(request.user, user, action="update", changes=changes, reason="admin: password set")
        return response


@admin.register(AuditEvent, site=site)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "organization", "sequence", "actor_name", "action", "object_type", "object_repr")
    list_filter = ("action", "organization")
    search_fields = ("object_repr", "actor_name", "object_type", "request_id")

    def get_queryset(self, request: HttpRequest) -> Any:
        return AuditEvent.objects.unscoped().select_related("organization")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for _model in (Plant, Role, Membership, ApiToken, TypeList, TypeListEntry, CustomFieldDefinition):
    site.register(_model, ReadOnlyTenantAdmin)
