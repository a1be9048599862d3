"""The API contract every resource keeps, declared per app and checked by one shared suite.

Each app lists its resources in `<app>/tests/contracts.py`:

    CONTRACTS = {
        "core/plants": Contract(factory=PlantFactory, payload=lambda: {"code": "HOU", ...},
                                update={"name": "Houston"}),
    }
    NOT_EXPOSED = {"core.NumberSequence": "why no resource serves it"}

`test_contract.py` walks `router.registry` and checks each resource against its contract:
authentication, permissions, tenant isolation, CRUD, 405 for what it does not offer, and a
query count that does not grow with the page. Registering a viewset without a contract, or
adding a tenant model that nothing serves, fails the suite (NetBox's API test-case family,
InvenTree's ruleset coverage test).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module, util
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models

OPERATIONS = frozenset({"list", "retrieve", "create", "update", "delete"})

_counter = itertools.count(1)


def unique(prefix: str = "") -> str:
    """A short value never used before in this process (codes, names, keys of payloads)."""
    return f"{prefix}{next(_counter)}"


@dataclass(frozen=True)
class Contract:
    """What one API resource promises.

    `factory()` and `payload()` run inside `tenancy.use(organization, admin)`, so they build
    rows of the organization in context; `factory` returns the object the resource serves.
    """

    factory: Callable[[], models.Model]
    """Builds one row the resource lists, in the organization in context."""

    payload: Callable[[], Mapping[str, Any]] | None = None
    """A valid POST body (fresh on each call). Required when `create` is offered."""

    update: Mapping[str, Any] | Callable[[models.Model], Mapping[str, Any]] | None = None
    """A valid PATCH body (or a function of the object). Required when `update` is offered."""

    put: Callable[[models.Model], Mapping[str, Any]] | None = None
    """A valid PUT body for the object; default: a fresh `payload()` merged with `update`."""

    operations: frozenset[str] = OPERATIONS
    """What the resource offers; everything else of OPERATIONS must answer 405."""

    delete_status: int = 204
    """What DELETE on an unused row answers (204, or e.g. 409 for rows that only deactivate)."""

    actions: Mapping[str, int] = field(default_factory=dict)
    """Detail POST actions (`revoke`) and what they answer on a fresh row of the caller's organization."""

    create_status: int = 201

    unchanged_fields: tuple[str, ...] = ()
    """Fields of `update` whose value the response does not echo (write-only)."""

    note: str = ""
    """Why the resource departs from the defaults, for the reader."""

    def update_body(self, obj: models.Model) -> dict[str, Any]:
        body = self.update(obj) if callable(self.update) else self.update
        return dict(body or {})

    def put_body(self, obj: models.Model) -> dict[str, Any]:
        if self.put is not None:
            return dict(self.put(obj))
        assert self.payload is not None, "PUT needs `put=` or `payload=` in the contract"
        return {**self.payload(), **self.update_body(obj)}

    def check(self, name: str) -> list[str]:
        """Contradictions inside the contract itself."""
        problems = []
        unknown = self.operations - OPERATIONS
        if unknown:
            problems.append(f"{name}: unknown operations {sorted(unknown)}")
        if "create" in self.operations and self.payload is None:
            problems.append(f"{name}: offers create but declares no payload")
        if "update" in self.operations and self.update is None:
            problems.append(f"{name}: offers update but declares no update body")
        return problems


def shopfloor_apps() -> list[str]:
    return [app for app in settings.INSTALLED_APPS if app.startswith("shopfloor.")]


def _optional_module(name: str) -> Any:
    try:
        found = util.find_spec(name)
    except ModuleNotFoundError:
        return None
    return import_module(name) if found else None


def collect_contracts() -> tuple[dict[str, Contract], dict[str, str], list[str]]:
    """Every app's CONTRACTS and NOT_EXPOSED, with problems (duplicates, wrong types)."""
    contracts: dict[str, Contract] = {}
    not_exposed: dict[str, str] = {}
    problems: list[str] = []
    for app in shopfloor_apps():
        module = _optional_module(f"{app}.tests.contracts")
        if module is None:
            continue
        for name, contract in getattr(module, "CONTRACTS", {}).items():
            if name in contracts:
                problems.append(f"{app}: contract for {name} is declared twice")
            if not isinstance(contract, Contract):
                problems.append(f"{app}: CONTRACTS[{name!r}] is not a Contract")
                continue
            problems.extend(contract.check(name))
            contracts[name] = contract
        for label, reason in getattr(module, "NOT_EXPOSED", {}).items():
            if not str(reason).strip():
                problems.append(f"{app}: NOT_EXPOSED[{label!r}] gives no reason")
            not_exposed[label] = reason
    return contracts, not_exposed, problems


def registry() -> dict[str, tuple[type, str]]:
    """prefix -> (viewset, basename) of every registered resource (all apps' `api` imported)."""
    import shopfloor.urls  # noqa: F401  (registration is a side effect of loading the URLconf)
    from shopfloor.core.api.router import router

    return {prefix: (viewset, basename) for prefix, viewset, basename in router.registry}


def resource_model(viewset: type) -> type[models.Model]:
    queryset = getattr(viewset, "queryset", None)
    if queryset is None:
        raise AssertionError(f"{viewset.__name__} has no class-level `queryset`: the suite cannot tell its model")
    return queryset.model


def model_label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def shopfloor_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("shopfloor.")]


def factories() -> dict[type[models.Model], list[type]]:
    """model -> factory_boy factories found in every app's `tests/factories.py`."""
    import factory

    found: dict[type[models.Model], list[type]] = {}
    for app in shopfloor_apps():
        module = _optional_module(f"{app}.tests.factories")
        if module is None:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory):
                model = value._meta.model
                if isinstance(model, type) and not value._meta.abstract:
                    found.setdefault(model, []).append(value)
    return found


def row_snapshot(obj: models.Model) -> dict[str, Any] | None:
    """The stored columns of `obj` (or None when gone), read across tenants."""
    manager = type(obj)._default_manager
    queryset = manager.unscoped() if hasattr(manager, "unscoped") else manager.all()
    row = queryset.filter(pk=obj.pk).values().first()
    if row is None:
        return None
    for m2m in type(obj)._meta.many_to_many:
        row[m2m.name] = sorted(
            getattr(obj, m2m.name)
            .through.objects.filter(**{m2m.m2m_field_name(): obj.pk})
            .values_list(m2m.m2m_reverse_name(), flat=True)
        )
    return row
