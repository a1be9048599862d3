"""Inspection API: plans (with characteristics and a sampling preview), characteristics,
inspections (created by the quality handlers, or by hand) with their measurements.

Actions: `inspection-plans/{id}/release/`, `.../obsolete/`, `.../sampling/?quantity=`,
`inspections/{id}/measurements/` (record readings: all or none) and
`inspections/{id}/complete/` (pass, or fail: quarantine + NCR).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from shopfloor.catalog.models import QUANTITY
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet
from shopfloor.core.models import Plant

from . import selectors_inspection as selectors
from .defaults_inspection import COMPLETE_INSPECTION, RELEASE_PLAN
from .models import Characteristic, Inspection, InspectionPlan, Measurement
from .services import inspection as services


class CharacteristicSerializer(TenantModelSerializer):
    class Meta:
        model = Characteristic
        fields = [
            "id",
            "plan",
            "position",
            "name",
            "kind",
            "nominal",
            "lsl",
            "usl",
            "unit",
            "gauge",
            "gauge_min",
            "gauge_max",
            "max_defects",
            "created_at",
            "updated_at",
        ]


class InspectionPlanSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    characteristics = CharacteristicSerializer(many=True, read_only=True)

    class Meta:
        model = InspectionPlan
        fields = [
            "id",
            "item",
            "item_number",
            "context",
            "operation_sequence",
            "work_center",
            "version",
            "name",
            "status",
            "sampling",
            "sample_size",
            "accept_number",
            "inspection_level",
            "aql",
            "released_at",
            "characteristics",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "status", "released_at"]


class MeasurementSerializer(TenantModelSerializer):
    class Meta:
        model = Measurement
        fields = ["id", "characteristic", "sample", "value", "passed", "defects", "conforming", "created_at"]
        read_only_fields = fields


class InspectionSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    lot_number = serializers.CharField(source="lot.number", read_only=True, default=None)
    location_code = serializers.CharField(source="location.code", read_only=True, default=None)
    measurements = MeasurementSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "number",
            "plant",
            "plan",
            "item",
            "item_number",
            "context",
            "status",
            "quantity",
            "lot",
            "lot_number",
            "serial",
            "location",
            "location_code",
            "home_location",
            "sample_size",
            "accept_number",
            "reject_number",
            "nonconforming",
            "source_type",
            "source_id",
            "source_number",
            "work_order",
            "ncr_number",
            "completed_at",
            "completed_by",
            "note",
            "measurements",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["item"]


class InspectionCreateInput(StrictSerializerMixin, serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=InspectionPlan.objects.all())
    plant = serializers.PrimaryKeyRelatedField(queryset=Plant.objects.all())
    quantity = serializers.DecimalField(**QUANTITY)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ReadingInput(StrictSerializerMixin, serializers.Serializer):
    characteristic = serializers.IntegerField()
    sample = serializers.IntegerField(min_value=1, default=1)
    value = serializers.CharField(max_length=40, help_text="A number, pass/fail, or a defect count.")


class RecordMeasurementsInput(StrictSerializerMixin, serializers.Serializer):
    measurements = ReadingInput(many=True, allow_empty=False, max_length=5000)


class CompleteInspectionInput(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    passed = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only for an inspection without a plan (then required, with a note): the pass/fail decision.",
    )


class CommentInput(StrictSerializerMixin, serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class InspectionPlanViewSet(TenantModelViewSet):
    """Plans per item and context; a draft is edited, released (a version replaces the last) and made obsolete."""

    queryset = selectors.plans()
    serializer_class = InspectionPlanSerializer
    filterset_fields = ["item", "context", "status"]
    search_fields = ["item__number", "name"]
    ordering_fields = ["id", "version"]

    def required_permission(self, request: Any) -> str | None:
        if getattr(self, "action", "") in ("release", "obsolete"):
            return RELEASE_PLAN
        if getattr(self, "action", "") == "sampling":
            return "quality.view_inspectionplan"
        return None

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        item, context = data.pop("item"), data.pop("context")
        serializer.instance = services.create_plan(actor=self.request.user, item=item, context=context, data=data)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        for fixed in ("item", "context"):
            if fixed in data and data.pop(fixed) != getattr(serializer.instance, fixed):
                raise ApiValidationError({fixed: ["A plan keeps its item and context; draft a new plan."]})
        serializer.instance = services.update_plan(actor=self.request.user, plan=serializer.instance, data=data)

    def perform_destroy(self, instance: InspectionPlan) -> None:
        services.delete_plan(actor=self.request.user, plan=instance)

    def _fresh(self, plan: InspectionPlan) -> Response:
        return Response(self.get_serializer(selectors.plans().get(pk=plan.pk)).data)

    @extend_schema(request=CommentInput, responses=InspectionPlanSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: Any = None) -> Response:
        """Release a draft (it needs a characteristic); the released version it replaces becomes obsolete."""
        body = CommentInput(data=request.data)
        body.is_valid(raise_exception=True)
        plan = services.release_plan(
            actor=request.user, plan=self.get_object(), comment=body.validated_data.get("comment", "")
        )
        return self._fresh(plan)

    @extend_schema(request=CommentInput, responses=InspectionPlanSerializer)
    @action(detail=True, methods=["post"])
    def obsolete(self, request: Request, pk: Any = None) -> Response:
        """Withdraw a plan: it is no longer used for new inspections."""
        body = CommentInput(data=request.data)
        body.is_valid(raise_exception=True)
        plan = services.obsolete_plan(
            actor=request.user, plan=self.get_object(), comment=body.validated_data.get("comment", "")
        )
        return self._fresh(plan)

    @extend_schema(
        parameters=[OpenApiParameter("quantity", int, required=True, description="The lot size to sample.")],
        responses={200: {"type": "object"}},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def sampling(self, request: Request, pk: Any = None) -> Response:
        """Sample size and Ac/Re this plan gives for a lot size."""
        plan = self.get_object()
        raw = request.query_params.get("quantity", "")
        if not raw.isdigit() or int(raw) < 1:
            raise ApiValidationError({"quantity": ["Give the lot size as a whole number above zero."]})
        n, ac, re_ = services.plan_sampling(plan, int(raw))
        return Response({"quantity": int(raw), "sample_size": n, "accept": ac, "reject": re_})


class CharacteristicViewSet(TenantModelViewSet):
    """Characteristics of plans; added, changed and removed while their plan is a draft (409 after)."""

    queryset = selectors.characteristics()
    serializer_class = CharacteristicSerializer
    filterset_fields = ["plan", "kind"]
    ordering_fields = ["id", "position"]

    def required_permission(self, request: Any) -> str | None:
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            return "quality.change_inspectionplan"
        return None

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        plan = data.pop("plan")
        serializer.instance = services.add_characteristic(actor=self.request.user, plan=plan, data=data)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        plan = data.pop("plan", None)
        if plan is not None and plan.pk != serializer.instance.plan_id:
            raise ApiValidationError({"plan": ["A characteristic stays on its plan."]})
        serializer.instance = services.update_characteristic(
            actor=self.request.user, characteristic=serializer.instance, data=data
        )

    def perform_destroy(self, instance: Characteristic) -> None:
        services.remove_characteristic(actor=self.request.user, characteristic=instance)


class InspectionViewSet(TenantReadOnlyViewSet):
    """Inspections: the queue (`?status=open`), readings and results. Opened by receipts,
    completed operations and work orders entering QC, or by POST against a released plan."""

    queryset = selectors.inspections().prefetch_related("measurements")
    plant_field = "plant"
    serializer_class = InspectionSerializer
    filterset_fields = ["status", "context", "item", "plan", "plant", "work_order"]
    search_fields = ["number", "item__number", "source_number", "lot__number"]
    ordering_fields = ["id", "number", "created_at"]

    def required_permission(self, request: Any) -> str | None:
        act = getattr(self, "action", "")
        if act == "create":
            return "quality.add_inspection"
        if act == "measurements":
            return "quality.change_inspection"
        if act == "complete":
            return COMPLETE_INSPECTION
        return None

    def _fresh(self, inspection: Inspection, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.inspections().prefetch_related("measurements").get(pk=inspection.pk)
        return Response(InspectionSerializer(fresh).data, status=code)

    @extend_schema(request=InspectionCreateInput, responses={201: InspectionSerializer})
    def create(self, request: Request) -> Response:
        """Open an inspection by hand against a released plan."""
        body = InspectionCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        inspection = services.create_inspection(
            actor=request.user,
            plan=data["plan"],
            plant=data["plant"],
            quantity=data["quantity"],
            note=data.get("note", ""),
        )
        return self._fresh(inspection, status.HTTP_201_CREATED)

    @extend_schema(request=RecordMeasurementsInput, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def measurements(self, request: Request, pk: Any = None) -> Response:
        """Record readings (a re-measure replaces the reading); a bad one is a 400 and none is recorded."""
        inspection = self.get_object()
        body = RecordMeasurementsInput(data=request.data)
        body.is_valid(raise_exception=True)
        entries = [
            {**dict(row), "field": f"measurements.{i}.value"}
            for i, row in enumerate(body.validated_data["measurements"])
        ]
        services.record_measurements(actor=request.user, inspection=inspection, entries=entries)
        return self._fresh(inspection)

    @extend_schema(request=CompleteInspectionInput, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        """Decide the inspection: pass (releases quarantined stock) or fail (quarantine, NCR)."""
        inspection = self.get_object()
        body = CompleteInspectionInput(data=request.data)
        body.is_valid(raise_exception=True)
        services.complete_inspection(
            actor=request.user,
            inspection=inspection,
            note=body.validated_data.get("note", ""),
            passed=body.validated_data.get("passed"),
        )
        return self._fresh(inspection)


router.register("quality/inspection-plans", InspectionPlanViewSet, basename="quality-inspectionplan")
router.register("quality/characteristics", CharacteristicViewSet, basename="quality-characteristic")
router.register("quality/inspections", InspectionViewSet, basename="quality-inspection")
