"""Forecasts: the planner's expected independent demand per item, plant and period.

MRP reads them as gross requirements next to sales order lines, so one item has at most one
forecast per plant and period start: a second would silently double the demand.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shopfloor.core import access
from shopfloor.core import services as core_services

from ..models import Forecast

FIELDS = {"plant", "item", "period_start", "quantity", "notes"}


def _check(data: dict[str, Any], forecast: Forecast | None = None) -> dict[str, Any]:
    """The fields as they will be stored, refusing unknown names, a negative quantity and a duplicate."""
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError({name: ["Not a field of a forecast."] for name in sorted(unknown)})
    values = dict(data)
    merged = {name: getattr(forecast, name) for name in FIELDS} if forecast is not None else {}
    merged.update(values)
    errors: dict[str, list[str]] = {}
    for name, message in (
        ("plant", "Choose the plant."),
        ("item", "Choose the item."),
        ("period_start", "Give the first day of the period."),
    ):
        if merged.get(name) in (None, ""):
            errors[name] = [message]
    if "quantity" in values or forecast is None:
        try:
            quantity = Decimal(str(merged.get("quantity")))
        except (InvalidOperation, ValueError, TypeError):
            errors["quantity"] = ["Give the quantity as a number."]
        else:
            if not quantity.is_finite() or quantity < 0:
                errors["quantity"] = ["The quantity cannot be negative."]
            else:
                values["quantity"] = quantity
    if errors:
        raise ValidationError(errors)
    clash = Forecast.objects.filter(plant=merged["plant"], item=merged["item"], period_start=merged["period_start"])
    if forecast is not None:
        clash = clash.exclude(pk=forecast.pk)
    if clash.exists():
        raise ValidationError(
            {
                "period_start": [
                    f"{merged['item'].number} already has a forecast at {merged['plant'].code} "
                    f"for the period starting {merged['period_start']}; change that one."
                ]
            }
        )
    return values


@transaction.atomic
def create_forecast(*, actor: Any, data: dict[str, Any]) -> Forecast:
    """Record expected demand for an item in one period at a plant (one per item, plant and period)."""
    values = _check(data)
    access.require(actor, "planning.add_forecast", plant=values["plant"])
    return core_services.create_object(actor=actor, model=Forecast, data=values, plant=values["plant"])


@transaction.atomic
def update_forecast(*, actor: Any, forecast: Forecast, data: dict[str, Any]) -> Forecast:
    """Change a forecast (audited old and new); moving it onto another's period is refused."""
    access.require(actor, "planning.change_forecast", plant=forecast.plant)
    values = _check(data, forecast)
    if "plant" in values:
        access.require(actor, "planning.change_forecast", plant=values["plant"])
    return core_services.update_object(actor=actor, obj=forecast, data=values, plant=forecast.plant)


@transaction.atomic
def delete_forecast(*, actor: Any, forecast: Forecast) -> None:
    """Remove a forecast; runs already made keep their pegging (the link is cleared, not the plan)."""
    core_services.delete_object(actor=actor, obj=forecast, plant=forecast.plant)
