"""Forecast rules through the service: one per item, plant and period; audited; plant-scoped access."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.models import AuditEvent
from shopfloor.core.tests.factories import PlantFactory, member
from shopfloor.planning.models import Forecast
from shopfloor.planning.services import forecast as services
from shopfloor.planning.tests.factories import ForecastFactory

pytestmark = pytest.mark.django_db


def test_create_forecast_stores_and_audits(tenant, admin_user):
    plant, item = PlantFactory(), ItemFactory()
    forecast = services.create_forecast(
        actor=admin_user, data={"plant": plant, "item": item, "period_start": date(2027, 3, 1), "quantity": "40"}
    )
    assert forecast.quantity == Decimal("40")
    assert AuditEvent.objects.filter(
        object_type="planning.forecast", object_id=str(forecast.pk), action="create"
    ).exists()


def test_second_forecast_for_the_same_period_is_refused_on_period_start(tenant, admin_user):
    existing = ForecastFactory(period_start=date(2027, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.create_forecast(
            actor=admin_user,
            data={"plant": existing.plant, "item": existing.item, "period_start": date(2027, 3, 1), "quantity": 5},
        )
    assert "period_start" in exc.value.message_dict
    assert Forecast.objects.count() == 1


def test_negative_quantity_is_refused(tenant, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.create_forecast(
            actor=admin_user,
            data={"plant": PlantFactory(), "item": ItemFactory(), "period_start": date(2027, 3, 1), "quantity": "-1"},
        )
    assert "quantity" in exc.value.message_dict


def test_update_records_old_and_new_and_cannot_move_onto_another_period(tenant, admin_user):
    first = ForecastFactory(period_start=date(2027, 3, 1), quantity=10)
    second = ForecastFactory(plant=first.plant, item=first.item, period_start=date(2027, 4, 1))
    services.update_forecast(actor=admin_user, forecast=first, data={"quantity": "12"})
    event = AuditEvent.objects.filter(object_type="planning.forecast", object_id=str(first.pk), action="update").get()
    assert [Decimal(v) for v in event.changes["quantity"]] == [10, 12]
    with pytest.raises(ValidationError):
        services.update_forecast(actor=admin_user, forecast=second, data={"period_start": date(2027, 3, 1)})
    second.refresh_from_db()
    assert second.period_start == date(2027, 4, 1)


def test_delete_forecast(tenant, admin_user):
    forecast = ForecastFactory()
    services.delete_forecast(actor=admin_user, forecast=forecast)
    assert not Forecast.objects.exists()
    assert AuditEvent.objects.filter(object_type="planning.forecast", action="delete").exists()


def test_a_viewer_cannot_create(tenant, viewer_user):
    with pytest.raises(PermissionDenied):
        services.create_forecast(
            actor=viewer_user,
            data={"plant": PlantFactory(), "item": ItemFactory(), "period_start": date(2027, 3, 1), "quantity": 1},
        )


def test_planner_limited_to_another_plant_is_refused(org, tenant):
    home, other = PlantFactory(), PlantFactory()
    planner = member(org, ["planning.add_forecast"], plants=[home])
    services.create_forecast(
        actor=planner, data={"plant": home, "item": ItemFactory(), "period_start": date(2027, 3, 1), "quantity": 1}
    )
    with pytest.raises(PermissionDenied):
        services.create_forecast(
            actor=planner,
            data={"plant": other, "item": ItemFactory(), "period_start": date(2027, 3, 1), "quantity": 1},
        )
