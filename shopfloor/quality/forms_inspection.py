"""Web forms of inspections: they parse input; the inspection services validate and write."""

from __future__ import annotations

from django import forms

from shopfloor.core.forms import ServiceModelForm

from .models import Characteristic, InspectionPlan


class InspectionPlanForm(ServiceModelForm):
    class Meta:
        model = InspectionPlan
        fields = [
            "item",
            "context",
            "name",
            "operation_sequence",
            "work_center",
            "sampling",
            "sample_size",
            "accept_number",
            "inspection_level",
            "aql",
        ]


class CharacteristicForm(ServiceModelForm):
    class Meta:
        model = Characteristic
        fields = [
            "position",
            "name",
            "kind",
            "nominal",
            "lsl",
            "usl",
            "unit",
            "gauge",
            "gauge_min",
            "gauge_max",
            "max_defects",
        ]


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, max_length=500)
