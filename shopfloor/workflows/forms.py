"""Web forms of workflows: they parse input; the services hold the rules."""

from __future__ import annotations

import dataclasses
from typing import Any

from django import forms

from shopfloor.core.forms import ServiceModelForm

from . import services
from .models import ChangeRequest, WorkflowDefinition, WorkflowState, WorkflowTransition
from .registry import GUARDS


class ChangeRequestForm(ServiceModelForm):
    class Meta:
        model = ChangeRequest
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}


class WorkflowStateForm(ServiceModelForm):
    class Meta:
        model = WorkflowState
        fields = ["key", "label", "colour", "is_initial", "is_final", "position"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}
        labels = {"is_initial": "Initial state", "is_final": "Final state"}


class WorkflowTransitionForm(ServiceModelForm):
    guards = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple, help_text="Conditions checked in code."
    )

    class Meta:
        model = WorkflowTransition
        fields = [
            "source",
            "target",
            "label",
            "permission",
            "guards",
            "approvals_required",
            "approver_role",
            "exclude_creator",
            "signature_required",
            "signature_meaning",
            "comment_required",
            "position",
        ]

    def __init__(self, *args: Any, definition: WorkflowDefinition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        states = definition.states.all()
        self.fields["source"].queryset = states
        self.fields["target"].queryset = states
        choices = [(name, f"{name}: {spec.description}") for name, spec in sorted(GUARDS.items())]
        # An unknown guard already on the transition stays visible, so the editor can remove it.
        for name in self.initial.get("guards") or []:
            if name not in GUARDS:
                choices.append((name, f"{name} (not known to this installation)"))
        self.fields["guards"].choices = choices


# --- Signature dialog -------------------------------------------------------------------------

# SignatureInput fields every signature form has (or that are not typed by the signer).
_BASE_SIGNATURE_FIELDS = {"password", "meaning", "request"}


def _one_time_code_fields() -> list[str]:
    """SignatureInput fields that take a one-time code (TOTP), when the engine has them."""
    return [
        f.name
        for f in dataclasses.fields(services.SignatureInput)
        if f.name not in _BASE_SIGNATURE_FIELDS and ("otp" in f.name.lower() or f.name.lower() == "code")
    ]


def _asks_for_code(user: Any) -> bool:
    """Whether the engine wants a one-time code from this signer (they have an authenticator)."""
    for name in ("totp_required", "totp_devices"):
        check = getattr(services, name, None)
        if callable(check):
            try:
                return bool(check(user))
            except (ImportError, LookupError):  # the authenticator app is not installed
                return False
    return False


def signature_extra_fields(user: Any) -> list[dict[str, str]]:
    """Inputs the signature dialog shows beyond the password: a TOTP code if the engine asks for it."""
    names = _one_time_code_fields()
    if not names or not _asks_for_code(user):
        return []
    return [{"name": name, "label": "Authenticator code", "autocomplete": "one-time-code"} for name in names]


def signature_input_values(post: Any) -> dict[str, str]:
    """The one-time code fields a signature form posted (`signature_<field>`), for SignatureInput."""
    return {name: post.get(f"signature_{name}", "") for name in _one_time_code_fields() if f"signature_{name}" in post}
