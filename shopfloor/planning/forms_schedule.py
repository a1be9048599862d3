"""Forms of the schedule page: they parse input; the services validate and write."""

from __future__ import annotations

from django import forms

from shopfloor.resources.models import Machine


class RescheduleForm(forms.Form):
    time_limit = forms.IntegerField(
        min_value=1, max_value=3600, initial=30, label="Time limit (s)", help_text="How long the optimiser may search."
    )
    include_planned_orders = forms.BooleanField(
        required=False, initial=True, label="Include planned work orders of the newest MRP run"
    )


class PinForm(forms.Form):
    operation = forms.IntegerField(widget=forms.HiddenInput)
    machine = forms.ModelChoiceField(queryset=Machine.objects.none())
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args, plant=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        machines = Machine.objects.exclude(status="retired").order_by("code")
        self.fields["machine"].queryset = machines.filter(plant=plant) if plant is not None else machines
