"""Production web forms: they parse; the services hold every rule and their errors come back
onto these fields through `apply_validation_error`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from shopfloor.catalog.models import QUANTITY, Item, Unit
from shopfloor.core.models import Plant
from shopfloor.inventory.models import Location, Lot
from shopfloor.resources.models import Machine
from shopfloor.sales.models import SalesOrder, SalesOrderLine

from .models import Operation, WorkOrder


def _quantity(label: str = "Quantity", *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        **QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
    )


def _real_locations() -> Any:
    return (
        Location.objects.filter(is_active=True)
        .exclude(location_type__in=list(Location.VIRTUAL_TYPES))
        .select_related("plant")
        .order_by("plant__code", "code")
    )


class WorkOrderForm(forms.Form):
    """A new work order by hand (or for a sales order line)."""

    item = forms.ModelChoiceField(queryset=Item.objects.order_by("number"))
    quantity = _quantity()
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.order_by("code"), required=False, help_text="Default: the item's stock unit."
    )
    plant = forms.ModelChoiceField(queryset=Plant.objects.filter(is_active=True).order_by("code"))
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    planned_start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=WorkOrder.Kind.choices, initial=WorkOrder.Kind.PRODUCTION)
    serial_number = forms.CharField(
        required=False, max_length=80, label="Serial number", help_text="Repairs of serial-numbered units."
    )
    sales_order_line = forms.ModelChoiceField(
        queryset=SalesOrderLine.objects.select_related("order", "item").order_by("-order_id", "position"),
        required=False,
        label="Sales order line",
    )
    parent = forms.ModelChoiceField(queryset=WorkOrder.objects.order_by("-id"), required=False, label="Parent order")
    issue_location = forms.ModelChoiceField(queryset=_real_locations(), required=False, label="Pick material from")
    output_location = forms.ModelChoiceField(queryset=_real_locations(), required=False, label="Receive output into")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        data["serial"] = data.pop("serial_number", None)
        return data


class WorkOrderEditForm(forms.Form):
    quantity = _quantity()
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    planned_start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    issue_location = forms.ModelChoiceField(queryset=_real_locations(), required=False, label="Pick material from")
    output_location = forms.ModelChoiceField(queryset=_real_locations(), required=False, label="Receive output into")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, instance: WorkOrder | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(instance, name) for name in self.base_fields}
        self.instance = instance
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}


class FromSalesOrderForm(forms.Form):
    order = forms.ModelChoiceField(
        queryset=SalesOrder.objects.filter(status__in=["confirmed", "in_production"]).order_by("-id"),
        label="Sales order",
    )


class StartForm(forms.Form):
    machine = forms.ModelChoiceField(queryset=Machine.objects.order_by("code"), required=False)
    operator = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)


class CompleteForm(forms.Form):
    good_quantity = _quantity("Good")
    scrap_quantity = _quantity("Scrap", required=False)
    scrap_reason = forms.ChoiceField(choices=[("", "—"), *Operation.ScrapReason.choices], required=False)


class MaterialMoveForm(forms.Form):
    """Issue or return: the material line is in the URL; lot by number, serial by text."""

    quantity = _quantity()
    location = forms.ModelChoiceField(queryset=_real_locations())
    lot = forms.CharField(required=False, max_length=60, label="Lot")
    serial = forms.CharField(required=False, max_length=80, label="Serial number")

    def lot_for(self, item: Item) -> Lot | None:
        number = (self.cleaned_data.get("lot") or "").strip()
        if not number:
            return None
        lot = Lot.objects.filter(item=item, number=number).first()
        if lot is None:
            raise forms.ValidationError({"lot": [f"{item.number} has no lot '{number}'."]})
        return lot


class OutputForm(forms.Form):
    quantity = _quantity()
    location = forms.ModelChoiceField(queryset=_real_locations(), required=False, help_text="Default: the order's.")
    lot_number = forms.CharField(required=False, max_length=60, help_text="Default: numbered from the order.")
    serials = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line or comma-separated; default: numbered from the order.",
    )

    def serial_list(self) -> list[str]:
        raw = self.cleaned_data.get("serials") or ""
        return [s.strip() for s in raw.replace(",", "\n").splitlines() if s.strip()]


class TraceForm(forms.Form):
    lot = forms.CharField(required=False, max_length=60, label="Lot number")
    serial = forms.CharField(required=False, max_length=80, label="Serial number")
    direction = forms.ChoiceField(
        choices=[("backward", "What went into it"), ("forward", "Where it went")], required=False
    )
