"""SPC over the API: `POST /api/v1/quality/spc/` computes a chart from the posted figures.

Nothing is stored, so this is a plain view routed in `api_urls.py` rather than a resource on
the router (the contract suite walks the router for model resources).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shopfloor.core.api.serializers import StrictSerializerMixin
from shopfloor.core.api.viewsets import TenantAPIMixin

from . import api_inspection, api_ncr, spc  # noqa: F401  (api_inspection, api_ncr register resources)
from .defaults import USE_SPC

# The engine names its inputs after the textbook (defectives, sample_size...); the API posts
# them as counts/sizes, so its errors are moved onto the posted field.
_API_FIELD = {
    "defectives": "counts",
    "defects": "counts",
    "sample_size": "sizes",
    "units": "sizes",
}

MAX_POINTS = 1_000_000


class SpcChartSerializer(StrictSerializerMixin, serializers.Serializer):
    chart = serializers.ChoiceField(choices=list(spc.CHARTS.items()))
    values = serializers.ListField(
        child=serializers.FloatField(),
        required=False,
        max_length=MAX_POINTS,
        help_text="Measurements in time order: single values (imr) or cut into subgroups of subgroup_size.",
    )
    subgroups = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=1, max_length=spc.MAX_SUBGROUP),
        required=False,
        max_length=MAX_POINTS,
        help_text="Equal-sized subgroups of measurements (xbar_r, xbar_s), instead of values.",
    )
    subgroup_size = serializers.IntegerField(required=False, min_value=2, max_value=spc.MAX_SUBGROUP)
    counts = serializers.ListField(
        child=serializers.FloatField(),
        required=False,
        max_length=MAX_POINTS,
        help_text="Defectives per sample (p, np) or defects per sample (c, u).",
    )
    sizes = serializers.ListField(
        child=serializers.FloatField(),
        required=False,
        max_length=MAX_POINTS,
        help_text="Sample sizes (p, np) or inspection units (c, u; default 1 each).",
    )
    phase1_points = serializers.IntegerField(
        required=False, min_value=1, help_text="Leading points (subgroups) that form the baseline; default all."
    )
    exclude = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=10_000,
        help_text="Phase I sample numbers (from 1) with assignable causes, left out of the limits.",
    )
    lsl = serializers.FloatField(required=False, allow_null=True)
    usl = serializers.FloatField(required=False, allow_null=True)
    rules = serializers.ChoiceField(choices=["both", "nelson", "western_electric", "none"], default="both")
    confidence = serializers.FloatField(required=False, default=0.95, min_value=0.5, max_value=0.999)


class SpcView(TenantAPIMixin, APIView):
    """Control limits, center line, points, flagged points per rule and capability, from posted data.

    Sample numbers in `exclude` and in the answer count from 1. A bad input is a 400 naming the
    field; nothing is stored.
    """

    required_permission = USE_SPC

    @extend_schema(
        tags=["quality"],
        operation_id="quality_spc_compute",
        summary="Compute a control chart (limits, flagged points per rule, capability)",
        request=SpcChartSerializer,
        responses={200: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "p chart",
                value={"chart": "p", "counts": [12, 15, 8, 10, 4], "sizes": [50, 50, 50, 50, 50]},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = SpcChartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        try:
            result = spc.compute(
                data["chart"],
                values=data.get("values"),
                subgroups=data.get("subgroups"),
                subgroup_size=data.get("subgroup_size"),
                counts=data.get("counts"),
                sizes=data.get("sizes"),
                phase1=data.get("phase1_points"),
                exclude=[i - 1 for i in data["exclude"]],
                lsl=data.get("lsl"),
                usl=data.get("usl"),
                rules=data["rules"],
                confidence=data["confidence"],
            )
        except spc.SpcError as exc:
            raise serializers.ValidationError({_API_FIELD.get(exc.field, exc.field): [str(exc)]}) from None
        return Response(result.to_dict())
