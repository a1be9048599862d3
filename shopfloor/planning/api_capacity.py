"""Capacity API: `GET /api/v1/planning/capacity/?plant=&mode=&bucket=&date_from=&date_to=`.

Not a resource of the router (no model behind it): its path lives in `urlpatterns` here, which
the project URLconf includes under `api/v1/planning/`. Answers one row per work center (machine
null) or machine and bucket; a bad parameter is a 400 naming it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shopfloor.core import access
from shopfloor.core.api.viewsets import TenantAPIMixin
from shopfloor.core.models import Plant

from . import capacity


def capacity_params(params: Any, plants: QuerySet[Plant] | None = None) -> dict[str, Any]:
    """The query parameters checked and typed; every bad one named in one 400. `plants`: those
    the plant may be (the caller's); another is unknown, like another organization's."""
    errors: dict[str, list[str]] = {}
    plant = None
    plants = Plant.objects.all() if plants is None else plants
    raw_plant = str(params.get("plant", "")).strip()
    if not raw_plant:
        errors["plant"] = ["Choose the plant."]
    else:
        plant = plants.filter(pk=raw_plant).first() if raw_plant.isdigit() else None
        plant = plant or plants.filter(code=raw_plant).first()
        if plant is None:
            errors["plant"] = ["Unknown plant."]
    mode = params.get("mode") or capacity.ROUGH_CUT
    if mode not in capacity.MODES:
        errors["mode"] = [f"Choose one of: {', '.join(capacity.MODES)}."]
    bucket = params.get("bucket") or "day"
    if bucket not in capacity.BUCKETS:
        errors["bucket"] = [f"Choose one of: {', '.join(capacity.BUCKETS)}."]
    bounds: dict[str, dt.date | None] = {}
    for name in ("date_from", "date_to"):
        raw = params.get(name, "")
        try:
            bounds[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name] = ["Give a date as YYYY-MM-DD."]
    if errors:
        raise ApiValidationError(errors)
    today = dt.date.today()
    date_from = bounds["date_from"] or today
    date_to = bounds["date_to"] or date_from + dt.timedelta(days=13 if bucket == "day" else 55)
    return {"plant": plant, "mode": mode, "bucket": bucket, "date_from": date_from, "date_to": date_to}


def row_data(row: capacity.CapacityRow) -> dict[str, Any]:
    return {
        "work_center": row.work_center.pk,
        "work_center_code": row.work_center.code,
        "machine": row.machine.pk if row.machine else None,
        "machine_code": row.machine.code if row.machine else None,
        "bucket_start": row.bucket_start.isoformat(),
        "load_hours": str(row.load_hours),
        "capacity_hours": str(row.capacity_hours),
        "utilisation": str(row.utilisation) if row.utilisation is not None else None,
        "overloaded": row.overloaded,
    }


class CapacityView(TenantAPIMixin, APIView):
    """Load against capacity per work center and machine, per day or week (see `planning.capacity`)."""

    required_permission = "planning.view_mrprun"

    @extend_schema(
        tags=["planning"],
        operation_id="planning_capacity",
        parameters=[
            OpenApiParameter("plant", str, required=True, description="Plant id or code."),
            OpenApiParameter("mode", str, enum=list(capacity.MODES), description="Default rough_cut."),
            OpenApiParameter("bucket", str, enum=list(capacity.BUCKETS), description="Default day."),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="Default today."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Default two weeks (day) or eight weeks on."),
        ],
        responses={
            200: inline_serializer(
                "CapacityAnswer",
                {
                    "plant": serializers.IntegerField(),
                    "mode": serializers.CharField(),
                    "bucket": serializers.CharField(),
                    "date_from": serializers.DateField(),
                    "date_to": serializers.DateField(),
                    "results": inline_serializer(
                        "CapacityRow",
                        {
                            "work_center": serializers.IntegerField(),
                            "work_center_code": serializers.CharField(),
                            "machine": serializers.IntegerField(allow_null=True),
                            "machine_code": serializers.CharField(allow_null=True),
                            "bucket_start": serializers.DateField(),
                            "load_hours": serializers.DecimalField(max_digits=12, decimal_places=2),
                            "capacity_hours": serializers.DecimalField(max_digits=12, decimal_places=2),
                            "utilisation": serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True),
                            "overloaded": serializers.BooleanField(),
                        },
                        many=True,
                    ),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        params = capacity_params(request.query_params, access.at_user_plants(Plant.objects.all(), request.user, "pk"))
        access.require(request.user, self.required_permission, plant=params["plant"])
        rows = capacity.capacity_load(**params)
        return Response(
            {
                "plant": params["plant"].pk,
                "mode": params["mode"],
                "bucket": params["bucket"],
                "date_from": params["date_from"].isoformat(),
                "date_to": params["date_to"].isoformat(),
                "results": [row_data(row) for row in rows],
            }
        )


urlpatterns = [path("capacity/", CapacityView.as_view(), name="planning-capacity")]
