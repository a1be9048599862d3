"""The daily CAPA reminder task, run eagerly: one reminder per owner per day, per organization."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shopfloor.core import tenancy
from shopfloor.core.models import Notification
from shopfloor.core.tests.factories import OrganizationFactory, member
from shopfloor.quality.tasks import send_capa_reminders
from shopfloor.quality.tests.factories import CapaFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def test_the_task_reminds_due_and_overdue_owners_once_a_day_in_every_organization(org, admin_user):
    other = OrganizationFactory(name="Other Works", slug="other")
    bob = member(other, ["*"], username="bob")
    with tenancy.use(org, admin_user):
        CapaFactory(title="Calibrate bore gauges", due_date=TODAY - timedelta(days=2))  # overdue
        CapaFactory(title="Torque check", due_date=TODAY + timedelta(days=3))  # due soon
        CapaFactory(title="Retrain night shift", due_date=TODAY + timedelta(days=20))  # not yet
        CapaFactory(title="Old action", due_date=TODAY - timedelta(days=9), status="closed")  # done
    with tenancy.use(other, bob):
        CapaFactory(title="Fix leaking fixture", due_date=TODAY)

    result = send_capa_reminders.apply(kwargs={"today": TODAY.isoformat()}).get()

    assert result == {"acme": 2, "other": 1}
    with tenancy.use(org):
        titles = sorted(
            Notification.objects.filter(recipient=admin_user, event_type="quality.capa.reminder").values_list(
                "title", flat=True
            )
        )
    assert len(titles) == 2
    assert any("is overdue: Calibrate bore gauges" in t for t in titles)
    assert any("is due soon: Torque check" in t for t in titles)
    # run again the same day: nobody is reminded twice; the next day, again
    assert send_capa_reminders.apply(kwargs={"today": TODAY.isoformat()}).get() == {"acme": 0, "other": 0}
    nextday = (TODAY + timedelta(days=1)).isoformat()
    assert send_capa_reminders.apply(kwargs={"today": nextday}).get() == {"acme": 2, "other": 1}
