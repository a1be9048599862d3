"""OpenAPI: the error shape on every operation, the tenancy and idempotency headers.

Set as `REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`, so every view gets it without annotations.
The auth schemes are described next to the authenticators (`core.auth`).
`make schema` writes the result to docs/openapi.yaml, which a test keeps current.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .errors import TITLES


class ProblemSerializer(serializers.Serializer):
    """The one error shape of the API (RFC 9457 problem details plus field errors)."""

    type = serializers.URLField(help_text="A URI naming the kind of problem.")
    title = serializers.CharField(help_text="Short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong this time, for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per field ("lines.0.quantity"); "__all__" for the request as a whole.',
    )

    class Meta:
        ref_name = "Problem"


# DRF answers errors as application/json; errors raised before DRF (body size, lockout) come
# from middleware as application/problem+json. Same shape either way.
ERROR_MEDIA_TYPES = ["application/json", "application/problem+json"]

ORGANIZATION_HEADER = OpenApiParameter(
    name="X-Organization",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Slug or id of the organization to act in (you must be a member). Default: your default "
    "organization. API tokens are bound to one organization and ignore it.",
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (at most 255 characters). Retrying a POST with the same key and body "
    "within 24 hours returns the first response (header `Idempotent-Replayed: true`) and writes once; "
    "the same key with another body is a 409.",
)


def _is_tenant_view(view: Any) -> bool:
    from .viewsets import TenantAPIMixin

    return isinstance(view, TenantAPIMixin)


class ShopfloorAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus what every Shopfloor operation shares."""

    def get_description(self) -> str:  # type: ignore[override]
        # A resource without a docstring would otherwise show the base viewset's, which
        # describes the plumbing, not the resource.
        description = super().get_description()
        from . import viewsets

        for base in type(self.view).__mro__:
            if base.__module__ == viewsets.__name__ and description == get_doc(base):
                return ""
        return description

    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if _is_tenant_view(self.view):
            params.append(ORGANIZATION_HEADER)
            if self.method == "POST":
                params.append(IDEMPOTENCY_HEADER)
        return params

    def _error_codes(self) -> list[int]:
        if not _is_tenant_view(self.view):
            # Token endpoints: bad body, bad credentials, throttled.
            return [400, 401, 429]
        # 400: invalid body, filter or header; 404: missing, foreign or a stale cursor.
        codes = [400, 401, 403, 404]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append(409)
        return codes

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            key = str(code)
            if key not in responses:
                responses[key] = self._get_response_for_code(
                    ProblemSerializer, key, media_types=ERROR_MEDIA_TYPES, direction=direction
                )
                responses[key]["description"] = TITLES.get(code, "Error")
        return dict(sorted(responses.items()))
