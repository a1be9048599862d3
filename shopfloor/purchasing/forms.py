"""Web forms of purchasing: they parse input; the purchasing services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from shopfloor.catalog.models import QUANTITY, Item, Unit
from shopfloor.core.forms import ServiceModelForm
from shopfloor.core.models import Plant
from shopfloor.partners.selectors import orderable_suppliers

from .models import PurchaseOrder, PurchaseOrderLine, PurchasingSettings


class PurchaseOrderForm(ServiceModelForm):
    class Meta:
        model = PurchaseOrder
        fields = ["supplier", "plant", "order_date", "expected_date", "currency", "supplier_reference", "notes"]
        widgets = {
            "order_date": forms.DateInput(attrs={"type": "date"}),
            "expected_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blocked suppliers are not offered; the service refuses them anyway (e.g. blocked meanwhile).
        self.fields["supplier"].queryset = orderable_suppliers()
        self.fields["plant"].queryset = Plant.objects.filter(is_active=True)
        self.fields["currency"].required = False


class PurchaseOrderLineForm(ServiceModelForm):
    class Meta:
        model = PurchaseOrderLine
        fields = ["item", "quantity", "unit", "unit_price", "due_date", "description", "over_receipt_tolerance_percent"]
        labels = {"over_receipt_tolerance_percent": "Tolerance % (this line)"}
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.select_related("stock_unit")
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True)
        self.fields["unit"].required = False
        self.fields["unit"].help_text = "Default: the item's stock unit."
        self.fields["unit_price"].required = False
        self.fields["unit_price"].help_text = "Default: the item's standard cost."
        if self.instance.pk is None:
            # Left empty, the service prices the line at the item's standard cost (not the model's 0).
            self.initial.pop("unit_price", None)
            self.fields["unit_price"].initial = None

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        return {k: v for k, v in data.items() if not (k in ("unit", "unit_price") and v is None)}


class CommentForm(forms.Form):
    comment = forms.CharField(max_length=2000, required=False)


class SettingsForm(ServiceModelForm):
    class Meta:
        model = PurchasingSettings
        fields = ["approval_threshold", "receipt_tolerance_percent"]
        labels = {"receipt_tolerance_percent": "Receipt tolerance (%)"}


class ReceiveForm(forms.Form):
    """One row per open order line: quantity, lot number, serials (one per line of text)."""

    delivery_note = forms.CharField(max_length=80, required=False, label="Packing slip")
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, order_lines: list[PurchaseOrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_lines = order_lines
        self.rows = []
        for line in order_lines:
            pk = line.pk
            self.fields[f"quantity_{pk}"] = forms.DecimalField(
                **QUANTITY, required=False, label="Quantity", min_value=0
            )
            self.fields[f"lot_number_{pk}"] = forms.CharField(max_length=60, required=False, label="Lot")
            self.fields[f"expires_on_{pk}"] = forms.DateField(
                required=False, label="Expires", widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"serials_{pk}"] = forms.CharField(
                required=False, label="Serials", widget=forms.Textarea(attrs={"rows": 2}), max_length=20000
            )
            self.rows.append({"line": line, "names": ("quantity", "lot_number", "expires_on", "serials")})

    def bound_rows(self) -> list[dict[str, Any]]:
        return [
            {"line": row["line"], "fields": [self[f"{name}_{row['line'].pk}"] for name in row["names"]]}
            for row in self.rows
        ]

    def service_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.order_lines:
            quantity = self.cleaned_data.get(f"quantity_{line.pk}")
            if not quantity:
                continue
            lines.append(
                {
                    "order_line": line.pk,
                    "quantity": quantity,
                    "lot_number": self.cleaned_data.get(f"lot_number_{line.pk}") or "",
                    "expires_on": self.cleaned_data.get(f"expires_on_{line.pk}"),
                    "serials": self.cleaned_data.get(f"serials_{line.pk}") or "",
                }
            )
        return lines
