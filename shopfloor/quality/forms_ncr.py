"""Web forms of NCRs and CAPA: they parse input; the NCR services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from shopfloor.core import tenancy
from shopfloor.core.forms import ServiceModelForm
from shopfloor.inventory.models import Lot

from .models import Capa, Disposition, Ncr


class NcrForm(ServiceModelForm):
    class Meta:
        model = Ncr
        fields = [
            "plant",
            "title",
            "source",
            "item",
            "quantity",
            "location",
            "supplier",
            "customer",
            "description",
            "containment",
        ]


class InvestigationForm(ServiceModelForm):
    """Containment and root cause (five whys, cause category), edited until the NCR closes."""

    class Meta:
        model = Ncr
        fields = ["containment", "why_1", "why_2", "why_3", "why_4", "why_5", "cause_category", "root_cause"]
        widgets = {"containment": forms.Textarea(attrs={"rows": 2}), "root_cause": forms.Textarea(attrs={"rows": 2})}


class DispositionForm(forms.Form):
    kind = forms.ChoiceField(choices=Disposition.Kind.choices)
    quantity = forms.DecimalField(min_value=0, max_digits=18, decimal_places=6)
    lot = forms.ModelChoiceField(queryset=Lot.objects.none(), required=False)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, ncr: Ncr, kinds: list[str] | None = None, **kwargs: Any) -> None:
        """`kinds`: offer only these (those the user may post); all by default."""
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = Lot.objects.filter(item=ncr.item_id)
        if kinds is not None:
            self.fields["kind"].choices = [(k, label) for k, label in Disposition.Kind.choices if k in kinds]


class CloseForm(forms.Form):
    """Closing signs: the closer types their password again."""

    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    comment = forms.CharField(required=False, max_length=2000)


class CapaForm(ServiceModelForm):
    class Meta:
        model = Capa
        fields = ["kind", "source", "ncr", "audit_reference", "title", "description", "owner", "due_date"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization = tenancy.current_organization()
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(memberships__organization=organization, memberships__is_active=True)
            .order_by("username")
        )


class EffectivenessForm(forms.Form):
    effective = forms.TypedChoiceField(
        choices=[("yes", "Effective"), ("no", "Not effective")], coerce=lambda v: v == "yes"
    )
    note = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
