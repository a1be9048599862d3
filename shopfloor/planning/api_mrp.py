"""MRP API: forecasts (CRUD through the forecast service), runs (POST asks for one: 202 queued),
and the results of runs, read-only: planned orders (with `firm/`), peggings, exceptions, item results.

`POST planning/planned-orders/firm/ {"ids": [...], "supplier": id}` firms planned orders in one
transaction (see `services.firm`): 404 when an id is not the caller's, 409 when one is already
firmed or its run is superseded, 400 for a buy order with no or a blocked supplier.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantCreateListRetrieveViewSet, TenantModelViewSet, TenantReadOnlyViewSet
from shopfloor.core.models import Plant
from shopfloor.partners.models import Supplier

from . import selectors_mrp_views as selectors
from .models import Forecast, MrpException, MrpItemResult, MrpRun, Pegging, PlannedOrder
from .services import firm as firm_services
from .services import forecast as forecast_services
from .services import mrp as mrp_services


class ForecastSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)

    class Meta:
        model = Forecast
        fields = ["id", "plant", "item", "item_number", "period_start", "quantity", "notes", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list[Any] = []  # one per item, plant and period: the service answers on period_start


class ForecastViewSet(TenantModelViewSet):
    """Expected demand per item, plant and period; MRP reads it as gross requirements."""

    queryset = selectors.forecasts()
    plant_field = "plant"
    serializer_class = ForecastSerializer
    filterset_fields = ["item", "plant", "period_start"]
    search_fields = ["item__number", "item__name", "notes"]
    ordering_fields = ["id", "period_start"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = forecast_services.create_forecast(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = forecast_services.update_forecast(
            actor=self.request.user, forecast=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Forecast) -> None:
        forecast_services.delete_forecast(actor=self.request.user, forecast=instance)


class AtUserPlantsMixin:
    """Lists and details of the plants the user works at only: another plant's row is a 404
    (the tenant viewset bases honour `plant_field`)."""

    plant_field = "plant"


class MrpRunSerializer(TenantModelSerializer):
    plant_code = serializers.CharField(source="plant.code", read_only=True)

    class Meta:
        model = MrpRun
        fields = [
            "id",
            "plant",
            "plant_code",
            "horizon_days",
            "plan_date",
            "status",
            "progress",
            "message",
            "error",
            "requested_by",
            "started_at",
            "finished_at",
            "stats",
            "created_at",
        ]
        read_only_fields = fields


class MrpRunInput(StrictSerializerMixin, serializers.Serializer):
    plant = serializers.PrimaryKeyRelatedField(queryset=Plant.objects.all())
    horizon_days = serializers.IntegerField(min_value=1, max_value=3660, default=180)
    plan_date = serializers.DateField(required=False, allow_null=True, default=None)


class MrpRunViewSet(AtUserPlantsMixin, TenantCreateListRetrieveViewSet):
    """MRP runs of the plants: POST asks for a regenerative run (queued, 202); GET polls its progress."""

    queryset = selectors.mrp_runs()
    serializer_class = MrpRunSerializer
    filterset_fields = ["plant", "status"]
    ordering_fields = ["id", "plan_date"]

    @extend_schema(request=MrpRunInput, responses={202: MrpRunSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = MrpRunInput(data=request.data)
        body.is_valid(raise_exception=True)
        run = mrp_services.request_mrp_run(actor=request.user, **body.validated_data)
        run.refresh_from_db()
        return Response(MrpRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class PlannedOrderSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    work_order_number = serializers.CharField(source="work_order.number", read_only=True, default=None)
    purchase_order_number = serializers.CharField(source="purchase_order.number", read_only=True, default=None)

    class Meta:
        model = PlannedOrder
        fields = [
            "id",
            "run",
            "plant",
            "item",
            "item_number",
            "kind",
            "quantity",
            "start_date",
            "due_date",
            "low_level_code",
            "bom_version",
            "supplier",
            "status",
            "work_order",
            "work_order_number",
            "purchase_order",
            "purchase_order_number",
        ]
        read_only_fields = fields


class FirmInput(StrictSerializerMixin, serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000)
    supplier = serializers.PrimaryKeyRelatedField(
        queryset=Supplier.objects.all(), required=False, allow_null=True, default=None
    )


class PlannedOrderViewSet(AtUserPlantsMixin, TenantReadOnlyViewSet):
    """Planned work and purchase orders of MRP runs; `firm/` turns some into real orders."""

    queryset = selectors.planned_orders()
    serializer_class = PlannedOrderSerializer
    filterset_fields = ["run", "item", "kind", "status", "plant"]
    search_fields = ["item__number", "item__name"]
    ordering_fields = ["id", "due_date", "start_date"]

    def required_permission(self, request: Request) -> str | None:
        return "planning.change_plannedorder" if getattr(self, "action", "") == "firm" else None

    @extend_schema(request=FirmInput, responses={200: PlannedOrderSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def firm(self, request: Request) -> Response:
        """Firm planned orders into draft work orders and purchase orders, all or none."""
        body = FirmInput(data=request.data)
        body.is_valid(raise_exception=True)
        ids = sorted(set(body.validated_data["ids"]))
        found = list(self.get_queryset().filter(pk__in=ids))
        if len(found) != len(ids):
            missing = sorted(set(ids) - {o.pk for o in found})
            raise Http404(f"No planned order {', '.join(map(str, missing))}.")
        firmed = firm_services.firm_planned_orders(
            actor=request.user, planned_orders=found, supplier=body.validated_data["supplier"]
        )
        rows = selectors.planned_orders().filter(pk__in=[o.pk for o in firmed]).order_by("id")
        return Response(PlannedOrderSerializer(rows, many=True).data)


class PeggingSerializer(TenantModelSerializer):
    class Meta:
        model = Pegging
        fields = [
            "id",
            "run",
            "planned_order",
            "demand_kind",
            "demand_date",
            "quantity",
            "sales_order_line",
            "forecast",
            "parent_planned_order",
            "work_order",
        ]
        read_only_fields = fields


class PeggingViewSet(AtUserPlantsMixin, TenantReadOnlyViewSet):
    """Which demand each planned order serves; filter by `parent_planned_order` to read upwards."""

    plant_field = "run__plant"
    queryset = selectors.peggings()
    serializer_class = PeggingSerializer
    filterset_fields = ["run", "planned_order", "demand_kind", "parent_planned_order", "sales_order_line", "forecast"]


class MrpExceptionSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)

    class Meta:
        model = MrpException
        fields = [
            "id",
            "run",
            "item",
            "item_number",
            "kind",
            "message",
            "date",
            "suggested_date",
            "planned_order",
            "work_order",
            "purchase_order_line",
        ]
        read_only_fields = fields


class MrpExceptionViewSet(AtUserPlantsMixin, TenantReadOnlyViewSet):
    """What the planner must look at after a run: expedite, defer, cancel, past due, no BOM/routing."""

    plant_field = "run__plant"
    queryset = selectors.mrp_exceptions()
    serializer_class = MrpExceptionSerializer
    filterset_fields = ["run", "item", "kind"]
    search_fields = ["message", "item__number"]


class MrpItemResultSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)

    class Meta:
        model = MrpItemResult
        fields = [
            "id",
            "run",
            "item",
            "item_number",
            "low_level_code",
            "on_hand",
            "safety_stock",
            "gross_requirements",
            "scheduled_receipts",
            "planned_quantity",
            "periods",
        ]
        read_only_fields = fields


class MrpItemResultViewSet(AtUserPlantsMixin, TenantReadOnlyViewSet):
    """Each item's record in a run with its time-phased table (`periods`)."""

    plant_field = "run__plant"
    queryset = selectors.item_results()
    serializer_class = MrpItemResultSerializer
    filterset_fields = ["run", "item", "low_level_code"]
    search_fields = ["item__number", "item__name"]


router.register("planning/forecasts", ForecastViewSet, basename="planning-forecast")
router.register("planning/mrp-runs", MrpRunViewSet, basename="planning-mrprun")
router.register("planning/planned-orders", PlannedOrderViewSet, basename="planning-plannedorder")
router.register("planning/peggings", PeggingViewSet, basename="planning-pegging")
router.register("planning/mrp-exceptions", MrpExceptionViewSet, basename="planning-mrpexception")
router.register("planning/mrp-item-results", MrpItemResultViewSet, basename="planning-mrpitemresult")
