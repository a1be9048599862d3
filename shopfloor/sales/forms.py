"""Web forms of sales: they parse input; the sales services validate and write."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from shopfloor.catalog.models import QUANTITY, Item, Unit
from shopfloor.core.forms import ServiceModelForm
from shopfloor.core.models import Plant
from shopfloor.inventory.models import Location, Lot, SerialNumber
from shopfloor.partners.models import Customer, Rig, Well

from .models import SalesOrder, SalesOrderLine

DATE = forms.DateInput(attrs={"type": "date"})


class SalesOrderForm(ServiceModelForm):
    class Meta:
        model = SalesOrder
        fields = ["plant", "customer", "rig", "well", "customer_reference", "order_date", "currency", "notes"]
        labels = {"plant": "Ships from plant", "customer_reference": "Customer's PO number"}
        widgets = {"order_date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plant"].queryset = Plant.objects.all()
        self.fields["customer"].queryset = Customer.objects.filter(is_active=True)
        self.fields["rig"].queryset = Rig.objects.select_related("customer")
        self.fields["well"].queryset = Well.objects.select_related("customer")


class SalesOrderLineForm(ServiceModelForm):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False, help_text="Default: the stock unit.")

    class Meta:
        model = SalesOrderLine
        fields = ["item", "quantity", "unit", "unit_price", "due_date", "notes"]
        widgets = {"due_date": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.exclude(status="obsolete")
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True)

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        if data.get("unit") is None:
            data.pop("unit", None)
        return data


class ShipLineForm(forms.Form):
    """Pick where the goods leave from, how many, and the lot or serials of a tracked item."""

    location = forms.ModelChoiceField(queryset=Location.objects.none(), label="Ship from")
    quantity = forms.DecimalField(**QUANTITY, min_value=0)
    lot = forms.ModelChoiceField(queryset=Lot.objects.none(), required=False)
    serials = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One serial number per line (scan them).",
    )
    note = forms.CharField(required=False, max_length=500)
    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, line: SalesOrderLine, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        item = line.item
        with_stock = Location.objects.filter(
            plant_id=line.order.plant_id,
            is_active=True,
            balances__item=item,
            balances__on_hand__gt=0,
        ).exclude(location_type__in=sorted(Location.VIRTUAL_TYPES))
        self.fields["location"].queryset = with_stock.distinct().order_by("code")
        self.fields["quantity"].initial = line.open_quantity.normalize()
        self.fields["quantity"].help_text = f"In {item.stock_unit} (stock unit); {line.open_quantity.normalize()} open."
        if item.tracking == Item.Tracking.LOT:
            self.fields["lot"].queryset = Lot.objects.filter(item=item).order_by("expires_on", "number")
        else:
            del self.fields["lot"]
        if item.tracking != Item.Tracking.SERIAL:
            del self.fields["serials"]
        self.fields["key"].initial = uuid.uuid4().hex

    def clean_serials(self) -> list[SerialNumber]:
        found = []
        for text in [t.strip() for t in self.cleaned_data.get("serials", "").splitlines() if t.strip()]:
            serial = SerialNumber.objects.filter(item=self.line.item, serial=text).first()
            if serial is None:
                raise forms.ValidationError(f"{self.line.item.number} has no serial number '{text}'.")
            found.append(serial)
        return found
