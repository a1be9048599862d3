"""Web forms of field assets. They parse and offer choices; the services hold every rule.

The dull grade form offers each IADC column as a select of the codes for the bit's kind
(roller cone or fixed cutter), so a grader picks from the published list instead of typing.
"""

from __future__ import annotations

from typing import Any

from django import forms

from shopfloor.catalog.models import Item
from shopfloor.core.forms import ServiceModelForm
from shopfloor.core.models import Plant
from shopfloor.inventory.models import Location
from shopfloor.partners.models import Rig, Well

from . import iadc
from .models import BitRun, FieldAsset


def shelves(asset: FieldAsset) -> Any:
    """The real (non-virtual) active locations of the asset's plant."""
    return (
        Location.objects.filter(plant_id=asset.plant_id, is_active=True)
        .exclude(location_type__in=list(Location.VIRTUAL_TYPES))
        .order_by("code")
    )


class AssetForm(forms.Form):
    """Register a bit: its home plant, its item and serial number, and what kind of bit it is."""

    plant = forms.ModelChoiceField(queryset=Plant.objects.filter(is_active=True), help_text="The bit's home shop.")
    item = forms.ModelChoiceField(
        queryset=Item.objects.filter(tracking=Item.Tracking.SERIAL).order_by("number"),
        help_text="A serial-tracked item (the bit's design).",
    )
    serial_text = forms.CharField(
        label="Serial number", max_length=80, help_text="Registered when new; one asset per serial."
    )
    bit_type = forms.ChoiceField(label="Kind", choices=FieldAsset.BitType.choices)
    size = forms.DecimalField(
        label="Size (in)", max_digits=7, decimal_places=3, required=False, help_text='8.5 for 8-1/2".'
    )
    iadc_class = forms.CharField(label="IADC classification", max_length=8, required=False)
    notes = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class AssetEditForm(ServiceModelForm):
    class Meta:
        model = FieldAsset
        fields = ["bit_type", "size", "iadc_class", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ReceiveForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        required=False,
        help_text="Where the bit is put (not needed when its serial is already on a shelf).",
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, asset: FieldAsset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = shelves(asset)


class AssignForm(forms.Form):
    rig = forms.ModelChoiceField(queryset=Rig.objects.filter(is_active=True).select_related("customer"))
    well = forms.ModelChoiceField(
        queryset=Well.objects.filter(is_active=True).select_related("customer"),
        required=False,
        help_text="The well it will drill, when known.",
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rig"].label_from_instance = lambda rig: f"{rig.name} ({rig.customer.name})"
        self.fields["well"].label_from_instance = lambda well: f"{well.name} ({well.customer.name})"


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=500)


class RunForm(forms.ModelForm):
    """A run as the rig reports it; footage and ROP are computed by the service."""

    class Meta:
        model = BitRun
        fields = ["well", "run_date", "depth_unit", "depth_in", "depth_out", "hours_on_bottom", "note"]
        widgets = {"run_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, asset: FieldAsset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wells = Well.objects.filter(is_active=True).order_by("name")
        if asset.customer_id:
            wells = wells.filter(customer_id=asset.customer_id)
        self.fields["well"].queryset = wells
        self.fields["well"].required = False
        self.fields["well"].help_text = "Default: the well of the assignment."
        for name in ("depth_in", "depth_out", "hours_on_bottom"):
            # The service says what is wrong with a depth or hours, in the plant's words.
            self.fields[name].validators = []
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    def _post_clean(self) -> None:
        pass


class ReturnForm(forms.Form):
    """The bit back from the rig: where it goes, and its IADC dull grade from the code lists."""

    to_location = forms.ModelChoiceField(
        queryset=Location.objects.none(), label="Back to location", help_text="The shelf or quarantine it goes to."
    )

    def __init__(self, *args: Any, asset: FieldAsset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_location"].queryset = shelves(asset)
        for name in iadc.FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=iadc.LABELS[name], choices=[("", "—"), *iadc.choices(asset.bit_type, name)]
            )
        self.fields["remarks"] = forms.CharField(required=False, max_length=500)
        self.fields["note"] = forms.CharField(required=False, max_length=500)

    def grade(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in iadc.FIELDS}


class RepairForm(forms.Form):
    due_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Default: in 14 days."
    )
    note = forms.CharField(required=False, max_length=500, help_text="What the shop should look at.")


class BackInStockForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, help_text="Move it to this shelf (optional)."
    )
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, asset: FieldAsset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = shelves(asset)


class ScrapForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="Why the bit is finished (or how it was lost in hole).")
