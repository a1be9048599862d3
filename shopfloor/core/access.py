"""One permission check for the API and the web: `require(user, perm, plant=None)`.

Permissions are codenames: Django's model permissions (`core.add_plant`) and action
permissions registered in code (`production.release_workorder`). A role holds codenames or
patterns (`quality.*`, `*.view_*`), so a role template keeps covering what later apps add.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from rest_framework import permissions as drf_permissions

from . import tenancy

M = TypeVar("M", bound=Model)

if TYPE_CHECKING:
    from .models import Membership, Plant

_ACTION_PERMISSIONS: dict[str, str] = {}


def register_permission(codename: str, label: str) -> str:
    """Declare an action permission (`app.verb_thing`) so roles can grant it."""
    if "." not in codename:
        raise ValueError("Permission codenames are 'app_label.codename'.")
    _ACTION_PERMISSIONS[codename] = label
    all_permissions.cache_clear()
    return codename


@lru_cache(maxsize=1)
def all_permissions() -> dict[str, str]:
    """Every grantable codename with a human label: model permissions plus action permissions."""
    from django.apps import apps
    from django.contrib.auth.management import _get_all_permissions

    found: dict[str, str] = {}
    for model in apps.get_models():
        if model._meta.app_label not in {"core"} and not model.__module__.startswith("shopfloor."):
            continue
        for codename, label in _get_all_permissions(model._meta):
            found[f"{model._meta.app_label}.{codename}"] = label
    found.update(_ACTION_PERMISSIONS)
    return dict(sorted(found.items()))


def expand(patterns: Iterable[str]) -> frozenset[str]:
    """The codenames a list of codenames and patterns grants."""
    known = all_permissions()
    granted: set[str] = set()
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            granted.update(fnmatch.filter(known, pattern))
        else:
            granted.add(pattern)
    return frozenset(granted)


def unknown_patterns(patterns: Iterable[str]) -> list[str]:
    """Patterns that grant nothing: a typo in a role is an error, not a silent no-op."""
    known = all_permissions()
    return [p for p in patterns if not fnmatch.filter(known, p)]


# What every member needs for their own inbox, whatever their job: mark notifications read and
# choose how they arrive. Both act on the user's own rows only (core.notifications), so they
# grant nothing over anyone else; they are still codenames so that "no role" means "no access".
PERSONAL_PERMISSIONS: list[str] = [
    "core.change_notification",
    "core.add_notificationpreference",
    "core.change_notificationpreference",
    "core.delete_notificationpreference",
]

ROLE_TEMPLATES: dict[str, dict[str, Any]] = {
    "Administrator": {"description": "Everything in the organization.", "permissions": ["*"]},
    "Production Manager": {
        "description": "Runs production: work orders, routings, schedules, people on the floor.",
        "permissions": [
            "*.view_*",
            "production.*",
            "planning.*",
            "resources.*",
            "catalog.*",
            "workforce.*",
            "inventory.*",
            "field.*",
            "sales.view_*",
            "quality.view_*",
            "workflows.*",
        ],
    },
    "Planner": {
        "description": "Plans material and capacity; firms planned orders.",
        "permissions": [
            "*.view_*",
            "planning.*",
            "production.add_workorder",
            "production.change_workorder",
            "purchasing.add_purchaseorder",
            "purchasing.change_purchaseorder",
        ],
    },
    "Buyer": {
        "description": "Buys: suppliers and their approval, purchase orders (approves others' above the threshold).",
        "permissions": ["*.view_*", "partners.*", "purchasing.*", "inventory.add_stockmove"],
    },
    "Technician": {
        "description": "Works operations on the shop floor.",
        "permissions": [
            "*.view_*",
            "production.change_operation",
            "production.add_timeentry",
            "production.add_materialissue",
            "inventory.add_stockmove",
        ],
    },
    "QC Inspector": {
        "description": "Inspects, records measurements, raises and works NCRs.",
        # Deciding an inspection moves its stock out of or into quarantine, and an NCR's scrap
        # or return posts stock moves; scrapping work in progress books it on the operation.
        # Rework and repair open work orders: production's right, not granted here.
        "permissions": ["*.view_*", "quality.*", "inventory.add_stockmove", "production.change_operation"],
    },
    "Storekeeper": {
        "description": "Receives, moves, counts and ships stock.",
        "permissions": [
            "*.view_*",
            "inventory.*",
            "purchasing.add_receipt",
            "logistics.*",
            "sales.ship_salesorder",
            "field.receive_fieldasset",
            "field.ship_fieldasset",
            "field.return_fieldasset",
        ],
    },
    "Sales": {
        "description": "Takes customer orders, confirms them (reserving stock) and follows them to shipment.",
        "permissions": [
            "*.view_*",
            "sales.*",
            "inventory.add_reservation",
            "inventory.change_reservation",
            "inventory.add_stockmove",
        ],
    },
    "Maintenance Technician": {
        "description": "Keeps machines running: work requests, preventive maintenance, downtime.",
        "permissions": ["*.view_*", "maintenance.*", "resources.change_machine"],
    },
    "Viewer": {
        "description": "Reads everything, changes nothing but their own inbox.",
        "permissions": ["*.view_*"],
    },
}
for _spec in ROLE_TEMPLATES.values():
    if "*" not in _spec["permissions"]:
        _spec["permissions"] = _spec["permissions"] + PERSONAL_PERMISSIONS


class _Grant:
    """A user's active membership in one organization, with what its roles grant and the plants
    it is limited to (empty: every plant)."""

    __slots__ = ("membership", "patterns", "plant_ids", "permissions")

    def __init__(self, membership: Membership) -> None:
        self.membership = membership
        self.patterns: list[str] = []
        self.plant_ids: set[int] = set()
        self.permissions: frozenset[str] | None = None


def _grants(user: Any) -> dict[int, _Grant]:
    """Every active membership of the user, by organization id, with its organization, its
    roles' permission patterns and its plants: one query per request (the user object lives one
    request; `forget` drops it sooner). Every page asks (middleware, menu, views, services), so
    these were four queries (organization, membership, roles, plants) on every request."""
    from .models import Membership, Organization

    cached = user.__dict__.get("_sf_grants")
    if cached is not None:
        return cached
    member_fields = [f.attname for f in Membership._meta.concrete_fields]
    org_fields = [f.attname for f in Organization._meta.concrete_fields]
    # One row per (role, plant) pair of each membership: a handful for any real user.
    rows = (
        Membership.objects.unscoped()
        .filter(user=user, is_active=True)
        .order_by()  # no ORDER BY: compiling one hashes every selected column
        .values_list(
            *member_fields,
            *(f"organization__{name}" for name in org_fields),
            "roles__id",
            "roles__permissions",
            "plants__id",
        )
    )
    grants: dict[int, _Grant] = {}
    org_at = member_fields.index("organization_id")
    n_member, n_org = len(member_fields), len(org_fields)
    seen_roles: set[int] = set()
    for row in rows:
        grant = grants.get(row[org_at])
        if grant is None:
            membership = Membership.from_db(rows.db, member_fields, row[:n_member])
            membership.organization = Organization.from_db(rows.db, org_fields, row[n_member : n_member + n_org])
            membership.user = user
            grant = grants[row[org_at]] = _Grant(membership)
        role_id, permissions, plant_id = row[n_member + n_org :]
        if role_id is not None and role_id not in seen_roles:
            seen_roles.add(role_id)
            grant.patterns.extend(permissions or [])
        if plant_id is not None:
            grant.plant_ids.add(plant_id)
    user.__dict__["_sf_grants"] = grants
    return grants


def _grant(user: Any, organization: Any = None) -> _Grant | None:
    organization = organization or tenancy.current_organization()
    if organization is None or not getattr(user, "is_authenticated", False):
        return None
    return _grants(user).get(organization.pk)


def memberships_of(user: Any) -> list[Membership]:
    """The user's active memberships, each with its organization loaded (active or not)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [grant.membership for grant in _grants(user).values()]


