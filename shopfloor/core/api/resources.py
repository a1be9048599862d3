"""API resources of core: organization, plants, users and memberships, roles, tokens,
custom fields, type lists, audit trail, the caller's notifications and their preferences."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import access, notifications, selectors, services, tenancy
from ..models import (
    ApiToken,
    AuditEvent,
    CustomFieldDefinition,
    Membership,
    Notification,
    NotificationPreference,
    Organization,
    Plant,
    Role,
    TypeList,
    TypeListEntry,
)
from .filters import ShopfloorFilterSet, UTCIsoDateTimeFilter
from .schema import ProblemSerializer
from .serializers import StrictSerializerMixin, TenantModelSerializer
from .viewsets import TenantModelViewSet, TenantReadOnlyViewSet

User = get_user_model()


# --- Organization (the caller's own) ---------------------------------------------------------


class OrganizationSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "is_active", "created_at", "updated_at"]
        read_only_fields = ["slug", "created_at", "updated_at"]


class OrganizationViewSet(TenantModelViewSet):
    """The organization the caller acts in. Creating organizations is for platform admins."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "id"]
    http_method_names = ["get", "patch", "put", "head", "options"]

    def get_queryset(self) -> Any:
        return Organization.objects.filter(pk=tenancy.current_organization_id())

    def required_permission(self, request: Any) -> str:
        return "core.view_organization" if request.method in ("GET", "HEAD", "OPTIONS") else "core.change_organization"

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_organization(
            actor=self.request.user, organization=serializer.instance, data=dict(serializer.validated_data)
        )


# --- Plants ----------------------------------------------------------------------------------


class PlantSerializer(TenantModelSerializer):
    class Meta:
        model = Plant
        fields = ["id", "code", "name", "timezone", "address", "is_active", "custom_fields", "created_at", "updated_at"]


class PlantFilter(ShopfloorFilterSet):
    class Meta:
        model = Plant
        fields = {"code": ["exact"], "is_active": ["exact"], "timezone": ["exact"]}


class PlantViewSet(TenantModelViewSet):
    queryset = Plant.objects.all()
    serializer_class = PlantSerializer
    filterset_class = PlantFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id", "created_at"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_plant(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_plant(
            actor=self.request.user, plant=serializer.instance, data=dict(serializer.validated_data)
        )


# --- Roles ------------------------------------------------------------------------------------


class RoleSerializer(TenantModelSerializer):
    permissions = serializers.ListField(child=serializers.CharField(max_length=120), required=False)

    class Meta:
        model = Role
        fields = ["id", "name", "description", "permissions", "template", "created_at", "updated_at"]
        read_only_fields = ["template"]


