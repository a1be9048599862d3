"""Scanner forms: people scan codes (item number, location code, lot, serial), never pick ids.

The forms only parse and resolve codes to rows of the organization; the views hand the
result to the services, which hold every rule.
"""

from __future__ import annotations

from typing import Any

from django import forms

from shopfloor.catalog.models import QUANTITY, Item
from shopfloor.core import access, tenancy
from shopfloor.core.forms import ServiceModelForm

from .models import Location, Lot, SerialNumber


def _scan(label: str, *, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=80,
        help_text=help_text,
        widget=forms.TextInput(attrs={"data-scan": "1", "autocomplete": "off", "autocapitalize": "characters"}),
    )


def _quantity(label: str = "Quantity", *, allow_negative: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        **QUANTITY,
        widget=forms.NumberInput(
            attrs={"inputmode": "decimal", "step": "any", **({} if allow_negative else {"min": "0"})}
        ),
    )


def find_location(code: str) -> Location:
    """A location by its code, in the plant chosen in the header when codes repeat across plants.

    Only the plants the user works at: another plant's location is not found, like another
    organization's, and its code repeating there does not make the user's own ambiguous."""
    found = Location.objects.filter(code__iexact=code.strip()).select_related("plant")
    user = tenancy.current_user()
    if user is not None:
        found = access.at_user_plants(found, user)
    rows = list(found)
    plant = tenancy.current_plant()
    if len(rows) > 1 and plant is not None:
        rows = [r for r in rows if r.plant_id == plant.pk]
    if not rows:
        raise forms.ValidationError(f"No location '{code}'.")
    if len(rows) > 1:
        raise forms.ValidationError(f"'{code}' exists in several plants: choose the plant in the header.")
    return rows[0]


class ScanForm(forms.Form):
    """Item, quantity, and the lot or serial where the item is tracked."""

    item = _scan("Item", help_text="Scan or type the item number.")
    quantity = _quantity()
    lot = _scan("Lot", required=False)
    serial = _scan("Serial number", required=False)
    reason_code = forms.CharField(label="Reason code", required=False, max_length=40)

    location_fields: tuple[str, ...] = ()

    def clean_item(self) -> Item:
        number = self.cleaned_data["item"].strip()
        item = Item.objects.select_related("stock_unit").filter(number__iexact=number).first()
        if item is None:
            raise forms.ValidationError(f"No item '{number}'.")
        return item

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in self.location_fields:
            code = data.get(name)
            if code:
                try:
                    data[name] = find_location(code)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        item = data.get("item")
        if isinstance(item, Item):
            lot_number = (data.get("lot") or "").strip()
            data["lot_number"] = lot_number
            data["lot"] = Lot.objects.filter(item=item, number=lot_number).first() if lot_number else None
            if lot_number and data["lot"] is None and not self.creates_lots:
                self.add_error("lot", f"{item.number} has no lot '{lot_number}'.")
            serial_text = (data.get("serial") or "").strip()
            data["serial_text"] = serial_text
            data["serial"] = SerialNumber.objects.filter(item=item, serial=serial_text).first() if serial_text else None
            if serial_text and data["serial"] is None and not self.creates_lots:
                self.add_error("serial", f"{item.number} has no serial '{serial_text}'.")
        return data

    creates_lots = False


class ReceiveForm(ScanForm):
    location = _scan("Into location")
    expires_on = forms.DateField(label="Expires on", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ["location", "item", "lot", "serial", "quantity", "expires_on", "reason_code"]
    location_fields = ("location",)
    creates_lots = True  # a receipt brings new lots and serials into the plant


class IssueForm(ScanForm):
    location = _scan("From location")
    field_order = ["location", "item", "lot", "serial", "quantity", "reason_code"]
    location_fields = ("location",)


class TransferForm(ScanForm):
    from_location = _scan("From location")
    to_location = _scan("To location")
    field_order = ["from_location", "item", "lot", "serial", "quantity", "to_location", "reason_code"]
    location_fields = ("from_location", "to_location")


class CountStartForm(forms.Form):
    location = _scan("Location to count")

    def clean_location(self) -> Location:
        return find_location(self.cleaned_data["location"])


class CountLineForm(forms.Form):
    item = _scan("Item")
    lot = _scan("Lot", required=False)
    counted_quantity = _quantity("Counted quantity")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        number = (data.get("item") or "").strip()
        item = Item.objects.filter(number__iexact=number).first() if number else None
        if number and item is None:
            self.add_error("item", f"No item '{number}'.")
        data["item"] = item
        lot_number = (data.get("lot") or "").strip()
        data["lot"] = Lot.objects.filter(item=item, number=lot_number).first() if item and lot_number else None
        if lot_number and data["lot"] is None:
            self.add_error("lot", f"No lot '{lot_number}' of this item.")
        return data


class LocationForm(ServiceModelForm):
    class Meta:
        model = Location
        fields = ["plant", "parent", "code", "name", "location_type", "allow_negative", "is_active"]