def organizations_of(user: Any) -> list[Any]:
    """The active organizations the user is an active member of, by name: what the request may
    act in and the organization switcher offers (read with the memberships, no query of its own)."""
    organizations = (m.organization for m in memberships_of(user) if m.organization.is_active)
    return sorted(organizations, key=lambda org: (org.name, org.pk))


def membership_for(user: Any, organization: Any = None) -> Membership | None:
    """The user's active membership in the organization (default: the one in context)."""
    grant = _grant(user, organization)
    return grant.membership if grant is not None else None


def permissions_of(user: Any, organization: Any = None) -> frozenset[str]:
    grant = _grant(user, organization)
    if grant is None:
        return frozenset()
    if grant.permissions is None:
        grant.permissions = expand(grant.patterns)
    return grant.permissions


def forget(user: Any) -> None:
    """Drop the per-request caches after roles or memberships changed."""
    user.__dict__.pop("_sf_grants", None)


def allowed_plant_ids(user: Any, organization: Any = None) -> set[int] | None:
    """None means every plant of the organization."""
    if getattr(user, "is_superuser", False):
        return None
    grant = _grant(user, organization)
    if grant is None:
        return set()
    return set(grant.plant_ids) or None


def works_at(user: Any, plant_id: int, organization: Any = None) -> bool:
    """Whether `user` works at the plant (every plant, when their membership names none); from
    the membership the request has read already, no query."""
    plants = allowed_plant_ids(user, organization)
    return plants is None or plant_id in plants


