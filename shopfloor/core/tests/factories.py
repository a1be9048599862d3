"""factory_boy factories for core. Tenant factories take the organization from context or `organization=`."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from shopfloor.core import tenancy
from shopfloor.core.models import (
    ApiToken,
    CustomFieldDefinition,
    IdempotencyKey,
    Membership,
    Notification,
    NotificationPreference,
    NumberSequence,
    Organization,
    Plant,
    Role,
    TypeList,
    TypeListEntry,
)

PASSWORD = "correct-horse-battery-9"


def _org(obj=None):
    return tenancy.current_organization() or OrganizationFactory()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    organization = factory.LazyFunction(_org)


class PlantFactory(TenantFactory):
    class Meta:
        model = Plant

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Plant {n}")
    timezone = "Europe/Oslo"


class RoleFactory(TenantFactory):
    class Meta:
        model = Role

    name = factory.Sequence(lambda n: f"Role {n}")
    permissions = factory.LazyFunction(lambda: ["*.view_*"])


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.roles.set(extracted)

    @factory.post_generation
    def plants(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.plants.set(extracted)


class TypeListFactory(TenantFactory):
    class Meta:
        model = TypeList

    key = factory.Sequence(lambda n: f"list_{n}")
    name = factory.Sequence(lambda n: f"List {n}")


class TypeListEntryFactory(TenantFactory):
    class Meta:
        model = TypeListEntry

    type_list = factory.SubFactory(TypeListFactory, organization=factory.SelfAttribute("..organization"))
    value = factory.Sequence(lambda n: f"V{n}")
    label = factory.Sequence(lambda n: f"Value {n}")


class CustomFieldFactory(TenantFactory):
    class Meta:
        model = CustomFieldDefinition

    model = "core.plant"
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.Sequence(lambda n: f"Field {n}")
    field_type = CustomFieldDefinition.FieldType.TEXT


class ApiTokenFactory(TenantFactory):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"token {n}")
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")


class NumberSequenceFactory(TenantFactory):
    class Meta:
        model = NumberSequence

    document_type = factory.Sequence(lambda n: f"doc_{n}")
    prefix = factory.Sequence(lambda n: f"D{n}-")


class IdempotencyKeyFactory(TenantFactory):
    class Meta:
        model = IdempotencyKey

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"key-{n}")
    method = "POST"
    path = "/api/v1/core/plants/"
    request_hash = factory.Sequence(lambda n: f"{n:064x}")


def _current_or_new_user():
    return tenancy.current_user() or UserFactory()


class NotificationFactory(TenantFactory):
    """A notification for the user in context (the caller, in the contract suite)."""

    class Meta:
        model = Notification

    recipient = factory.LazyFunction(_current_or_new_user)
    event_type = "core.test.happened"
    title = factory.Sequence(lambda n: f"Something happened {n}")
    body = "Details of what happened."
    url = "/"


class NotificationPreferenceFactory(TenantFactory):
    class Meta:
        model = NotificationPreference

    user = factory.LazyFunction(_current_or_new_user)
    event_type = factory.Sequence(lambda n: f"core.test_{n}.happened")
    in_app = True
    email = False


def member(organization: Organization, permissions: list[str] | None = None, *, plants=(), **user_kwargs):
    """A user who is a member of `organization` with a role granting `permissions` (default: all)."""
    with tenancy.use(organization):
        role = RoleFactory(organization=organization, permissions=permissions if permissions is not None else ["*"])
        user = UserFactory(**user_kwargs)
        MembershipFactory(organization=organization, user=user, roles=[role], plants=list(plants))
    return user
