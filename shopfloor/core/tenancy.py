"""The current organization, plant, user and request id, held in context variables.

Middleware sets them for web and API requests; tasks, commands and tests use `use()`.
Context variables are per thread and per asyncio task, so concurrent requests never see each
other's tenant.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Organization, Plant, User

_organization: contextvars.ContextVar[Organization | None] = contextvars.ContextVar("organization", default=None)
_plant: contextvars.ContextVar[Plant | None] = contextvars.ContextVar("plant", default=None)
_user: contextvars.ContextVar[User | None] = contextvars.ContextVar("user", default=None)
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class NoTenant(RuntimeError):
    """A tenant-scoped query ran with no organization in context: a bug, never a data leak."""


def current_organization() -> Organization | None:
    return _organization.get()


def current_organization_id() -> int | None:
    org = _organization.get()
    return org.pk if org is not None else None


def require_organization() -> Organization:
    org = _organization.get()
    if org is None:
        raise NoTenant(
            "No organization in context. Wrap the code in shopfloor.core.tenancy.use(org), "
            "or use Model.objects.unscoped() in platform code."
        )
    return org


def current_plant() -> Plant | None:
    return _plant.get()


def current_user() -> User | None:
    return _user.get()


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


def activate(organization: Organization | None, user: Any = None, plant: Plant | None = None) -> list:
    """Set the context without a `with` block (middleware); returns tokens for `deactivate`."""
    if plant is not None and organization is not None and plant.organization_id != organization.pk:
        raise ValueError("The plant does not belong to the organization.")
    real_user = user if getattr(user, "is_authenticated", False) else None
    return [_organization.set(organization), _plant.set(plant), _user.set(real_user)]


def deactivate(tokens: list) -> None:
    org_token, plant_token, user_token = tokens
    _user.reset(user_token)
    _plant.reset(plant_token)
    _organization.reset(org_token)


@contextmanager
def use(organization: Organization | None, user: Any = None, plant: Plant | None = None) -> Iterator[None]:
    """Run a block as if inside a request of `user` in `organization` (and `plant`)."""
    tokens = activate(organization, user, plant)
    try:
        yield
    finally:
        deactivate(tokens)
