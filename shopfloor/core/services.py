"""Every write of core: one function per business action, atomic, audited, tenant-safe."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from . import access, audit, customfields, events, tenancy
from .errors import Conflict
from .models import (
    ApiToken,
    CustomFieldDefinition,
    Membership,
    Organization,
    Plant,
    Role,
    TypeList,
    TypeListEntry,
    User,
)

M = TypeVar("M", bound=models.Model)


# --- Generic create / update / delete ----------------------------------------------------------

# Higher apps may forbid ordinary edits of some records (closed or signed ones: workflows).
# They register a function answering why an object may not be edited, or None.
_edit_guards: list[Any] = []


def register_edit_guard(guard: Any) -> None:
    if guard not in _edit_guards:
        _edit_guards.append(guard)


def ensure_editable(obj: models.Model) -> None:
    """Raise Conflict (409) if a registered guard refuses ordinary edits of `obj`."""
    for guard in _edit_guards:
        reason = guard(obj)
        if reason:
            raise Conflict(reason, code="locked")


def _event_name(obj: models.Model | type[models.Model], verb: str) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}.{verb}"


def _split_m2m(model: type[models.Model], data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    m2m_names = {f.name for f in model._meta.many_to_many}
    plain = {k: v for k, v in data.items() if k not in m2m_names}
    m2m = {k: v for k, v in data.items() if k in m2m_names}
    return plain, m2m


def _full_clean(obj: models.Model) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            # The tenant is filled by the platform; a clash on a per-organization unique
            # constraint is reported by Django under __all__, which is what a user should see.
            raise ValidationError(exc.error_dict) from None
        raise


def _save(obj: models.Model, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        raise Conflict(f"This clashes with an existing record ({exc.__class__.__name__}).") from exc


@transaction.atomic
def create_object(
    *,
    actor: Any,
    model: type[M],
    data: dict[str, Any],
    perm: str | None = None,
    plant: Plant | None = None,
    reason: str = "",
) -> M:
    """Create a tenant object from validated data: permission, validation, audit, event."""
    access.require(actor, perm or access.model_perm(model, "add"), plant=plant)
    plain, m2m = _split_m2m(model, data)
    if customfields.supports_custom_fields(model):
        plain["custom_fields"] = customfields.clean_values(model, plain.get("custom_fields"))
    obj = model(**plain)
    if hasattr(obj, "organization_id"):
        obj.organization = tenancy.require_organization()
        obj.created_by = actor if getattr(actor, "is_authenticated", False) else None
    _full_clean(obj)
    _save(obj)
    for name, values in m2m.items():
        getattr(obj, name).set(values)
    audit.record(actor, obj, action="create", changes=audit.diff({}, audit.snapshot(obj)), reason=reason)
    events.emit(_event_name(obj, "created"), {"id": obj.pk, "actor": getattr(actor, "pk", None)})
    return obj


@transaction.atomic
def update_object(
    *, actor: Any, obj: M, data: dict[str, Any], perm: str | None = None, plant: Plant | None = None, reason: str = ""
) -> M:
    """Change fields of a tenant object; records the old and new values of what changed."""
    access.require(actor, perm or access.model_perm(type(obj), "change"), plant=plant)
    obj = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    ensure_editable(obj)
    before = audit.snapshot(obj)
    plain, m2m = _split_m2m(type(obj), data)
    if "custom_fields" in plain and customfields.supports_custom_fields(type(obj)):
        plain["custom_fields"] = customfields.clean_values(
            type(obj), plain["custom_fields"], existing=obj.custom_fields, partial=True
        )
    for name, value in plain.items():
        setattr(obj, name, value)
    _full_clean(obj)
    _save(obj)
    for name, values in m2m.items():
        getattr(obj, name).set(values)
    changes = audit.diff(before, audit.snapshot(obj))
    if changes:
        audit.record(actor, obj, action="update", changes=changes, reason=reason)
        events.emit(
            _event_name(obj, "updated"),
            {"id": obj.pk, "fields": sorted(changes), "actor": getattr(actor, "pk", None)},
        )
    return obj


@transaction.atomic
def delete_object(
    *, actor: Any, obj: models.Model, perm: str | None = None, plant: Plant | None = None, reason: str = ""
) -> None:
    """Delete an object that nothing with history depends on; else 409 (deactivate it instead)."""
    access.require(actor, perm or access.model_perm(type(obj), "delete"), plant=plant)
    ensure_editable(obj)
    before = audit.snapshot(obj)
    pk, label, text = obj.pk, audit.object_type_of(obj), str(obj)
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        names = sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects})
        raise Conflict(f"Still used by {', '.join(names)}; deactivate it instead.") from exc
    audit.record(
        actor,
        None,
        action="delete",
        changes=audit.diff(before, {}),
        reason=reason,
        object_type=label,
        object_id=str(pk),
        object_repr=text,
    )
    events.emit(_event_name(type(obj), "deleted"), {"id": pk})


# --- Organizations and plants ------------------------------------------------------------------


def install_role_templates(organization: Organization) -> list[Role]:
    """Give an organization the shipped role templates (idempotent)."""
    roles = []
    with tenancy.use(organization):
        for name, spec in access.ROLE_TEMPLATES.items():
            role, _ = Role.objects.get_or_create(
                name=name,
                defaults={
                    "organization": organization,
                    "description": spec["description"],
                    "permissions": spec["permissions"],
                    "template": name,
                },
            )
            roles.append(role)
    return roles


@transaction.atomic
def create_organization(*, actor: Any, name: str, slug: str, admin: User | None = None) -> Organization:
    """Create a tenant with the role templates; `admin` becomes its first Administrator.

    Only platform administrators (superusers) create organizations.
    """
    if not getattr(actor, "is_superuser", False):
        raise access.PermissionDenied("Only platform administrators create organizations.")
    org = Organization(name=name, slug=slug)
    _full_clean(org)
    _save(org)
    with tenancy.use(org, actor):
        audit.record(actor, org, action="create", changes=audit.diff({}, audit.snapshot(org)))
        roles = install_role_templates(org)
        if admin is not None:
            membership = Membership.objects.create(organization=org, user=admin)
            membership.roles.set([r for r in roles if r.name == "Administrator"])
            audit.record(
                actor,
                membership,
                action="create",
                changes={"user": [None, admin.pk], "roles": [None, [r.pk for r in roles if r.name == "Administrator"]]},
            )
        events.emit("core.organization.created", {"id": org.pk})
    return org


@transaction.atomic
def update_organization(*, actor: Any, organization: Organization, data: dict[str, Any]) -> Organization:
    """Rename or deactivate the organization in context (Administrators: core.change_organization)."""
    if organization.pk != tenancy.current_organization_id() and not getattr(actor, "is_superuser", False):
        raise access.PermissionDenied("You can only change your own organization.")
    access.require(actor, "core.change_organization")
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = audit.snapshot(org)
    for name, value in data.items():
        setattr(org, name, value)
    _full_clean(org)
    _save(org)
    changes = audit.diff(before, audit.snapshot(org))
    if changes:
        audit.record(actor, org, action="update", changes=changes)
    return org


def create_plant(*, actor: Any, data: dict[str, Any]) -> Plant:
    return create_object(actor=actor, model=Plant, data=data)


def update_plant(*, actor: Any, plant: Plant, data: dict[str, Any]) -> Plant:
    return update_object(actor=actor, obj=plant, data=data, plant=plant)


# --- Roles and memberships ---------------------------------------------------------------------


def _check_permissions(patterns: Any) -> list[str]:
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValidationError({"permissions": ["Expected a list of permission codenames."]})
    unknown = access.unknown_patterns(patterns)
    if unknown:
        raise ValidationError({"permissions": [f"Unknown permission: {p}" for p in unknown]})
    return sorted(set(patterns))


def create_role(*, actor: Any, data: dict[str, Any]) -> Role:
    data = {**data, "permissions": _check_permissions(data.get("permissions", []))}
    return create_object(actor=actor, model=Role, data=data)


def update_role(*, actor: Any, role: Role, data: dict[str, Any]) -> Role:
    if "permissions" in data:
        data = {**data, "permissions": _check_permissions(data["permissions"])}
    role = update_object(actor=actor, obj=role, data=data)
    access.forget(actor)
    return role


def _check_last_administrator(membership: Membership, *, roles: Iterable[Role] | None, active: bool) -> None:
    """An organization never loses its last active Administrator (it could never be managed again)."""
    admin_ids = {r.pk for r in Role.objects.all() if "*" in (r.permissions or [])}
    keeps_admin = active and roles is not None and any(r.pk in admin_ids for r in roles)
    if keeps_admin:
        return
    was_admin = membership.is_active and membership.roles.filter(pk__in=admin_ids).exists()
    if not was_admin:
        return
    others = Membership.objects.filter(is_active=True, roles__pk__in=admin_ids).exclude(pk=membership.pk)
    if not others.exists():
        raise Conflict("This is the organization's last Administrator; appoint another first.")


@transaction.atomic
def add_member(*, actor: Any, user: User, roles: Iterable[Role] = (), plants: Iterable[Plant] = ()) -> Membership:
    """Give an existing user a membership in the organization in context."""
    access.require(actor, "core.add_membership")
    if Membership.objects.filter(user=user).exists():
        raise Conflict(f"{user.username} is already a member of this organization.")
    membership = Membership(user=user, organization=tenancy.require_organization(), created_by=actor)
    _save(membership)
    membership.roles.set(list(roles))
    membership.plants.set(list(plants))
    if user.default_organization_id is None:
        User.objects.filter(pk=user.pk).update(default_organization=membership.organization)
    audit.record(actor, membership, action="create", changes=audit.diff({}, audit.snapshot(membership)))
    events.emit("core.membership.created", {"id": membership.pk, "user": user.pk})
    return membership


@transaction.atomic
def create_user_and_member(
    *,
    actor: Any,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[Role] = (),
    plants: Iterable[Plant] = (),
) -> Membership:
    """Create a login and make it a member in one step (what an administrator usually wants)."""
    from django.contrib.auth.password_validation import validate_password

    access.require(actor, "core.add_membership")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ["A user with that username already exists."]})
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from None
    user.set_password(password)
    _full_clean(user)
    _save(user)
    audit.record(
        actor,
        user,
        action="create",
        changes=audit.diff({}, audit.snapshot(user)),
        organization=tenancy.require_organization(),
    )
    return add_member(actor=actor, user=user, roles=roles, plants=plants)


@transaction.atomic
def update_membership(
    *,
    actor: Any,
    membership: Membership,
    roles: Iterable[Role] | None = None,
    plants: Iterable[Plant] | None = None,
    is_active: bool | None = None,
) -> Membership:
    access.require(actor, "core.change_membership")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    before = audit.snapshot(membership)
    new_roles = list(roles) if roles is not None else list(membership.roles.all())
    active = membership.is_active if is_active is None else is_active
    _check_last_administrator(membership, roles=new_roles, active=active)
    if roles is not None:
        membership.roles.set(new_roles)
    if plants is not None:
        membership.plants.set(list(plants))
    if is_active is not None:
        membership.is_active = is_active
        membership.save(update_fields=["is_active", "updated_at"])
    changes = audit.diff(before, audit.snapshot(membership))
    if changes:
        audit.record(actor, membership, action="update", changes=changes)
        events.emit("core.membership.updated", {"id": membership.pk, "fields": sorted(changes)})
    access.forget(actor)
    return membership


@transaction.atomic
def remove_member(*, actor: Any, membership: Membership) -> None:
    access.require(actor, "core.delete_membership")
    _check_last_administrator(membership, roles=None, active=False)
    delete_object(actor=actor, obj=membership)


# --- API tokens --------------------------------------------------------------------------------

TOKEN_PREFIX = "sf_"


def hash_token_secret(secret: str) -> str:
    # The secret is 256 random bits: a fast hash is enough, a slow KDF would only slow requests.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, actor: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a personal token for the actor; returns the token and the secret shown once."""
    access.require(actor, "core.add_apitoken")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=actor,
        name=name,
        prefix=prefix,
        key_hash=hash_token_secret(secret),
        expires_at=expires_at,
        organization=tenancy.require_organization(),
        created_by=actor,
    )
    _full_clean(token)
    _save(token)
    audit.record(actor, token, action="create", changes=audit.diff({}, audit.snapshot(token)))
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token: the owner may revoke their own, holders of core.delete_apitoken any."""
    if token.user_id != actor.pk:
        access.require(actor, "core.delete_apitoken")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict("This token is already revoked.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit.record(actor, token, action="update", changes={"revoked_at": [None, token.revoked_at.isoformat()]})
    return token


_TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}([0-9a-f]{{8}})_([A-Za-z0-9_-]{{20,}})$")


def authenticate_token(raw: str) -> ApiToken | None:
    """The live token for a raw `sf_<prefix>_<secret>` string, or None. Platform code: no tenant yet."""
    match = _TOKEN_RE.match(raw.strip())
    if not match:
        return None
    token = ApiToken.objects.unscoped().select_related("user", "organization").filter(prefix=match.group(1)).first()
    if token is None or not secrets.compare_digest(token.key_hash, hash_token_secret(match.group(2))):
        return None
    now = timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active or not token.organization.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.unscoped().filter(pk=token.pk).update(last_used_at=now)
    return token


# --- Type lists and custom fields --------------------------------------------------------------


def create_type_list(*, actor: Any, data: dict[str, Any]) -> TypeList:
    return create_object(actor=actor, model=TypeList, data=data)


def create_type_list_entry(*, actor: Any, data: dict[str, Any]) -> TypeListEntry:
    return create_object(actor=actor, model=TypeListEntry, data=data, perm="core.change_typelist")


def _check_custom_field(data: dict[str, Any], existing: CustomFieldDefinition | None = None) -> None:
    from django.apps import apps

    def get(name: str) -> Any:
        return data[name] if name in data else getattr(existing, name, None)

    errors: dict[str, list[str]] = {}
    label = get("model") or ""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        model = None
    if model is None or not customfields.supports_custom_fields(model):
        errors["model"] = [f"'{label}' does not take custom fields."]
    kind = get("field_type")
    choice = kind in {CustomFieldDefinition.FieldType.CHOICE, CustomFieldDefinition.FieldType.MULTI_CHOICE}
    if choice and get("type_list") is None:
        errors["type_list"] = ["A choice field needs a type list."]
    if not choice and get("type_list") is not None:
        errors["type_list"] = ["Only choice fields take a type list."]
    low, high = get("min_value"), get("max_value")
    if low is not None and high is not None and low > high:
        errors["max_value"] = ["The maximum is below the minimum."]
    pattern = get("pattern") or ""
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            errors["pattern"] = [f"Not a valid regular expression: {exc}."]
    if existing is not None and "field_type" in data and data["field_type"] != existing.field_type:
        errors["field_type"] = ["The type of an existing field cannot change; add a new field."]
    if existing is not None and "model" in data and data["model"] != existing.model:
        errors["model"] = ["The model of an existing field cannot change."]
    if errors:
        raise ValidationError(errors)


def create_custom_field(*, actor: Any, data: dict[str, Any]) -> CustomFieldDefinition:
    _check_custom_field(data)
    return create_object(actor=actor, model=CustomFieldDefinition, data=data)


def update_custom_field(
    *, actor: Any, definition: CustomFieldDefinition, data: dict[str, Any]
) -> CustomFieldDefinition:
    _check_custom_field(data, existing=definition)
    return update_object(actor=actor, obj=definition, data=data)


# --- Personal preferences ----------------------------------------------------------------------


@transaction.atomic
def set_theme(*, actor: User, theme: str) -> User:
    """Save the actor's colour theme (light or dark); every user may change their own."""
    if not getattr(actor, "is_authenticated", False):
        raise access.PermissionDenied("Log in to change your theme.")
    if theme not in User.Theme.values:
        raise ValidationError({"theme": [f"Choose one of: {', '.join(User.Theme.values)}."]})
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.theme == theme:
        return user
    old = user.theme
    user.theme = theme
    user.save(update_fields=["theme"])
    actor.theme = theme
    audit.record(
        actor, user, action="update", changes={"theme": [old, theme]}, organization=tenancy.current_organization()
    )
    return user


