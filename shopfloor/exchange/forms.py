"""The upload form of the Import/Export page."""

from __future__ import annotations

from typing import Any

from django import forms

from . import registry


class ImportForm(forms.Form):
    dataset = forms.ChoiceField(label="Dataset")
    file = forms.FileField(
        label="File", help_text="CSV (UTF-8; comma, semicolon or tab) or XLSX; column names in row 1."
    )
    dry_run = forms.BooleanField(label="Dry run: check every row, write nothing", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [(d.name, d.label) for d in registry.all_datasets()]
