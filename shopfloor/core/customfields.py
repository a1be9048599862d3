"""Custom fields: administrator-defined extra fields, stored in a model's JSON column.

`clean_values()` is the one validator; the API serializers, the web forms and the services
all call it, so a bad value is refused with the same message everywhere, naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from .models import CustomFieldDefinition, TypeListEntry

FieldType = CustomFieldDefinition.FieldType


def model_label(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


def supports_custom_fields(model: type[models.Model]) -> bool:
    return any(f.name == "custom_fields" for f in model._meta.get_fields())


def definitions_for(model: type[models.Model] | str) -> list[CustomFieldDefinition]:
    label = model if isinstance(model, str) else model_label(model)
    return list(
        CustomFieldDefinition.objects.filter(model=label, is_active=True)
        .select_related("type_list")
        .order_by("position", "key")
    )


def _choices(definition: CustomFieldDefinition) -> set[str]:
    if definition.type_list_id is None:
        return set()
    return set(
        TypeListEntry.objects.filter(type_list_id=definition.type_list_id, is_active=True).values_list(
            "value", flat=True
        )
    )


def clean_value(definition: CustomFieldDefinition, value: Any) -> Any:
    """Return the JSON value to store, or raise ValidationError with a message for the field."""
    kind = definition.field_type
    if kind == FieldType.TEXT:
        if not isinstance(value, str):
            raise ValidationError("Enter text.")
        if definition.max_length and len(value) > definition.max_length:
            raise ValidationError(f"At most {definition.max_length} characters.")
        if definition.pattern and not re.fullmatch(definition.pattern, value):
            raise ValidationError(f"Must match the pattern {definition.pattern}.")
        return value
    if kind == FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValidationError("Enter a whole number.")
        try:
            number = int(value)
        except ValueError:
            raise ValidationError("Enter a whole number.") from None
        _check_range(definition, Decimal(number))
        return number
    if kind == FieldType.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise ValidationError("Enter a number.")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError("Enter a number.") from None
        if not number.is_finite():
            raise ValidationError("Enter a finite number.")
        _check_range(definition, number)
        # Stored as a JSON number so that range filters compare numerically (15 significant digits).
        return float(number)
    if kind == FieldType.DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        if not isinstance(value, str):
            raise ValidationError("Enter a date as YYYY-MM-DD.")
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValidationError("Enter a date as YYYY-MM-DD.") from None
    if kind == FieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "on", "yes", "no", "1", "0"}:
            return value.lower() in {"true", "on", "yes", "1"}
        raise ValidationError("Enter true or false.")
    if kind == FieldType.URL:
        if not isinstance(value, str):
            raise ValidationError("Enter a URL.")
        URLValidator(message="Enter a valid URL.")(value)
        return value
    if kind == FieldType.CHOICE:
        if not isinstance(value, str) or value not in _choices(definition):
            raise ValidationError(f"'{value}' is not one of the choices of this field.")
        return value
    if kind == FieldType.MULTI_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("Enter a list of choices.")
        bad = [v for v in value if v not in _choices(definition)]
        if bad:
            raise ValidationError(f"Not among the choices of this field: {', '.join(bad)}.")
        return sorted(set(value))
    raise ValidationError(f"Unknown field type {kind}.")


def _check_range(definition: CustomFieldDefinition, number: Decimal) -> None:
    unit = f" {definition.unit}" if definition.unit else ""
    if definition.min_value is not None and number < definition.min_value:
        raise ValidationError(f"Must be at least {definition.min_value.normalize():f}{unit}.")
    if definition.max_value is not None and number > definition.max_value:
        raise ValidationError(f"Must be at most {definition.max_value.normalize():f}{unit}.")


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def clean_values(
    model: type[models.Model] | str, values: Any, *, existing: dict[str, Any] | None = None, partial: bool = False
) -> dict[str, Any]:
    """Validate a whole custom-field dict for a model; errors keyed `custom_fields.<key>`."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"custom_fields": ["Expected an object of field keys and values."]})
    definitions = {d.key: d for d in definitions_for(model)}
    result = dict(existing or {}) if partial else {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_fields.{key}"] = ["There is no such custom field."]
            continue
        if _is_empty(value):
            result.pop(key, None)
            continue
        try:
            result[key] = clean_value(definition, value)
        except ValidationError as exc:
            errors[f"custom_fields.{key}"] = list(exc.messages)
    for key, definition in definitions.items():
        if definition.required and _is_empty(result.get(key)) and f"custom_fields.{key}" not in errors:
            errors[f"custom_fields.{key}"] = ["This field is required."]
    if errors:
        raise ValidationError(errors)
    return result
