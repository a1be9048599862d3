"""Notifications: who is told what, through which channel, and only about what committed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from shopfloor.core import notifications, tenancy
from shopfloor.core.models import Notification, NotificationPreference
from shopfloor.core.tests.factories import MembershipFactory, PlantFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_notify_creates_inbox_rows_and_mails_after_commit(tenant, admin_user, django_capture_on_commit_callbacks):
    bob = member(tenant, ["*.view_*"], username="bob")
    plant = PlantFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = notifications.notify(
            recipients=[bob, bob.pk], event_type="core.test.happened", title="Hello", body="Text", obj=plant
        )
    assert [r.recipient for r in rows] == [bob]
    assert (rows[0].object_type, rows[0].object_id) == ("core.plant", str(plant.pk))
    assert mail.outbox == [], "nothing is mailed before the transaction commits"
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [bob.email] and "Hello" in mail.outbox[0].subject
    rows[0].refresh_from_db()
    assert rows[0].emailed_at is not None


def test_a_rolled_back_change_mails_nobody(tenant, admin_user, django_capture_on_commit_callbacks):
    bob = member(tenant, ["*.view_*"], username="bob")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notifications.notify(recipients=[bob], event_type="core.test.happened", title="Hello")
                raise RuntimeError("roll back")
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_notify_respects_preferences_exact_type_over_pattern(tenant, django_capture_on_commit_callbacks):
    quiet = member(tenant, ["*.view_*"], username="quiet")
    mail_only = member(tenant, ["*.view_*"], username="mailonly")
    inbox_only = member(tenant, ["*.view_*"], username="inboxonly")
    NotificationPreference.objects.create(user=quiet, event_type="core.*", in_app=False, email=False)
    NotificationPreference.objects.create(user=mail_only, event_type="core.test.happened", in_app=False, email=True)
    NotificationPreference.objects.create(user=mail_only, event_type="*", in_app=True, email=False)
    NotificationPreference.objects.create(user=inbox_only, event_type="*", in_app=True, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications.notify(
            recipients=[quiet, mail_only, inbox_only], event_type="core.test.happened", title="Hi"
        )
    assert [r.recipient for r in rows] == [inbox_only]
    assert [m.to for m in mail.outbox] == [[mail_only.email]]


def test_notify_skips_inactive_users_outsiders_and_users_without_email(
    tenant, other_org, django_capture_on_commit_callbacks
):
    gone = member(tenant, ["*.view_*"], username="gone")
    gone.is_active = False
    gone.save()
    left = MembershipFactory(is_active=False).user
    outsider = member(other_org, ["*"], username="outsider")
    no_mail = member(tenant, ["*.view_*"], username="nomail", email="")
    with django_capture_on_commit_callbacks(execute=True):
        rows = notifications.notify(
            recipients=[gone, left, outsider, no_mail, UserFactory()], event_type="core.x", title="Hi"
        )
    assert [r.recipient for r in rows] == [no_mail]
    assert mail.outbox == []


def test_a_title_with_line_breaks_still_mails(tenant, django_capture_on_commit_callbacks):
    bob = member(tenant, ["*.view_*"], username="bob")
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[bob], event_type="core.x", title="Two\nlines", url="/plants/")
    assert mail.outbox[0].subject == "[Acme Bits] Two lines"
    assert mail.outbox[0].body.endswith("/plants/")


def test_notify_needs_an_organization_in_context(admin_user):
    with pytest.raises(tenancy.NoTenant):
        notifications.notify(recipients=[admin_user], event_type="core.x", title="Hi")


# --- API: only ever the caller's own inbox and preferences ----------------------------------------


def _inbox_of(org, user, count=1, **kwargs):
    from shopfloor.core.tests.factories import NotificationFactory

    with tenancy.use(org, user):
        return [NotificationFactory(recipient=user, **kwargs) for _ in range(count)]


def test_api_lists_only_own_notifications_and_filters_unread(org, admin_user, viewer_user, api_for):
    mine = _inbox_of(org, viewer_user, 2)
    _inbox_of(org, admin_user, 1)
    Notification.objects.unscoped().filter(pk=mine[0].pk).update(read_at="2026-01-01T00:00:00Z")
    client = api_for(viewer_user)
    listed = client.get("/api/v1/core/notifications/").json()["results"]
    assert sorted(row["id"] for row in listed) == sorted(n.pk for n in mine)
    unread = client.get("/api/v1/core/notifications/", {"unread": "true"}).json()["results"]
    assert [row["id"] for row in unread] == [mine[1].pk]


def test_another_users_notification_is_404_and_stays_unread(org, admin_user, api_for):
    bob = member(org, ["*.view_*", "core.change_notification"], username="bob")
    (theirs,) = _inbox_of(org, bob)
    client = api_for(admin_user)  # even an Administrator does not read someone else's inbox
    assert client.get(f"/api/v1/core/notifications/{theirs.pk}/").status_code == 404
    response = client.post(f"/api/v1/core/notifications/{theirs.pk}/read/")
    assert response.status_code == 404 and response.json()["status"] == 404
    client.post("/api/v1/core/notifications/read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_and_read_all(org, admin_user, api):
    first, second, third = _inbox_of(org, admin_user, 3)
    response = api.post(f"/api/v1/core/notifications/{first.pk}/read/")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    again = api.post(f"/api/v1/core/notifications/{first.pk}/read/")
    assert again.json()["read_at"] == response.json()["read_at"], "marking read twice keeps the first time"
    response = api.post("/api/v1/core/notifications/read-all/")
    assert response.status_code == 200 and response.json() == {"marked": 2}
    with tenancy.use(org, admin_user):
        assert notifications.unread_count(admin_user) == 0


def test_the_viewer_role_template_reads_its_inbox_marks_it_read_and_sets_preferences(org, admin_user, api_for):
    from shopfloor.core import access
    from shopfloor.core.models import Role

    bob = UserFactory()
    with tenancy.use(org):
        role = Role.objects.create(name="Viewer", permissions=access.ROLE_TEMPLATES["Viewer"]["permissions"])
        MembershipFactory(user=bob, roles=[role])
    (note,) = _inbox_of(org, bob)
    client = api_for(bob)
    assert client.get("/api/v1/core/notifications/").status_code == 200
    assert client.post(f"/api/v1/core/notifications/{note.pk}/read/").status_code == 200
    body = {"event_type": "workflows.*", "in_app": True, "email": False}
    assert client.post("/api/v1/core/notification-preferences/", body, format="json").status_code == 201
    assert client.get("/api/v1/core/plants/").status_code == 200
    assert client.post("/api/v1/core/plants/", {"code": "X", "name": "X"}, format="json").status_code == 403


def test_another_users_preference_is_404_and_a_duplicate_is_400(org, admin_user, api):
    bob = member(org, ["*"], username="bob")
    with tenancy.use(org, bob):
        theirs = notifications.set_preference(actor=bob, event_type="workflows.*", in_app=False, email=False)
    url = f"/api/v1/core/notification-preferences/{theirs.pk}/"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"in_app": True}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    body = {"event_type": "workflows.*", "in_app": True, "email": True}
    assert api.post("/api/v1/core/notification-preferences/", body, format="json").status_code == 201
    duplicate = api.post("/api/v1/core/notification-preferences/", body, format="json")
    assert duplicate.status_code == 400, duplicate.content
    bad = api.post("/api/v1/core/notification-preferences/", {**body, "event_type": "Not An Event"}, format="json")
    assert bad.status_code == 400 and "event_type" in bad.json()["errors"]


def test_set_preference_is_audited_and_idempotent(tenant, admin_user):
    from shopfloor.core.models import AuditEvent

    pref = notifications.set_preference(actor=admin_user, event_type="core.x", in_app=True, email=False)
    same = notifications.set_preference(actor=admin_user, event_type="core.x", in_app=True, email=False)
    changed = notifications.set_preference(actor=admin_user, event_type="core.x", in_app=False, email=False)
    assert pref.pk == same.pk == changed.pk and not changed.in_app
    actions = list(
        AuditEvent.objects.filter(object_type="core.notificationpreference").values_list("action", flat=True)
    )
    assert sorted(actions) == ["create", "update"]
