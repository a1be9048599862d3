"""Yield and supplier quality reads over the API, next to `quality/yield/` (operations).

`GET quality/yield/inspections/?group=item|plan&period=week|month&from=&to=`: first-pass yield
from inspection results. `GET quality/supplier-quality/?period=week|month&from=&to=`: reject
rate per supplier. Nothing is stored, so these are plain views routed in `api_urls.py`; a bad
parameter is a 400 naming it.
"""

from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shopfloor.core.api.viewsets import TenantAPIMixin

from . import supplier_quality, yields

RANGE = [
    OpenApiParameter("period", str, enum=list(yields.PERIODS), description="Default month."),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
]


def _params(request: Request, groups: tuple[str, ...] = ()) -> tuple[str, str, date | None, date | None]:
    """(group, period, from, to) from the query string; every bad one named in one 400."""
    params = request.query_params
    errors: dict[str, list[str]] = {}
    bounds: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = params.get(name, "")
        try:
            bounds[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name] = ["Give a date as YYYY-MM-DD."]
    group, period = params.get("group", groups[0] if groups else ""), params.get("period", "month")
    if groups and group not in groups:
        errors["group"] = [f"Choose one of: {', '.join(groups)}."]
    if period not in yields.PERIODS:
        errors["period"] = [f"Choose one of: {', '.join(yields.PERIODS)}."]
    if errors:
        raise ApiValidationError(errors)
    return group, period, bounds["from"], bounds["to"]


class InspectionYieldView(TenantAPIMixin, APIView):
    """First-pass yield from inspections per item or plan and period: lots passed at their first
    inspection (lot_fpy) and accepted over inspected quantity (fpy); re-inspections counted apart."""

    required_permission = "quality.view_inspection"

    @extend_schema(
        tags=["quality"],
        operation_id="quality_yield_inspections",
        parameters=[
            OpenApiParameter("group", str, enum=list(yields.INSPECTION_GROUPS), description="Default item."),
            *RANGE,
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        group, period, start, end = _params(request, yields.INSPECTION_GROUPS)
        rows = yields.inspection_yield_rows(group=group, period=period, start=start, end=end)
        return Response({"group": group, "period": period, "results": rows})


class SupplierQualityView(TenantAPIMixin, APIView):
    """Reject rate per supplier and period: (returned + scrapped by NCR dispositions) / received,
    by the receipt's date, with lots received, inspected and failed (see `supplier_quality`)."""

    required_permission = "quality.view_ncr"

    @extend_schema(
        tags=["quality"],
        operation_id="quality_supplier_quality",
        parameters=RANGE,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        _, period, start, end = _params(request)
        rows = supplier_quality.supplier_reject_rows(period=period, start=start, end=end)
        return Response({"period": period, "results": rows})