def at_user_plants(queryset: QuerySet[M], user: Any, field: str = "plant") -> QuerySet[M]:
    """`queryset` limited to the plants `user` works at (`field` leads to the row's plant);
    unchanged for a member of every plant, empty for a user who is no member. Reads of
    plant-bound records use it so that another plant's row is not found (404), like another
    organization's."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    plants = allowed_plant_ids(user)
    if plants is None:
        return queryset
    return queryset.filter(**{f"{field}__in": plants})


def plants_of(user: Any) -> QuerySet[Plant]:
    """The active plants of the current organization `user` works at, by code."""
    from .models import Plant

    return at_user_plants(Plant.objects.filter(is_active=True), user, "pk").order_by("code")


def has_perm(user: Any, perm: str, plant: Plant | None = None, organization: Any = None) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    if perm not in permissions_of(user, organization):
        return False
    return plant is None or works_at(user, plant.pk, organization)


def require(user: Any, perm: str, plant: Plant | None = None) -> None:
    """Raise PermissionDenied unless the user holds `perm` in the current organization (and plant)."""
    if not has_perm(user, perm, plant=plant):
        where = f" at plant {plant.code}" if plant is not None else ""
        raise PermissionDenied(f"You need the permission '{perm}'{where}.")


def model_perm(model: Any, verb: str) -> str:
    return f"{model._meta.app_label}.{verb}_{model._meta.model_name}"


class ModelPermission(drf_permissions.BasePermission):
    """DRF face of `require`: method -> view/add/change/delete on the viewset's model.

    Actions declare `permission_required` on the view (or via `@action(..., permission=...)`
    through `required_permission`) and are checked the same way.
    """

    METHOD_VERBS = {
        "GET": "view",
        "HEAD": "view",
        "OPTIONS": "view",
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }

    def required_permission(self, request: Any, view: Any) -> str | None:
        explicit = getattr(view, "required_permission", None)
        if callable(explicit):
            explicit = explicit(request)
        if explicit:
            return explicit
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:
            return None
        return model_perm(model, self.METHOD_VERBS.get(request.method, "change"))

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if tenancy.current_organization() is None and not request.user.is_superuser:
            raise PermissionDenied("You are not a member of any active organization.")
        perm = self.required_permission(request, view)
        if perm is None:
            return True
        if not has_perm(request.user, perm):
            raise PermissionDenied(f"You need the permission '{perm}'.")
        return True


class PermissionRequiredMixin:
    """Web face of `require`: `permission_required = "core.view_plant"` on a view."""

    permission_required: str | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if self.permission_required:
            require(request.user, self.permission_required)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
