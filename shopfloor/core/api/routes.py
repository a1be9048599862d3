"""Registration of core's resources on the one router (the contract suite walks `router.registry`)."""

from .router import router


def register() -> None:
    from . import resources as r

    router.register("core/organizations", r.OrganizationViewSet, basename="organization")
    router.register("core/plants", r.PlantViewSet, basename="plant")
    router.register("core/users", r.UserViewSet, basename="user")
    router.register("core/memberships", r.MembershipViewSet, basename="membership")
    router.register("core/roles", r.RoleViewSet, basename="role")
    router.register("core/api-tokens", r.ApiTokenViewSet, basename="apitoken")
    router.register("core/type-lists", r.TypeListViewSet, basename="typelist")
    router.register("core/type-list-entries", r.TypeListEntryViewSet, basename="typelistentry")
    router.register("core/custom-fields", r.CustomFieldViewSet, basename="customfield")
    router.register("core/audit-events", r.AuditEventViewSet, basename="auditevent")
    router.register("core/notifications", r.NotificationViewSet, basename="notification")
    router.register("core/notification-preferences", r.NotificationPreferenceViewSet, basename="notificationpreference")


__all__ = ["register", "router"]
