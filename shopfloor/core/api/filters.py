"""Filter by custom fields: `?cf_<key>=value` (and `__gte`/`__lte` for numbers and dates)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import django_filters
import django_filters.fields
import django_filters.filterset
import django_filters.rest_framework
from django import forms
from django.core.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from .. import customfields


class CustomFieldFilter(BaseFilterBackend):
    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        params = {k: v for k, v in request.query_params.items() if k.startswith("cf_")}
        if not params or not customfields.supports_custom_fields(queryset.model):
            return queryset
        definitions = {d.key: d for d in customfields.definitions_for(queryset.model)}
        errors: dict[str, list[str]] = {}
        for name, raw in params.items():
            key, _, op = name[3:].partition("__")
            definition = definitions.get(key)
            if definition is None or op not in ("", "gte", "lte"):
                errors[name] = ["Unknown custom field filter."]
                continue
            value: Any = raw
            if definition.field_type == "multi_choice":
                # Holds the value as a whole element: look for it as a JSON string in the stored list
                # (a containment lookup would not work on SQLite).
                quoted = json.dumps(raw, ensure_ascii=False)
                queryset = queryset.filter(**{f"custom_fields__{key}__icontains": quoted})
                continue
            try:
                value = customfields.clean_value(definition, raw)
            except ValidationError as exc:
                errors[name] = list(exc.messages)
                continue
            lookup = f"custom_fields__{key}" + (f"__{op}" if op else "")
            queryset = queryset.filter(**{lookup: value})
        if errors:
            raise ValidationError(errors)
        return queryset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return []


# --- Filters on related rows: an id no database column can hold is a 400, not a 500 -----------

_ID_RANGE = range(-(2**63), 2**63)


def _check_id_range(field: forms.Field, values: Any) -> None:
    """Refuse ids outside 64 bits before the database sees them (SQLite raises OverflowError)."""
    for value in values if isinstance(values, list | tuple) else [values]:
        try:
            number = int(str(value).strip())
        except ValueError:
            continue  # not a number: Django's own lookup answers "select a valid choice"
        if number not in _ID_RANGE:
            raise ValidationError(
                field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )


class _IdModelChoiceField(django_filters.fields.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            _check_id_range(self, value)
        return super().to_python(value)


class _IdModelMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        _check_id_range(self, list(value))
        return super()._check_values(value)


class _UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """ISO 8601 with any offset Python accepts (up to ±23:59), converted to UTC: PostgreSQL
    refuses offsets beyond ±15:59, and a year-9999 bound moved past the calendar is a 400."""

    def to_python(self, value: Any) -> Any:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError("The date is outside the supported range.", code="invalid") from None


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _UTCIsoDateTimeField


class ShopfloorFilterSet(django_filters.rest_framework.FilterSet):
    """The base of every generated filter set: related-row filters range-check their ids."""

    FILTER_DEFAULTS = {
        **django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS,
        **{
            key: {
                **spec,
                "filter_class": type(
                    spec["filter_class"].__name__,
                    (spec["filter_class"],),
                    {
                        "field_class": _IdModelMultipleChoiceField
                        if issubclass(spec["filter_class"], django_filters.ModelMultipleChoiceFilter)
                        else _IdModelChoiceField
                    },
                ),
            }
            for key, spec in django_filters.filterset.FILTER_FOR_DBFIELD_DEFAULTS.items()
            if issubclass(
                spec["filter_class"], django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter
            )
        },
    }


class FilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    filterset_base = ShopfloorFilterSet
