"""Web forms of partners: they parse input; the partners services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from shopfloor.core.forms import CustomFieldsFormMixin, ServiceModelForm

from .models import Contact, Customer, Rig, Supplier, Well


class CustomerForm(CustomFieldsFormMixin, ServiceModelForm):
    class Meta:
        model = Customer
        fields = ["name", "email", "phone", "address", "notes", "is_active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}


class SupplierForm(CustomFieldsFormMixin, ServiceModelForm):
    class Meta:
        model = Supplier
        fields = ["name", "email", "phone", "address", "currency", "lead_time_days", "notes", "is_active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}


class SupplierApprovalForm(forms.Form):
    approval_status = forms.ChoiceField(choices=Supplier.ApprovalStatus.choices, label="Approval status")
    approval_note = forms.CharField(
        max_length=300, required=False, label="Reason", help_text="Needed when conditional or blocked."
    )


class ContactForm(ServiceModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "is_primary"]


class RigForm(ServiceModelForm):
    class Meta:
        model = Rig
        fields = ["name", "contractor", "rig_type", "is_active"]


class WellForm(ServiceModelForm):
    class Meta:
        model = Well
        fields = ["name", "rig", "field", "operator", "latitude", "longitude", "planned_depth", "is_active"]
        labels = {"planned_depth": "Planned depth (m)"}

    def __init__(self, *args: Any, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = customer or getattr(self.instance, "customer", None)
        self.fields["rig"].queryset = Rig.objects.filter(customer=owner) if owner else Rig.objects.none()
