"""Serializer bases: unknown fields are an error, custom fields validated by the one engine."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .. import customfields


class StrictSerializerMixin:
    """A typo in a field name must not be silently ignored: unknown fields are a 400."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        elif data is not None and not isinstance(data, dict):
            raise serializers.ValidationError({"__all__": ["Expected a JSON object."]})
        return super().to_internal_value(data)  # type: ignore[misc]


class CustomFieldsField(serializers.JSONField):
    """The `custom_fields` object, validated against the organization's definitions."""

    def to_internal_value(self, data: Any) -> Any:
        data = super().to_internal_value(data)
        parent = self.parent
        model = parent.Meta.model  # type: ignore[union-attr]
        instance = getattr(parent, "instance", None)
        partial = bool(getattr(parent, "partial", False))
        existing = getattr(instance, "custom_fields", None) or {}
        try:
            cleaned = customfields.clean_values(model, data, existing=existing, partial=partial)
        except DjangoValidationError as exc:
            # Errors are keyed custom_fields.<key>; keep the key below custom_fields, so that the
            # response names custom_fields.<key>. A non-object value is an error of custom_fields itself.
            errors = exc.message_dict
            if set(errors) == {"custom_fields"}:
                raise serializers.ValidationError(errors["custom_fields"]) from None
            raise serializers.ValidationError({k.split(".", 1)[-1]: v for k, v in errors.items()}) from None
        # The update service merges into the stored values; an explicit None there removes a key, so
        # the stored result is exactly what was validated here.
        return {**{key: None for key in existing if key not in cleaned}, **cleaned}


class TenantModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """Base for every tenant resource. Tenant and audit columns are read-only."""

    serializer_field_mapping = dict(serializers.ModelSerializer.serializer_field_mapping)

    def build_field(self, field_name: str, info: Any, model_class: Any, nested_depth: int) -> Any:
        if field_name == "custom_fields":
            return CustomFieldsField, {"required": False}
        return super().build_field(field_name, info, model_class, nested_depth)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        for name in ("organization", "created_at", "updated_at", "created_by"):
            if name in fields:
                fields[name].read_only = True
        # Related fields only offer rows of the caller's organization: their default
        # managers are tenant-scoped, so a foreign id is "does not exist", never a leak.
        return fields
