"""The Django admin: platform administrators only, and every change it makes is audited."""

from __future__ import annotations

import pytest
from django.test import Client

from shopfloor.core import audit, tenancy
from shopfloor.core.models import AuditEvent, Organization, Plant, Role, User
from shopfloor.core.tests.factories import PASSWORD, PlantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.com", PASSWORD, first_name="Ria", last_name="Root")


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def _platform_events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.unscoped().filter(**filters).order_by("id"))


def test_an_organization_member_without_staff_rights_cannot_open_the_admin(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_changing_a_user_in_the_admin_records_old_and_new_values(admin_client, superuser):
    user = UserFactory(username="maria", email="maria@old.example.com", first_name="Maria", last_name="Lopez")
    form = {
        "username": "maria",
        "email": "maria@rig.example.com",
        "first_name": "Maria",
        "last_name": "Lopez",
        "is_active": "on",
        "theme": user.theme,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    response = admin_client.post(f"/admin/core/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.email == "maria@rig.example.com"
    event = _platform_events(object_type="core.user", object_id=str(user.pk), action="update")[-1]
    assert event.changes["email"] == ["maria@old.example.com", "maria@rig.example.com"]
    assert event.actor == superuser and event.reason == "admin"
    assert audit.verify() == []


def test_setting_a_password_in_the_admin_is_audited_without_the_hash(admin_client):
    user = UserFactory(username="ole")
    old_hash = user.password
    response = admin_client.post(
        f"/admin/core/user/{user.pk}/password/",
        {"password1": "Another-long-pass-42", "password2": "Another-long-pass-42", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = _platform_events(object_type="core.user", object_id=str(user.pk), action="update")[-1]
    assert set(event.changes) == {"password"}
    assert old_hash not in str(event.changes) and event.changes["password"][0].startswith("sha256:")
    assert event.reason == "admin: password set"


def test_an_organization_created_in_the_admin_gets_role_templates_and_an_audit_event(admin_client, superuser):
    response = admin_client.post(
        "/admin/core/organization/add/", {"name": "Rig Tools", "slug": "rig-tools", "is_active": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organization.objects.get(slug="rig-tools")
    with tenancy.use(org):
        assert Role.objects.filter(name="Administrator").exists()
        created = list(AuditEvent.objects.filter(object_type="core.organization", action="create"))
    assert len(created) == 1 and created[0].actor == superuser


def test_renaming_an_organization_in_the_admin_is_audited_in_its_chain(admin_client, org):
    response = admin_client.post(
        f"/admin/core/organization/{org.pk}/change/", {"name": "Renamed Tools", "slug": org.slug, "is_active": "on"}
    )
    assert response.status_code == 302
    with tenancy.use(org):
        event = AuditEvent.objects.filter(object_type="core.organization", action="update").last()
    assert event.changes["name"][1] == "Renamed Tools"
    assert audit.verify() == []


def test_tenant_records_are_read_only_in_the_admin(admin_client, org):
    with tenancy.use(org):
        plant = PlantFactory(code="HOU", name="Houston")
    assert admin_client.get("/admin/core/plant/").status_code == 200
    assert b"HOU" in admin_client.get("/admin/core/plant/").content
    response = admin_client.post(f"/admin/core/plant/{plant.pk}/change/", {"code": "X", "name": "Hacked"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/core/plant/{plant.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Plant.objects.unscoped().get(pk=plant.pk).name == "Houston"


def test_audit_events_can_be_read_but_never_changed_in_the_admin(admin_client, org, admin_user):
    with tenancy.use(org, admin_user):
        PlantFactory(code="STV")
        event = audit.record(admin_user, org, action="update", changes={"name": ["a", "b"]})
    assert admin_client.get("/admin/core/auditevent/").status_code == 200
    assert admin_client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.unscoped().filter(pk=event.pk).exists()
