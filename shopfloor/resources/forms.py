"""Web forms of the resources app: they parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from shopfloor.catalog.models import Item
from shopfloor.core.forms import ServiceModelForm
from shopfloor.core.models import Plant

from .models import (
    CalendarException,
    Capability,
    Machine,
    MachineDowntime,
    Operation,
    Routing,
    ShiftPattern,
    WorkCenter,
    WorkingCalendar,
)

_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class WorkingCalendarForm(ServiceModelForm):
    class Meta:
        model = WorkingCalendar
        fields = ["name", "plant", "timezone", "description"]
        help_texts = {"timezone": "IANA zone, e.g. Europe/Oslo. Leave empty to use the plant's zone."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plant"].queryset = Plant.objects.all()


class ShiftPatternForm(ServiceModelForm):
    class Meta:
        model = ShiftPattern
        fields = ["weekday", "name", "start_time", "end_time", "break_minutes"]
        widgets = {"start_time": _TIME, "end_time": _TIME}


class CalendarExceptionForm(ServiceModelForm):
    class Meta:
        model = CalendarException
        fields = ["date", "kind", "description", "start_time", "end_time", "break_minutes"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}), "start_time": _TIME, "end_time": _TIME}


_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MachineDowntimeForm(ServiceModelForm):
    class Meta:
        model = MachineDowntime
        fields = ["kind", "starts_at", "ends_at", "reason"]
        widgets = {"starts_at": _DATETIME, "ends_at": _DATETIME}


class WorkCenterForm(ServiceModelForm):
    class Meta:
        model = WorkCenter
        fields = ["plant", "code", "name", "kind", "cost_rate_per_hour", "capacity", "calendar", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plant"].queryset = Plant.objects.filter(is_active=True)
        self.fields["calendar"].queryset = WorkingCalendar.objects.all()


class MachineForm(ServiceModelForm):
    class Meta:
        model = Machine
        fields = ["work_center", "code", "name", "capabilities", "manufacturer", "model_number", "serial_number"]
        widgets = {"capabilities": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_center"].queryset = WorkCenter.objects.select_related("plant")
        self.fields["capabilities"].queryset = Capability.objects.all()


class CapabilityForm(ServiceModelForm):
    class Meta:
        model = Capability
        fields = ["code", "name"]


class RoutingForm(ServiceModelForm):
    class Meta:
        model = Routing
        fields = ["item", "version", "description"]
        help_texts = {"version": "Leave empty for the item's next version."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.all()
        self.fields["version"].required = False
        if self.instance.pk is not None:
            self.fields["item"].disabled = True


class OperationForm(ServiceModelForm):
    class Meta:
        model = Operation
        fields = [
            "sequence",
            "description",
            "work_center",
            "eligible_machines",
            "setup_time_minutes",
            "run_time_per_unit_minutes",
            "required_skill",
            "work_instructions",
        ]
        widgets = {"work_instructions": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_center"].queryset = WorkCenter.objects.filter(is_active=True)
        self.fields["eligible_machines"].queryset = Machine.objects.exclude(status="retired").select_related(
            "work_center"
        )
        self.fields["eligible_machines"].required = False
        self.fields["eligible_machines"].help_text = "Machines of the operation's work center; empty: any of them."


class EstimateForm(forms.Form):
    quantity = forms.DecimalField(min_value=0, max_digits=20, decimal_places=6, initial=1)


class HoursRangeForm(forms.Form):
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
