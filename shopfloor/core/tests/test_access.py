"""core.access reads a user's memberships, roles and plants in one query per request; the
middleware picks the request's organization from them."""

from __future__ import annotations

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from shopfloor.core import access, tenancy
from shopfloor.core.middleware import organization_for_request
from shopfloor.core.models import Membership, User
from shopfloor.core.tests.factories import MembershipFactory, OrganizationFactory, PlantFactory, RoleFactory, member


def _fresh(user: User) -> User:
    """The user as the next request loads it (no per-request caches)."""
    return User.objects.get(pk=user.pk)


def test_permissions_and_plants_of_every_role_come_from_one_query(org):
    with tenancy.use(org):
        north, south = PlantFactory(code="N"), PlantFactory(code="S")
        user = member(org, ["production.view_workorder"], plants=[north, south], username="pat")
        Membership.objects.get(user=user).roles.add(RoleFactory(permissions=["inventory.add_stockmove"]))
    user = _fresh(user)
    with CaptureQueriesContext(connection) as queries, tenancy.use(org, user):
        assert access.has_perm(user, "production.view_workorder", plant=north)
        assert access.has_perm(user, "inventory.add_stockmove", plant=south)
        assert not access.has_perm(user, "production.change_operation")
        assert access.allowed_plant_ids(user) == {north.pk, south.pk}
        assert access.membership_for(user).organization == org
    assert len(queries) == 1


def test_a_plant_outside_the_membership_is_refused_and_no_plants_means_all(org):
    with tenancy.use(org):
        north, south = PlantFactory(code="N"), PlantFactory(code="S")
        limited = member(org, ["production.view_workorder"], plants=[north], username="lim")
        everywhere = member(org, ["production.view_workorder"], username="all")
    with tenancy.use(org):
        assert not access.has_perm(_fresh(limited), "production.view_workorder", plant=south)
        assert access.allowed_plant_ids(_fresh(everywhere)) is None
        assert access.has_perm(_fresh(everywhere), "production.view_workorder", plant=south)


def test_an_inactive_membership_or_another_organization_grants_nothing(org, other_org):
    user = member(org, ["*"], username="gone")
    Membership.objects.unscoped().filter(user=user).update(is_active=False)
    with tenancy.use(org):
        assert access.membership_for(_fresh(user)) is None
        assert not access.has_perm(_fresh(user), "core.view_plant")
    stranger = member(other_org, ["*"], username="stranger")
    with tenancy.use(org):
        assert access.permissions_of(_fresh(stranger)) == frozenset()


def test_forget_reads_changed_roles_again(org):
    user = member(org, ["*.view_*"], username="grow")
    with tenancy.use(org):
        assert not access.has_perm(user, "production.change_operation")
        Membership.objects.get(user=user).roles.add(RoleFactory(permissions=["production.change_operation"]))
        assert not access.has_perm(user, "production.change_operation")  # cached for the request
        access.forget(user)
        assert access.has_perm(user, "production.change_operation")


def _request(user: User, *, header: str = "", session_org: object = None):
    request = RequestFactory().get("/", HTTP_X_ORGANIZATION=header) if header else RequestFactory().get("/")
    request.session = {"organization": session_org} if session_org is not None else {}
    request.user = user
    return request


def test_the_request_organization_is_the_asked_one_then_the_default_then_the_first_by_name(db):
    zulu = OrganizationFactory(name="Zulu", slug="zulu")
    alpha = OrganizationFactory(name="Alpha", slug="alpha")
    mike = OrganizationFactory(name="Mike", slug="mike")
    closed = OrganizationFactory(name="Aardvark", slug="closed", is_active=False)
    user = member(zulu, ["*"], username="multi")
    for organization in (alpha, mike, closed):
        with tenancy.use(organization):
            MembershipFactory(organization=organization, user=user, roles=[RoleFactory(organization=organization)])
    assert organization_for_request(_request(_fresh(user)), _fresh(user)) == alpha  # first active by name
    assert organization_for_request(_request(_fresh(user), header="mike"), _fresh(user)) == mike
    assert organization_for_request(_request(_fresh(user), session_org=zulu.pk), _fresh(user)) == zulu
    assert organization_for_request(_request(_fresh(user), header="closed"), _fresh(user)) == alpha
    User.objects.filter(pk=user.pk).update(default_organization=mike)
    assert organization_for_request(_request(_fresh(user)), _fresh(user)) == mike
    outsider = OrganizationFactory(name="Outside", slug="outside")
    assert organization_for_request(_request(_fresh(user), header="outside"), _fresh(user)) == mike
    admin = User.objects.create_superuser("root", "root@example.com", "x" * 12)
    assert organization_for_request(_request(admin, header="outside"), admin) == outsider
