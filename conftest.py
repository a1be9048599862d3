"""Suite-wide fixtures: organizations, members with roles, API clients, database markers."""

from __future__ import annotations

import os

import pytest
from django.db import connection

# Browser fixtures (browser, page, new_page) for every app's tests/e2e/.
pytest_plugins = ["shopfloor.core.tests.browser"]


def pytest_collection_modifyitems(config, items):
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    have_browser = os.path.exists(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    have_redis = bool(os.environ.get("REDIS_URL"))
    skip_pg = pytest.mark.skip(reason="PostgreSQL-only test (DATABASE_URL is not PostgreSQL)")
    skip_browser = pytest.mark.skip(reason="browser test: /usr/bin/chromium is not installed")
    skip_redis = pytest.mark.skip(reason="needs REDIS_URL pointing to a Redis server")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "e2e" in item.keywords and not have_browser:
            item.add_marker(skip_browser)
        if "redis" in item.keywords and not have_redis:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _celery_join_flag_reset():
    """Celery keeps "joining a result would block" in one process-wide flag, which eager tasks
    save and restore around themselves; eager tasks run at once from several threads (the
    concurrency tests) can restore it in the wrong order and leave it set, after which any
    `result.get()` in the process raises. Each test starts with it off."""
    from celery import _state

    _state._set_task_join_will_block(False)
    yield


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def org(db):
    from shopfloor.core.tests.factories import OrganizationFactory

    return OrganizationFactory(name="Acme Bits", slug="acme")


@pytest.fixture
def other_org(db):
    from shopfloor.core.tests.factories import OrganizationFactory

    return OrganizationFactory(name="Rival Tools", slug="rival")


@pytest.fixture
def admin_user(org):
    """A member of `org` with the Administrator role's '*'."""
    from shopfloor.core.tests.factories import member

    return member(org, ["*"], username="alice")


@pytest.fixture
def viewer_user(org):
    from shopfloor.core.tests.factories import member

    return member(org, ["*.view_*"], username="victor")


@pytest.fixture
def tenant(org, admin_user):
    """Run the test body inside `org` as `admin_user`."""
    from shopfloor.core import tenancy

    with tenancy.use(org, admin_user):
        yield org


@pytest.fixture
def api(admin_user):
    """An API client logged in as the organization's administrator (session auth)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def api_for():
    """api_for(user) -> an API client authenticated as that user."""
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
