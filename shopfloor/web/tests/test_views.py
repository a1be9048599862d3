"""The web shell: pages render, permissions hold, service errors reach the form, switchers are safe."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopfloor.core import tenancy
from shopfloor.core.models import (
    ApiToken,
    AuditEvent,
    CustomFieldDefinition,
    Membership,
    Plant,
    Role,
    TypeList,
    TypeListEntry,
)
from shopfloor.core.tests.factories import (
    PASSWORD,
    CustomFieldFactory,
    PlantFactory,
    TypeListEntryFactory,
    TypeListFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(admin_user) -> Client:
    return client_for(admin_user)


@pytest.fixture
def viewer(viewer_user) -> Client:
    return client_for(viewer_user)


@pytest.fixture
def plant(org):
    with tenancy.use(org):
        return PlantFactory(code="HOU", name="Houston", organization=org)


@pytest.fixture
def foreign_plant(other_org):
    with tenancy.use(other_org):
        return PlantFactory(code="STV", name="Stavanger", organization=other_org)


# --- Every page renders ----------------------------------------------------------------------------


def test_every_page_renders_for_an_administrator(admin, org, admin_user, plant):
    with tenancy.use(org):
        type_list = TypeListFactory(organization=org)
        field = CustomFieldFactory(organization=org)
        role = Role.objects.first()
        membership = Membership.objects.get(user=admin_user)
    names = [
        ("web:dashboard", []),
        ("web:organization", []),
        ("web:plant-list", []),
        ("web:plant-create", []),
        ("web:plant-detail", [plant.pk]),
        ("web:plant-edit", [plant.pk]),
        ("web:member-list", []),
        ("web:member-add", []),
        ("web:member-edit", [membership.pk]),
        ("web:role-list", []),
        ("web:role-create", []),
        ("web:role-detail", [role.pk]),
        ("web:role-edit", [role.pk]),
        ("web:customfield-list", []),
        ("web:customfield-create", []),
        ("web:customfield-edit", [field.pk]),
        ("web:typelist-list", []),
        ("web:typelist-create", []),
        ("web:typelist-detail", [type_list.pk]),
        ("web:api-tokens", []),
        ("web:password-change", []),
        ("web:inbox", []),
        ("web:notification-preferences", []),
    ]
    for name, args in names:
        response = admin.get(reverse(name, args=args))
        assert response.status_code == 200, (name, response.status_code)
        assert b'data-theme="light"' in response.content
    detail = admin.get(reverse("web:plant-detail", args=[plant.pk]) + "?tab=history")
    assert detail.status_code == 200


def test_pages_use_vendored_htmx_and_no_cdn(admin):
    body = admin.get(reverse("web:dashboard")).content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in body
    assert "https://" not in body and "//cdn" not in body


def test_anonymous_user_is_sent_to_login(client, org):
    response = client.get(reverse("web:plant-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
    assert client.get(reverse("web:login")).status_code == 200


def test_login_form_logs_in_and_logout_is_a_post(client, admin_user):
    response = client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("web:dashboard")
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert client.get(reverse("web:logout")).status_code == 405
    assert client.post(reverse("web:logout")).status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 302


def test_password_change_uses_django_view(admin, admin_user):
    response = admin.post(
        reverse("web:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-secret-42",
            "new_password2": "another-long-secret-42",
        },
    )
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.check_password("another-long-secret-42")


def test_dashboard_shows_recent_activity(admin, admin_user, org):
    admin.post(
        reverse("web:plant-create"), {"code": "OSL", "name": "Oslo", "timezone": "Europe/Oslo", "is_active": "on"}
    )
    body = admin.get(reverse("web:dashboard")).content.decode()
    assert "Recent activity" in body and "OSL Oslo" in body


# --- Permissions and tenancy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["web:plant-create", "web:role-create", "web:member-add", "web:customfield-create", "web:typelist-create"]
)
def test_viewer_gets_403_on_create_pages(viewer, name):
    assert viewer.get(reverse(name)).status_code == 403


def test_viewer_gets_403_on_edit_and_nothing_is_written(viewer, plant):
    assert viewer.get(reverse("web:plant-edit", args=[plant.pk])).status_code == 403
    response = viewer.post(
        reverse("web:plant-edit", args=[plant.pk]), {"code": "HOU", "name": "Changed", "timezone": "UTC"}
    )
    assert response.status_code == 403
    assert b"Not allowed" in response.content
    assert Plant.objects.unscoped().get(pk=plant.pk).name == "Houston"


def test_viewer_sees_no_admin_navigation(viewer):
    body = viewer.get(reverse("web:plant-list")).content.decode()
    assert 'href="/plants/new/"' not in body
    assert reverse("web:plant-list") in body


def test_navigation_hides_what_the_user_may_not_view(org):
    user = member(org, ["core.view_plant"], username="pat")
    body = client_for(user).get(reverse("web:dashboard")).content.decode()
    assert reverse("web:plant-list") in body
    assert reverse("web:member-list") not in body and reverse("web:role-list") not in body


def test_another_organizations_plant_is_404(admin, foreign_plant):
    assert admin.get(reverse("web:plant-detail", args=[foreign_plant.pk])).status_code == 404
    assert admin.get(reverse("web:plant-edit", args=[foreign_plant.pk])).status_code == 404
    response = admin.post(
        reverse("web:plant-edit", args=[foreign_plant.pk]), {"code": "X", "name": "Mine", "timezone": "UTC"}
    )
    assert response.status_code == 404
    assert Plant.objects.unscoped().get(pk=foreign_plant.pk).name == "Stavanger"


def test_plant_list_searches_and_filters(admin, org):
    with tenancy.use(org):
        PlantFactory(code="HOU", name="Houston", organization=org)
        PlantFactory(code="ABZ", name="Aberdeen", organization=org, is_active=False)

    def codes(query: str) -> list[str]:
        return [row["object"].code for row in admin.get(reverse("web:plant-list") + query).context["rows"]]

    assert codes("?q=hous") == ["HOU"]
    assert codes("?active=false") == ["ABZ"]
    assert codes("") == ["ABZ", "HOU"]


# --- Forms over services ----------------------------------------------------------------------------


def test_create_plant_through_form_records_history(admin, org):
    response = admin.post(
        reverse("web:plant-create"),
        {"code": "HOU", "name": "Houston", "timezone": "America/Chicago", "is_active": "on"},
    )
    plant = Plant.objects.unscoped().get(organization=org, code="HOU")
    assert response.status_code == 302 and response["Location"] == reverse("web:plant-detail", args=[plant.pk])
    history = admin.get(reverse("web:plant-detail", args=[plant.pk]) + "?tab=history").content.decode()
    assert "Create" in history and "America/Chicago" in history and "alice" in history.lower()


def test_edit_plant_shows_old_and_new_values_in_history(admin, plant):
    admin.post(
        reverse("web:plant-edit", args=[plant.pk]),
        {"code": "HOU", "name": "Houston North", "timezone": "Europe/Oslo", "is_active": "on"},
    )
    history = admin.get(reverse("web:plant-detail", args=[plant.pk]) + "?tab=history").content.decode()
    assert "<del>Houston</del>" in history and "<ins>Houston North</ins>" in history


def test_service_validation_error_is_shown_on_the_form_and_nothing_written(admin, org):
    response = admin.post(reverse("web:plant-create"), {"code": "HOU", "name": "Houston", "timezone": "Mars/Base"})
    assert response.status_code == 200
    assert "is not a known time zone" in response.context["form"].errors["timezone"][0]
    assert not Plant.objects.unscoped().filter(organization=org).exists()
    assert not AuditEvent.objects.unscoped().filter(object_type="core.plant").exists()


def test_duplicate_plant_code_is_a_form_error(admin, plant):
    response = admin.post(reverse("web:plant-create"), {"code": "HOU", "name": "Second", "timezone": "UTC"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Plant.objects.unscoped().filter(code="HOU").count() == 1


def test_custom_field_is_rendered_and_saved(admin, org):
    with tenancy.use(org):
        CustomFieldFactory(organization=org, key="cost_center", label="Cost center", pattern=r"CC-\d{4}")
    page = admin.get(reverse("web:plant-create")).content.decode()
    assert 'name="cf_cost_center"' in page and "Cost center" in page
    response = admin.post(
        reverse("web:plant-create"), {"code": "HOU", "name": "Houston", "timezone": "UTC", "cf_cost_center": "CC-1234"}
    )
    assert response.status_code == 302
    plant = Plant.objects.unscoped().get(code="HOU")
    assert plant.custom_fields == {"cost_center": "CC-1234"}
    assert "CC-1234" in admin.get(reverse("web:plant-detail", args=[plant.pk])).content.decode()


def test_bad_custom_value_is_a_field_error(admin, org):
    with tenancy.use(org):
        CustomFieldFactory(
            organization=org,
            key="capacity",
            label="Capacity",
            field_type=CustomFieldDefinition.FieldType.INTEGER,
            max_value=100,
        )
        CustomFieldFactory(organization=org, key="owner", label="Owner", required=True)
    response = admin.post(
        reverse("web:plant-create"), {"code": "HOU", "name": "Houston", "timezone": "UTC", "cf_capacity": "500"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["cf_capacity"] == ["Must be at most 100."]
    assert errors["cf_owner"] == ["This field is required."]
    assert "Must be at most 100." in response.content.decode()
    assert not Plant.objects.unscoped().exists()


def test_choice_custom_field_offers_type_list_entries(admin, org):
    with tenancy.use(org):
        entry = TypeListEntryFactory(organization=org, value="OFFSHORE", label="Offshore")
        CustomFieldFactory(organization=org, key="kind", label="Kind", field_type="choice", type_list=entry.type_list)
    page = admin.get(reverse("web:plant-create")).content.decode()
    assert 'value="OFFSHORE"' in page and "Offshore" in page


def test_role_form_saves_checkboxes_and_patterns(admin, org):
    response = admin.post(
        reverse("web:role-create"),
        {
            "name": "Auditor",
            "description": "Reads plants",
            "permissions": ["core.view_plant"],
            "patterns": "core.view_*",
        },
    )
    assert response.status_code == 302
    role = Role.objects.unscoped().get(organization=org, name="Auditor")
    assert role.permissions == ["core.view_*", "core.view_plant"]


def test_role_form_shows_unknown_pattern_error(admin, org):
    response = admin.post(reverse("web:role-create"), {"name": "Typo", "patterns": "qualty.*"})
    assert response.status_code == 200
    assert "Unknown permission: qualty.*" in response.content.decode()
    assert not Role.objects.unscoped().filter(name="Typo").exists()


def test_add_new_user_as_member_and_deactivate(admin, org, admin_user):
    with tenancy.use(org):
        role = Role.objects.create(organization=org, name="Readers", permissions=["*.view_*"])
    response = admin.post(
        reverse("web:member-add"),
        {
            "mode": "new",
            "username": "nina",
            "email": "nina@example.com",
            "password": "a-long-enough-pass-77",
            "roles": [role.pk],
        },
    )
    assert response.status_code == 302, response.content
    membership = Membership.objects.unscoped().get(user__username="nina")
    assert list(Role.objects.unscoped().filter(memberships=membership).values_list("name", flat=True)) == ["Readers"]
    response = admin.post(reverse("web:member-deactivate", args=[membership.pk]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.is_active is False


def test_add_existing_user_by_username(admin, org):
    UserFactory(username="olaf")
    response = admin.post(reverse("web:member-add"), {"mode": "existing", "username": "olaf"})
    assert response.status_code == 302
    assert Membership.objects.unscoped().filter(organization=org, user__username="olaf").exists()
    response = admin.post(reverse("web:member-add"), {"mode": "existing", "username": "nobody"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]


def test_last_administrator_cannot_be_deactivated(admin, admin_user):
    membership = Membership.objects.unscoped().get(user=admin_user)
    response = admin.post(reverse("web:member-deactivate", args=[membership.pk]), follow=True)
    assert "last Administrator" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active


def test_custom_field_and_type_list_pages_create_through_services(admin, org):
    response = admin.post(reverse("web:typelist-create"), {"key": "rig_types", "name": "Rig types"})
    assert response.status_code == 302
    type_list = TypeList.objects.unscoped().get(organization=org, key="rig_types")
    response = admin.post(
        reverse("web:typelist-entry-create", args=[type_list.pk]),
        {"value": "JACKUP", "label": "Jack-up", "position": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<tr" in response.content.decode() and "JACKUP" in response.content.decode()
    response = admin.post(
        reverse("web:typelist-entry-create", args=[type_list.pk]),
        {"value": "JACKUP", "label": "Again", "position": 2},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Retarget"] == "#entry-form"
    assert TypeListEntry.objects.unscoped().filter(type_list=type_list).count() == 1
    response = admin.post(
        reverse("web:customfield-create"),
        {
            "model": "core.plant",
            "key": "rig",
            "label": "Rig",
            "field_type": "choice",
            "type_list": type_list.pk,
            "position": 0,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    response = admin.post(
        reverse("web:customfield-create"),
        {
            "model": "core.plant",
            "key": "depth",
            "label": "Depth",
            "field_type": "decimal",
            "type_list": type_list.pk,
            "position": 0,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["type_list"] == ["Only choice fields take a type list."]


def test_api_token_secret_is_shown_once_and_revocable(admin, admin_user):
    response = admin.post(reverse("web:api-tokens"), {"name": "ERP sync"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("sf_") and secret in response.content.decode()
    listing = admin.get(reverse("web:api-tokens")).content.decode()
    assert "ERP sync" in listing and secret not in listing
    token = ApiToken.objects.unscoped().get(user=admin_user)
    assert admin.post(reverse("web:api-token-revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_viewer_cannot_create_api_token(viewer, viewer_user):
    response = viewer.post(reverse("web:api-tokens"), {"name": "mine"})
    assert response.status_code == 403
    assert not ApiToken.objects.unscoped().filter(user=viewer_user).exists()


def test_organization_rename_and_superuser_create(admin, org):
    response = admin.post(reverse("web:organization"), {"name": "Acme Bits & Pieces"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Acme Bits & Pieces"
    assert admin.post(reverse("web:organization-create"), {"name": "X", "slug": "x"}).status_code == 403
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    superclient = client_for(root)
    assert superclient.get(reverse("web:organization-create")).status_code == 200
    response = superclient.post(
        reverse("web:organization-create"), {"name": "New Co", "slug": "newco", "admin_username": "alice"}
    )
    assert response.status_code == 302
    assert Membership.objects.unscoped().filter(organization__slug="newco", user__username="alice").exists()


# --- Switchers and theme -----------------------------------------------------------------------------


def test_organization_switch_refuses_a_non_member_organization(admin, org, other_org):
    response = admin.post(reverse("web:switch-organization"), {"organization": "rival"})
    assert response.status_code == 403
    assert admin.session.get("organization") is None


def test_organization_switch_to_member_organization(admin_user, org, other_org):
    with tenancy.use(other_org):
        role = Role.objects.create(organization=other_org, name="R", permissions=["*"])
        membership = Membership.objects.create(organization=other_org, user=admin_user)
        membership.roles.set([role])
        PlantFactory(code="STV", name="Stavanger", organization=other_org)
    client = client_for(admin_user)
    response = client.post(reverse("web:switch-organization"), {"organization": "rival"})
    assert response.status_code == 302 and client.session["organization"] == "rival"
    assert "Stavanger" in client.get(reverse("web:plant-list")).content.decode()


def test_plant_switch_accepts_own_plant_and_404s_a_foreign_one(admin, plant, foreign_plant):
    assert admin.post(reverse("web:switch-plant"), {"plant": plant.pk}).status_code == 302
    assert admin.session["plant"] == plant.pk
    assert admin.post(reverse("web:switch-plant"), {"plant": foreign_plant.pk}).status_code == 404
    assert admin.session["plant"] == plant.pk


def test_theme_is_saved_and_audited(admin, admin_user):
    response = admin.post(reverse("web:theme"), {"theme": "dark"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    admin_user.refresh_from_db()
    assert admin_user.theme == "dark"
    assert b'data-theme="dark"' in admin.get(reverse("web:dashboard")).content
    event = AuditEvent.objects.unscoped().filter(object_type="core.user", action="update").latest("id")
    assert event.changes == {"theme": ["light", "dark"]}
    assert admin.post(reverse("web:theme"), {"theme": "purple"}, HTTP_HX_REQUEST="true").status_code == 400


# --- Inbox and notification settings --------------------------------------------------------------


def _notify(org, user, count=1, **kwargs):
    from shopfloor.core.tests.factories import NotificationFactory

    with tenancy.use(org, user):
        return [NotificationFactory(recipient=user, **kwargs) for _ in range(count)]


def test_inbox_pages_render_and_the_header_counts_unread(admin, org, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    old, new = _notify(org, admin_user, 2)
    old.read_at = old.created_at
    old.save()
    for name in ("web:inbox", "web:notification-preferences"):
        response = admin.get(reverse(name))
        assert response.status_code == 200, name
    body = admin.get(reverse("web:inbox")).content.decode()
    assert body.index(new.title) < body.index(old.title), "unread first"
    assert '<span id="inbox-count" class="inbox-count">1</span>' in body
    with CaptureQueriesContext(connection) as queries:
        admin.get(reverse("web:plant-list"))
    assert sum("core_notification" in q["sql"] for q in queries.captured_queries) == 1


def test_inbox_marks_one_read_with_htmx_and_all_read(admin, org, admin_user):
    from shopfloor.core.models import Notification

    first, second, third = _notify(org, admin_user, 3, url="/plants/")
    response = admin.post(reverse("web:notification-read", args=[first.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{first.pk}"' in html and "Mark read" not in html
    assert 'hx-swap-oob="true">2</span>' in html
    response = admin.post(reverse("web:notification-read", args=[second.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:inbox")
    response = admin.post(reverse("web:inbox-read-all"))
    assert response.status_code == 302
    assert not Notification.objects.unscoped().filter(read_at=None).exists()
    assert admin.get(reverse("web:notification-read", args=[first.pk])).status_code == 405


def test_someone_elses_notification_is_404_on_the_web(admin, org):
    bob = member(org, ["*"], username="bob")
    (theirs,) = _notify(org, bob)
    assert admin.post(reverse("web:notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert theirs.title not in admin.get(reverse("web:inbox")).content.decode()


def test_preferences_page_saves_only_what_changed(admin, org, admin_user):
    from shopfloor.core import notifications
    from shopfloor.core.models import NotificationPreference

    known = list(notifications.event_types())
    assert "workflows.approval.requested" in known
    # Everything stays on but e-mail for approval requests.
    data = {f"{t}:in_app": "on" for t in known}
    data.update({f"{t}:email": "on" for t in known if t != "workflows.approval.requested"})
    response = admin.post(reverse("web:notification-preferences"), data)
    assert response.status_code == 302
    with tenancy.use(org):
        prefs = list(NotificationPreference.objects.values_list("user", "event_type", "in_app", "email"))
    assert prefs == [(admin_user.pk, "workflows.approval.requested", True, False)]
    body = admin.get(reverse("web:notification-preferences")).content.decode()
    assert 'name="workflows.approval.requested:email" aria-label' in body
    assert 'name="workflows.approval.requested:email" aria-label="Your approval is requested: by e-mail">' in body


def test_a_role_without_the_personal_permissions_reads_its_inbox_but_cannot_mark_it(viewer, org, viewer_user):
    (note,) = _notify(org, viewer_user)
    body = viewer.get(reverse("web:inbox")).content.decode()
    assert note.title in body and "Mark read" not in body
    assert viewer.post(reverse("web:notification-read", args=[note.pk])).status_code == 403
    assert "disabled" in viewer.get(reverse("web:notification-preferences")).content.decode()
