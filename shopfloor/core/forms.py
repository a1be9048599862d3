"""Web forms of core, and the pieces every app's forms share.

Forms only parse and present input; the services validate the business rules. A service's
`ValidationError` comes back onto the form through `apply_validation_error`, so a rule is
written once and shown in the same place whichever face triggered it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from . import access, customfields
from .models import ApiToken, CustomFieldDefinition, Membership, Organization, Plant, Role, TypeList, TypeListEntry

CF_PREFIX = "cf_"
FieldType = CustomFieldDefinition.FieldType


# --- Shared pieces ---------------------------------------------------------------------------------


def apply_validation_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form: per field where the form has that field.

    Keys `custom_fields.<key>` land on the custom-field inputs; keys the form does not show
    (and messages without a field) become non-field errors, prefixed with the field name.
    """
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, errors in exc.error_dict.items():
        messages = [m for e in errors for m in e.messages]
        name = key
        if key.startswith("custom_fields."):
            name = CF_PREFIX + key.split(".", 1)[1]
        if name in form.fields and name != "__all__":
            for message in messages:
                form.add_error(name, message)
        else:
            prefix = "" if key in ("__all__", "non_field_errors") else f"{key.replace('_', ' ').capitalize()}: "
            for message in messages:
                form.add_error(None, f"{prefix}{message}")


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses: the model is validated and saved by a service.

    `service_data()` gives the cleaned values as the service's `data` dict; on an edit form
    only the fields that changed, so an update never re-sends (and re-validates) what the
    user did not touch.
    """

    def _post_clean(self) -> None:
        # The service runs full_clean on the object it writes; doing it here too would mutate
        # the instance (a tenant object the view loaded) and split validation over two places.
        pass

    def plain_field_names(self) -> list[str]:
        return [name for name in self.fields if not name.startswith(CF_PREFIX)]

    def service_data(self) -> dict[str, Any]:
        editing = self.instance is not None and self.instance.pk is not None
        names = self.plain_field_names()
        if editing:
            names = [n for n in names if n in self.changed_data]
        data = {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}
        if isinstance(self, CustomFieldsFormMixin):
            values = self.custom_field_values()
            if values or not editing or any(n.startswith(CF_PREFIX) for n in self.changed_data):
                data["custom_fields"] = values
        return data


class CustomFieldsFormMixin:
    """Adds one form field per active custom-field definition of `custom_fields_model`.

    Values come from and go to the model's `custom_fields` JSON; `custom_field_values()` is
    what the service's `customfields.clean_values` receives. The form fields stay lenient
    (no ranges, patterns or lengths): those rules live in `clean_values` and come back as
    field errors, so the message is the same as the API's.
    """

    custom_fields_model: type[models.Model] | None = None
    fields: dict[str, forms.Field]
    initial: dict[str, Any]
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        model = self.custom_fields_model or getattr(getattr(self, "_meta", None), "model", None)
        self.custom_field_definitions = customfields.definitions_for(model) if model is not None else []
        instance = getattr(self, "instance", None)
        existing = (getattr(instance, "custom_fields", None) or {}) if instance is not None else {}
        for definition in self.custom_field_definitions:
            name = CF_PREFIX + definition.key
            self.fields[name] = custom_form_field(definition)
            if definition.key in existing:
                self.initial[name] = existing[definition.key]

    def custom_field_names(self) -> list[str]:
        return [CF_PREFIX + d.key for d in self.custom_field_definitions]

    def custom_field_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.custom_field_definitions:
            value = self.cleaned_data.get(CF_PREFIX + definition.key)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            elif value is None:
                value = ""
            values[definition.key] = value
        return values


def custom_form_field(definition: CustomFieldDefinition) -> forms.Field:
    label = definition.label + (f" ({definition.unit})" if definition.unit else "")
    common: dict[str, Any] = {"label": label, "help_text": definition.help_text, "required": False}
    kind = definition.field_type
    if kind == FieldType.INTEGER:
        return forms.IntegerField(**common)
    if kind == FieldType.DECIMAL:
        return forms.DecimalField(**common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.BOOLEAN:
        return forms.BooleanField(**common)
    if kind == FieldType.URL:
        return forms.URLField(assume_scheme="https", **common)
    if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        entries = (
            TypeListEntry.objects.filter(type_list_id=definition.type_list_id, is_active=True)
            .order_by("position", "value")
            .values_list("value", "label")
        )
        choices = list(entries) if definition.type_list_id else []
        if kind == FieldType.CHOICE:
            return forms.ChoiceField(choices=[("", "—"), *choices], **common)
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(**common)


# --- Organization and plants -----------------------------------------------------------------------


class OrganizationForm(ServiceModelForm):
    class Meta:
        model = Organization
        fields = ["name"]


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(max_length=50, help_text="Short name used in URLs and the API header X-Organization.")
    admin_username = forms.CharField(
        max_length=150,
        required=False,
        label="First administrator",
        help_text="Username of an existing user who becomes its Administrator (optional).",
    )


class PlantForm(CustomFieldsFormMixin, ServiceModelForm):
    class Meta:
        model = Plant
        fields = ["code", "name", "timezone", "address", "is_active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"timezone": "IANA name, e.g. Europe/Oslo or America/Houston."}


# --- Members and roles ---------------------------------------------------------------------------


class MemberAddForm(forms.Form):
    """Either an existing login (by username) or a new one with a password."""

    MODE_CHOICES = [("existing", "An existing user"), ("new", "A new user")]

    mode = forms.ChoiceField(choices=MODE_CHOICES, initial="existing", widget=forms.RadioSelect, label="Add")
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False, help_text="New users only.")
    first_name = forms.CharField(max_length=150, required=False, help_text="New users only.")
    last_name = forms.CharField(max_length=150, required=False, help_text="New users only.")
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="New users only; at least 10 characters.",
    )
    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    plants = forms.ModelMultipleChoiceField(
        queryset=Plant.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for every plant.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "new" and not data.get("password"):
            self.add_error("password", "A new user needs a password.")
        return data


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["roles", "plants", "is_active"]
        widgets = {"roles": forms.CheckboxSelectMultiple, "plants": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].queryset = Role.objects.all()
        self.fields["plants"].queryset = Plant.objects.all()

    def _post_clean(self) -> None:
        pass


def permission_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grantable codenames grouped by app, for the role form's checkboxes."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for codename, label in access.all_permissions().items():
        app_label = codename.split(".", 1)[0]
        groups.setdefault(app_label, []).append((codename, f"{label} ({codename})"))
    return [(_app_name(app_label), items) for app_label, items in sorted(groups.items())]


def _app_name(app_label: str) -> str:
    try:
        return str(apps.get_app_config(app_label).verbose_name).title()
    except LookupError:
        return app_label.title()


class RoleForm(ServiceModelForm):
    """Permissions as grouped checkboxes, and free patterns (`quality.*`, `*.view_*`) one per line."""

    patterns = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "quality.*\n*.view_*"}),
        help_text="Patterns, one per line: 'quality.*' grants everything of Quality, '*' everything.",
    )

    class Meta:
        model = Role
        fields = ["name", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.permission_groups = permission_groups()
        known = {codename for _, items in self.permission_groups for codename, _ in items}
        current = list(self.instance.permissions or []) if self.instance.pk else []
        self.initial_permissions = current
        self.fields["permissions"] = forms.MultipleChoiceField(
            required=False,
            widget=forms.CheckboxSelectMultiple,
            choices=[(name, items) for name, items in self.permission_groups],
        )
        self.initial["permissions"] = [p for p in current if p in known]
        self.initial["patterns"] = "\n".join(p for p in current if p not in known)

    def chosen_permissions(self) -> list[str]:
        patterns = [line.strip() for line in self.cleaned_data.get("patterns", "").splitlines() if line.strip()]
        return sorted(set(self.cleaned_data.get("permissions", [])) | set(patterns))

    def plain_field_names(self) -> list[str]:
        return ["name", "description"]

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        chosen = self.chosen_permissions()
        # An unchanged list is not sent: a template role may hold patterns for apps not
        # installed yet, which the service would refuse as granting nothing.
        if not self.instance.pk or chosen != sorted(set(self.initial_permissions)):
            data["permissions"] = chosen
        return data


# --- Configuration: custom fields and type lists ---------------------------------------------------


def custom_field_model_choices() -> list[tuple[str, str]]:
    found = []
    for model in apps.get_models():
        if model.__module__.startswith("shopfloor.") and customfields.supports_custom_fields(model):
            found.append((model._meta.label_lower, str(model._meta.verbose_name).capitalize()))
    return sorted(found, key=lambda item: item[1])


class CustomFieldForm(ServiceModelForm):
    class Meta:
        model = CustomFieldDefinition
        fields = [
            "model",
            "key",
            "label",
            "field_type",
            "required",
            "help_text",
            "unit",
            "min_value",
            "max_value",
            "max_length",
            "pattern",
            "type_list",
            "position",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"] = forms.ChoiceField(
            choices=custom_field_model_choices(), label="Applies to", initial=self.instance.model or None
        )
        self.fields["type_list"].queryset = TypeList.objects.all()
        self.fields["type_list"].help_text = "Choice fields only: the list their values come from."
        if self.instance.pk:
            for name in ("model", "key", "field_type"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed once the field exists."


class TypeListForm(ServiceModelForm):
    class Meta:
        model = TypeList
        fields = ["key", "name", "description"]


class TypeListEntryForm(ServiceModelForm):
    class Meta:
        model = TypeListEntry
        fields = ["value", "label", "position"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. 'ERP sync'.")
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="Leave empty for a token that lives until revoked.",
    )


__all__ = [
    "ApiToken",
    "ApiTokenForm",
    "CustomFieldForm",
    "CustomFieldsFormMixin",
    "MemberAddForm",
    "MembershipForm",
    "OrganizationCreateForm",
    "OrganizationForm",
    "PlantForm",
    "RoleForm",
    "ServiceModelForm",
    "TypeListEntryForm",
    "TypeListForm",
    "apply_validation_error",
]
