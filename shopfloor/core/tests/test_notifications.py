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


def test_notify_needs_an_organization_in_context(admin_user):
    with pytest.raises(tenancy.NoTenant):
        notifications.notify(recipients=[admin_user], event_type="core.x", title="Hi")