class RoleViewSet(TenantModelViewSet):
    queryset = Role.objects.all()
    serializer_class = RoleSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "id"]
    filterset_fields = ["name", "template"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_role(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_role(
            actor=self.request.user, role=serializer.instance, data=dict(serializer.validated_data)
        )

    @extend_schema(
        responses={200: {"type": "object", "additionalProperties": {"type": "string"}}},
        description="Every permission codename a role can grant, with its label.",
    )
    @action(detail=False, methods=["get"])
    def available(self, request: Any) -> Response:
        """Every permission codename a role can grant, with its label."""
        return Response(access.all_permissions())


# --- Users and memberships --------------------------------------------------------------------


class UserSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "display_name", "is_active"]
        read_only_fields = fields


class UserViewSet(TenantReadOnlyViewSet):
    """People who are members of the caller's organization."""

    queryset = User.objects.all()
    serializer_class = UserSerializer
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["username", "id"]
    filterset_fields = ["username", "is_active"]

    def get_queryset(self) -> Any:
        return selectors.organization_users()

    def required_permission(self, request: Any) -> str:
        return "core.view_membership"


class MembershipSerializer(TenantModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    username = serializers.CharField(source="user.username", read_only=True)
    roles = serializers.PrimaryKeyRelatedField(queryset=Role.objects.all(), many=True, required=False)
    plants = serializers.PrimaryKeyRelatedField(queryset=Plant.objects.all(), many=True, required=False)
    new_user = serializers.DictField(
        write_only=True,
        required=False,
        help_text="username, email, password, first_name, last_name: create the login too.",
    )

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "roles", "plants", "is_active", "new_user", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("user") and not attrs.get("new_user"):
            raise serializers.ValidationError({"user": ["Give an existing user or new_user."]})
        if self.instance is not None and ("user" in attrs or "new_user" in attrs):
            raise serializers.ValidationError({"user": ["The user of a membership cannot change."]})
        return attrs


class MembershipViewSet(TenantModelViewSet):
    queryset = Membership.objects.select_related("user").prefetch_related("roles", "plants")
    serializer_class = MembershipSerializer
    search_fields = ["user__username", "user__email"]
    ordering_fields = ["id", "user__username"]
    filterset_fields = ["is_active", "roles"]

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        if data.get("new_user"):
            new = data["new_user"]
            allowed = {"username", "email", "password", "first_name", "last_name"}
            unknown = set(new) - allowed
            if unknown:
                raise serializers.ValidationError({f"new_user.{k}": ["Unknown field."] for k in sorted(unknown)})
            missing = [k for k in ("username", "password") if not new.get(k)]
            if missing:
                raise serializers.ValidationError({f"new_user.{k}": ["This field is required."] for k in missing})
            serializer.instance = services.create_user_and_member(
                actor=self.request.user,
                username=str(new["username"]),
                email=str(new.get("email", "")),
                password=str(new["password"]),
                first_name=str(new.get("first_name", "")),
                last_name=str(new.get("last_name", "")),
                roles=data.get("roles", []),
                plants=data.get("plants", []),
            )
        else:
            serializer.instance = services.add_member(
                actor=self.request.user, user=data["user"], roles=data.get("roles", []), plants=data.get("plants", [])
            )

    def perform_update(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.update_membership(
            actor=self.request.user,
            membership=serializer.instance,
            roles=data.get("roles"),
            plants=data.get("plants"),
            is_active=data.get("is_active"),
        )

    def perform_destroy(self, instance: Any) -> None:
        services.remove_member(actor=self.request.user, membership=instance)


# --- API tokens -------------------------------------------------------------------------------


class ApiTokenSerializer(TenantModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    token = serializers.SerializerMethodField(help_text="The secret, returned once on creation only.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "username", "prefix", "expires_at", "revoked_at", "last_used_at", "created_at", "token"]
        read_only_fields = ["prefix", "revoked_at", "last_used_at", "created_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_token(self, obj: ApiToken) -> str | None:
        return self.context.get("secret")


class ApiTokenViewSet(TenantModelViewSet):
    """Your personal API tokens (holders of core.view_apitoken... see all of the organization's)."""

    queryset = ApiToken.objects.select_related("user")
    serializer_class = ApiTokenSerializer
    search_fields = ["name", "prefix"]
    ordering_fields = ["created_at", "id", "name"]
    filterset_fields = ["user"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        if not access.has_perm(self.request.user, "core.delete_apitoken"):
            qs = qs.filter(user=self.request.user)
        return qs

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.create_api_token(
            actor=request.user,
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expires_at"),
        )
        body = ApiTokenSerializer(token, context={**self.get_serializer_context(), "secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: ApiTokenSerializer, 409: OpenApiResponse(ProblemSerializer, description="Already revoked")},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Any, pk: Any = None) -> Response:
        token = services.revoke_api_token(actor=request.user, token=self.get_object())
        return Response(self.get_serializer(token).data)

    def required_permission(self, request: Any) -> str | None:
        if self.action == "revoke":
            return "core.add_apitoken"  # own tokens; the service checks the rest
        return None


# --- Type lists and custom fields --------------------------------------------------------------


class TypeListEntrySerializer(TenantModelSerializer):
    type_list = serializers.PrimaryKeyRelatedField(queryset=TypeList.objects.all())

    class Meta:
        model = TypeListEntry
        fields = ["id", "type_list", "value", "label", "position", "is_active"]


class TypeListSerializer(TenantModelSerializer):
    entries = TypeListEntrySerializer(many=True, read_only=True)

    class Meta:
        model = TypeList
        fields = ["id", "key", "name", "description", "entries", "created_at", "updated_at"]


class TypeListViewSet(TenantModelViewSet):
    queryset = TypeList.objects.prefetch_related("entries")
    serializer_class = TypeListSerializer
    search_fields = ["key", "name"]
    ordering_fields = ["key", "name", "id"]
    filterset_fields = ["key"]


class TypeListEntryViewSet(TenantModelViewSet):
    queryset = TypeListEntry.objects.select_related("type_list")
    serializer_class = TypeListEntrySerializer
    search_fields = ["value", "label"]
    ordering_fields = ["position", "value", "id"]
    filterset_fields = ["type_list", "is_active"]

    def required_permission(self, request: Any) -> str:
        return "core.view_typelist" if request.method in ("GET", "HEAD", "OPTIONS") else "core.change_typelist"

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_type_list_entry(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_object(
            actor=self.request.user,
            obj=serializer.instance,
            data=dict(serializer.validated_data),
            perm="core.change_typelist",
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_object(actor=self.request.user, obj=instance, perm="core.change_typelist")


class CustomFieldSerializer(TenantModelSerializer):
    type_list = serializers.PrimaryKeyRelatedField(queryset=TypeList.objects.all(), required=False, allow_null=True)

    class Meta:
        model = CustomFieldDefinition
        fields = [
            "id",
            "model",
            "key",
            "label",
            "field_type",
            "required",
            "help_text",
            "unit",
            "min_value",
            "max_value",
            "max_length",
            "pattern",
            "type_list",
            "position",
            "is_active",
            "created_at",
            "updated_at",
        ]


class CustomFieldViewSet(TenantModelViewSet):
    queryset = CustomFieldDefinition.objects.select_related("type_list")
    serializer_class = CustomFieldSerializer
    search_fields = ["key", "label"]
    ordering_fields = ["model", "position", "key", "id"]
    filterset_fields = ["model", "field_type", "is_active"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_custom_field(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_custom_field(
            actor=self.request.user, definition=serializer.instance, data=dict(serializer.validated_data)
        )


# --- Audit trail ------------------------------------------------------------------------------


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "sequence",
            "occurred_at",
            "actor",
            "actor_name",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "changes",
            "request_id",
            "reason",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class AuditEventFilter(ShopfloorFilterSet):
    occurred_after = UTCIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UTCIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["object_type", "object_id", "action", "actor", "request_id"]


class AuditEventViewSet(TenantReadOnlyViewSet):
    """The organization's audit trail: append-only, newest first."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    search_fields = ["object_repr", "actor_name", "reason"]
    ordering_fields = ["id", "sequence"]
    ordering = ["-sequence"]


# --- Notifications: the caller's own inbox and preferences ------------------------------------------
#
# Permissions: reading the inbox is `core.view_notification`, so every role with `*.view_*`
# (the Viewer template included) reads it; marking read is `core.change_notification` and
# preferences are the `*_notificationpreference` model permissions, which every shipped role
# template carries (access.PERSONAL_PERMISSIONS). Whatever the permissions, the querysets hold
# only the caller's own rows: someone else's notification is a 404, even for an Administrator.


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "event_type",
            "title",
            "body",
            "url",
            "object_type",
            "object_id",
            "read_at",
            "emailed_at",
            "created_at",
        ]
        read_only_fields = fields


class NotificationFilter(ShopfloorFilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Only unread (true)")

    class Meta:
        model = Notification
        fields = ["event_type", "object_type", "object_id"]


class NotificationViewSet(TenantReadOnlyViewSet):
    """Your notifications, newest first; mark one or all read."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    search_fields = ["title", "body"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> Any:
        return notifications.own_notifications(self.request.user)

    def required_permission(self, request: Any) -> str:
        return "core.change_notification" if self.action in ("read", "read_all") else "core.view_notification"

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Any, pk: Any = None) -> Response:
        """Mark the notification read (again is harmless)."""
        row = notifications.mark_read(actor=request.user, notification=self.get_object())
        return Response(self.get_serializer(row).data)

    @extend_schema(
        request=None,
        responses={200: inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Any) -> Response:
        """Mark every unread notification of yours read; answers how many changed."""
        return Response({"marked": notifications.mark_all_read(actor=request.user)})


class NotificationPreferenceSerializer(TenantModelSerializer):
    class Meta:
        model = NotificationPreference
        fields = ["id", "event_type", "in_app", "email", "created_at", "updated_at"]


class NotificationPreferenceViewSet(TenantModelViewSet):
    """How you want each event type (or pattern such as `workflows.*`) delivered."""

    queryset = NotificationPreference.objects.all()
    serializer_class = NotificationPreferenceSerializer
    search_fields = ["event_type"]
    ordering_fields = ["event_type", "id"]
    filterset_fields = ["event_type", "in_app", "email"]

    def get_queryset(self) -> Any:
        return notifications.own_preferences(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = notifications.create_preference(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = notifications.update_preference(
            actor=self.request.user, preference=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Any) -> None:
        notifications.delete_preference(actor=self.request.user, preference=instance)
