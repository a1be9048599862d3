"""The SPC page's form: figures pasted from a spreadsheet, chart options, specification limits."""

from __future__ import annotations

from typing import Any

from django import forms

from . import spc
from .spc_io import parse_numbers, parse_sample_numbers

# Where an engine error belongs on this form (the engine names inputs as the textbook does).
_FORM_FIELD = {
    "values": "values",
    "subgroups": "values",
    "defectives": "values",
    "defects": "values",
    "sample_size": "sizes",
    "units": "sizes",
    "subgroup_size": "subgroup_size",
    "phase1_points": "phase1_points",
    "exclude": "exclude",
    "lsl": "lsl",
    "usl": "usl",
    "chart": "chart",
}


class SpcForm(forms.Form):
    chart = forms.ChoiceField(choices=list(spc.CHARTS.items()), initial="xbar_r")
    values = forms.CharField(
        label="Measurements or counts",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="In time order, one per line (or separated by spaces, tabs, commas). "
        "Variables charts: measurements; p/np: defectives per sample; c/u: defects per sample.",
    )
    sizes = forms.CharField(
        label="Sample sizes / units",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="p, np: the sample size of each sample; u: inspection units per sample (c: optional).",
    )
    subgroup_size = forms.IntegerField(
        min_value=2, max_value=spc.MAX_SUBGROUP, required=False, help_text="X-bar charts: measurements per subgroup."
    )
    phase1_points = forms.IntegerField(
        label="Phase I points", min_value=1, required=False, help_text="Baseline points (subgroups); default all."
    )
    exclude = forms.CharField(
        label="Exclude samples", required=False, help_text="Phase I samples with assignable causes, e.g. 15, 23."
    )
    lsl = forms.FloatField(label="LSL", required=False)
    usl = forms.FloatField(label="USL", required=False)
    rules = forms.ChoiceField(
        choices=[
            ("both", "Nelson and Western Electric"),
            ("nelson", "Nelson 1-8"),
            ("western_electric", "Western Electric 1-4"),
            ("none", "Limits only"),
        ],
        initial="both",
    )

    result: spc.ChartResult | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            numbers = parse_numbers(data["values"])
        except spc.SpcError as exc:
            self.add_error("values", str(exc))
            return data
        try:
            sizes = parse_numbers(data["sizes"]) if data.get("sizes") else None
        except spc.SpcError as exc:
            self.add_error("sizes", str(exc))
            return data
        chart = data["chart"]
        try:
            source = {"values": numbers} if chart in spc.VARIABLES_CHARTS else {"counts": numbers, "sizes": sizes}
            self.result = spc.compute(
                chart,
                subgroup_size=data.get("subgroup_size"),
                phase1=data.get("phase1_points"),
                exclude=parse_sample_numbers(data.get("exclude")),
                lsl=data.get("lsl"),
                usl=data.get("usl"),
                rules=data["rules"],
                **source,
            )
        except spc.SpcError as exc:
            self.add_error(_FORM_FIELD.get(exc.field), str(exc))
        return data
