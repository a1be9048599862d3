"""Terminal forms: a scan field, the quantities of a finished job card, the quantity of an issue.

Each parses input only; the views hand the values to `floor.services`, which call production's.
"""

from __future__ import annotations

from django import forms

from shopfloor.catalog.models import QUANTITY
from shopfloor.inventory.models import Location, Lot
from shopfloor.production.models import Operation

from . import labels


def _quantity(label: str, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=0,
        **QUANTITY,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "terminal-input"}),
    )


class ScanForm(forms.Form):
    code = forms.CharField(
        label="Scan",
        max_length=250,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "terminal-input scan-input",
                "placeholder": "Scan or type a code, then Enter",
            }
        ),
    )
    context = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)


class CompleteForm(forms.Form):
    good = _quantity("Good")
    scrap = _quantity("Scrap", required=False)
    scrap_reason = forms.ChoiceField(
        label="Scrap reason",
        required=False,
        choices=[("", "—"), *Operation.ScrapReason.choices],
        widget=forms.Select(attrs={"class": "terminal-input"}),
    )


class IssueForm(forms.Form):
    # With what the issue reads of them next (the lot's item, the location's plant for the
    # permission check): no query of their own on a busy floor.
    lot = forms.ModelChoiceField(queryset=Lot.objects.select_related("item"), widget=forms.HiddenInput)
    location = forms.ModelChoiceField(
        queryset=Location.objects.select_related("plant"), widget=forms.Select(attrs={"class": "terminal-input"})
    )
    quantity = _quantity("Quantity")
    key = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)


class LabelPrintForm(forms.Form):
    codes = forms.CharField(
        label="Labels to print",
        help_text="Scan or type one code per line: LOT:…, SN:…, LOC:….",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
    )
    size = forms.ChoiceField(
        label="Label size (mm)", choices=[(k, k) for k in labels.SIZES], initial=labels.DEFAULT_SIZE
    )
    barcode = forms.BooleanField(label="Add a Code 128 barcode where it fits", required=False, initial=True)
    copies = forms.IntegerField(label="Copies of each", min_value=1, max_value=50, initial=1)

    def code_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["codes"].splitlines() if line.strip()]
