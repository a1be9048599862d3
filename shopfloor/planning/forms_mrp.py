"""MRP, forecast and capacity web forms: they parse; the services hold the rules and their errors
come back onto these fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from shopfloor.catalog.models import Item
from shopfloor.core import access
from shopfloor.core.forms import ServiceModelForm
from shopfloor.core.models import Plant
from shopfloor.partners.models import Supplier

from . import capacity
from .models import Forecast


def _plants() -> Any:
    return Plant.objects.filter(is_active=True).order_by("code")


class ForecastForm(ServiceModelForm):
    class Meta:
        model = Forecast
        fields = ["plant", "item", "period_start", "quantity", "notes"]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "quantity": forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plant"].queryset = _plants()
        self.fields["item"].queryset = Item.objects.exclude(status="obsolete").order_by("number")
        self.fields["period_start"].help_text = "First day of the week or month the demand falls in."


class MrpRunForm(forms.Form):
    plant = forms.ModelChoiceField(queryset=Plant.objects.none())
    horizon_days = forms.IntegerField(
        label="Horizon (days)", min_value=1, max_value=3660, initial=180, help_text="How far ahead to plan."
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        """`user`: offer only the plants they work at."""
        super().__init__(*args, **kwargs)
        self.fields["plant"].queryset = _plants() if user is None else access.plants_of(user)


class FirmForm(forms.Form):
    """Which planned orders to firm (checkboxes) and the supplier for the buy orders among them."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Planned orders")
    supplier = forms.ModelChoiceField(
        queryset=Supplier.objects.none(),
        required=False,
        help_text="For the planned purchase orders selected; empty: each order's own supplier.",
    )

    def __init__(self, *args: Any, choices: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = list(choices)
        self.fields["supplier"].queryset = Supplier.objects.filter(is_active=True).order_by("name")


class CapacityForm(forms.Form):
    plant = forms.ModelChoiceField(queryset=Plant.objects.none())
    mode = forms.ChoiceField(
        choices=[(capacity.ROUGH_CUT, "Rough-cut (orders and plan)"), (capacity.DETAILED, "Detailed (schedule)")],
        initial=capacity.ROUGH_CUT,
    )
    bucket = forms.ChoiceField(choices=[("day", "Day"), ("week", "Week")], initial="day")
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plant"].queryset = _plants()

    @staticmethod
    def defaults(plant: Plant | None) -> dict[str, Any]:
        today = timezone.localdate()
        monday = today - dt.timedelta(days=today.weekday())
        return {
            "plant": plant.pk if plant else None,
            "mode": capacity.ROUGH_CUT,
            "bucket": "day",
            "date_from": monday.isoformat(),
            "date_to": (monday + dt.timedelta(days=13)).isoformat(),
        }


__all__ = ["CapacityForm", "FirmForm", "ForecastForm", "MrpRunForm"]