# --- Authenticator app (TOTP) for electronic signatures ----------------------------------------


def start_authenticator(*, actor: User) -> Any:
    """A fresh, unconfirmed TOTP device for the actor (an earlier unconfirmed one is dropped).

    It does nothing until confirmed with a code, so a half-finished set-up never locks
    anyone out of signing.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not getattr(actor, "is_authenticated", False):
        raise access.PermissionDenied("Log in first.")
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name="Authenticator app", confirmed=False)


@transaction.atomic
def confirm_authenticator(*, actor: User, code: str) -> Any:
    """Confirm the pending device with a current code; from then on signing asks for codes."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None:
        raise Conflict("Start the set-up first.")
    if not re.fullmatch(r"\d{6}", (code or "").strip()) or not device.verify_token(code.strip()):
        raise ValidationError({"code": ["The code is not correct; try the current one."]})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(actor, actor, action="update", changes={"authenticator": [None, "enabled"]})
    return device


def remove_authenticator(*, actor: User, password: str, request: Any = None) -> None:
    """Turn codes off again: only with the password (through the lockout backend)."""
    from django.contrib.auth import authenticate
    from django.http import HttpRequest
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if request is None:
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
    if authenticate(request, username=actor.get_username(), password=password or "") is None:
        raise ValidationError({"password": ["The password is not correct."]})
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=actor).delete()
        if removed:
            audit.record(actor, actor, action="update", changes={"authenticator": ["enabled", None]})
