"""Web forms of integrations: they parse; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from shopfloor.core import selectors as core_selectors
from shopfloor.core.forms import ServiceModelForm

from .models import WebhookSubscription


class WebhookForm(ServiceModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label="URL",
        help_text="http:// or https://; the receiver verifies the X-Shopfloor-Signature header.",
    )
    event_types = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One event type or pattern per line (or comma-separated): workflows.*, core.plant.created, *.",
    )
    owner = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Notified when the webhook is disabled after repeated failures."
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_types", "owner", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = core_selectors.organization_users().order_by("username")
        if self.instance is not None and self.instance.pk is not None:
            self.initial["event_types"] = "\n".join(self.instance.event_types or [])

    def clean_event_types(self) -> list[str]:
        raw = self.cleaned_data.get("event_types") or ""
        return [part.strip() for part in raw.replace(",", "\n").splitlines() if part.strip()]
