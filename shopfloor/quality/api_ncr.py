"""NCR and CAPA API: create through the services, edit the investigation, move the workflow.

NCRs: `quality/ncrs/` (create = open_ncr; PATCH = the investigation fields, 409 once closed),
actions `transition/` (workflow engine; closing needs `signature`), `close/` (signed closure),
`dispositions/` (acting on stock), `approve-concession/`. CAPA: `quality/capas/`, actions
`transition/`, `effectiveness/`. A bad body is a 400 on its field and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shopfloor.catalog.models import QUANTITY
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantAPIMixin, TenantModelViewSet
from shopfloor.inventory.models import Lot, SerialNumber
from shopfloor.production.models import Operation as JobCard
from shopfloor.workflows.api import (
    OptionSerializer,
    SignatureInputSerializer,
    SignatureSerializer,
    TransitionRecordSerializer,
    WorkflowActionsMixin,
    _signature,
)

from . import selectors_ncr as selectors
from . import yields
from .defaults_ncr import APPROVE_CONCESSION, CLOSE_CAPA, CLOSE_NCR, DISPOSE
from .models import Capa, Disposition, Ncr, NcrItem
from .services import ncr as services

NCR_FIXED = (
    "plant",
    "item",
    "quantity",
    "source",
    "receipt_line",
    "work_order",
    "operation",
    "origin_type",
    "origin_id",
)


class AffectedSerializer(TenantModelSerializer):
    lot_number = serializers.CharField(source="lot.number", read_only=True, default=None)
    serial_text = serializers.CharField(source="serial.serial", read_only=True, default=None)

    class Meta:
        model = NcrItem
        fields = ["id", "lot", "lot_number", "serial", "serial_text", "quantity"]
        read_only_fields = ["id"]


class DispositionSerializer(TenantModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True, default=None)

    class Meta:
        model = Disposition
        fields = [
            "id",
            "ncr",
            "kind",
            "quantity",
            "lot",
            "serial",
            "note",
            "work_order",
            "work_order_number",
            "stock_move",
            "concession_approved_by",
            "concession_approved_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class NcrSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    affected = AffectedSerializer(many=True, required=False)
    dispositions = DispositionSerializer(many=True, read_only=True)

    class Meta:
        model = Ncr
        fields = [
            "id",
            "number",
            "status",
            "plant",
            "title",
            "description",
            "source",
            "item",
            "item_number",
            "quantity",
            "affected",
            "location",
            "supplier",
            "customer",
            "receipt_line",
            "work_order",
            "operation",
            "work_order_held",
            "origin_type",
            "origin_id",
            "containment",
            "why_1",
            "why_2",
            "why_3",
            "why_4",
            "why_5",
            "cause_category",
            "root_cause",
            "dispositions",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "status", "closed_at"]


class DispositionInput(StrictSerializerMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Disposition.Kind.choices)
    quantity = serializers.DecimalField(**QUANTITY, required=False)
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), required=False, allow_null=True)
    serial = serializers.PrimaryKeyRelatedField(queryset=SerialNumber.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    due_date = serializers.DateField(required=False, help_text="Rework/repair: the work order's due date.")
    scrap_reason = serializers.ChoiceField(
        choices=JobCard.ScrapReason.choices,
        required=False,
        help_text="Scrap of work in progress (an in-process NCR): the reason booked on the operation.",
    )


class ConcessionInput(StrictSerializerMixin, serializers.Serializer):
    disposition = serializers.IntegerField(help_text="The use-as-is disposition to approve.")


class NcrTransitionInput(StrictSerializerMixin, serializers.Serializer):
    to_state = serializers.CharField(max_length=40)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    signature = SignatureInputSerializer(required=False)


class CloseInput(StrictSerializerMixin, serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    signature = SignatureInputSerializer()


class CapaSerializer(TenantModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    owner_name = serializers.CharField(source="owner.get_username", read_only=True)
    ncr_number = serializers.CharField(source="ncr.number", read_only=True, default=None)

    class Meta:
        model = Capa
        fields = [
            "id",
            "number",
            "status",
            "kind",
            "source",
            "ncr",
            "ncr_number",
            "audit_reference",
            "title",
            "description",
            "owner",
            "owner_name",
            "due_date",
            "effective",
            "effectiveness_note",
            "effectiveness_checked_at",
            "effectiveness_checked_by",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "status",
            "effective",
            "effectiveness_note",
            "effectiveness_checked_at",
            "effectiveness_checked_by",
            "closed_at",
        ]
        extra_kwargs = {"source": {"required": False}}


class EffectivenessInput(StrictSerializerMixin, serializers.Serializer):
    effective = serializers.BooleanField()
    note = serializers.CharField(max_length=2000)


class CapaTransitionInput(StrictSerializerMixin, serializers.Serializer):
    to_state = serializers.CharField(max_length=40)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _body(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class _QualityRecordViewSet(WorkflowActionsMixin, TenantModelViewSet):
    """What the NCR and CAPA endpoints share: a permission per action, the answer (the record
    read again through its selector) and the shape of every POST action (`_act`)."""

    ACTION_PERMISSIONS: dict[str, str] = {}

    def required_permission(self, request: Any) -> str | None:
        return self.ACTION_PERMISSIONS.get(getattr(self, "action", "")) or super().required_permission(request)

    def _answer(self, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.serializer_class(self.queryset.all().get(pk=obj.pk)).data, status=code)

    def _act(
        self,
        request: Request,
        body_class: type[serializers.Serializer],
        perform: Callable[[Any, dict[str, Any]], object],
        code: int = status.HTTP_200_OK,
    ) -> Response:
        """The record (404 when missing or another tenant's), the body validated (400 on its
        fields), `perform(record, body)` calling the service (whose refusals the error shape
        maps: 403, 409), then the record as it is now."""
        obj = self.get_object()
        perform(obj, _body(body_class, request))
        return self._answer(obj, code)


class NcrViewSet(_QualityRecordViewSet):
    """Nonconformance reports: opened, investigated, disposed (on stock) and closed with a signature."""

    queryset = selectors.ncrs()
    plant_field = "plant"
    serializer_class = NcrSerializer
    filterset_fields = ["status", "source", "item", "plant", "supplier", "customer", "cause_category"]
    search_fields = ["number", "title", "item__number"]
    ordering_fields = ["id", "number", "created_at"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    ACTION_PERMISSIONS = {
        "transition": "quality.change_ncr",
        "close": CLOSE_NCR,
        "dispositions": DISPOSE,
        "approve_concession": APPROVE_CONCESSION,
    }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["affected"] = [dict(row) for row in data.get("affected", [])]
        ncr = services.open_ncr(actor=request.user, data=data)
        return self._answer(ncr, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ncr = self.get_object()
        serializer = self.get_serializer(ncr, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for fixed in (*NCR_FIXED, "affected"):
            if fixed not in data:
                continue
            value = data.pop(fixed)
            if fixed == "affected":
                if value and [(r.get("lot"), r.get("serial"), r["quantity"]) for r in value] != [
                    (a.lot, a.serial, a.quantity) for a in ncr.affected.all()
                ]:
                    raise ApiValidationError({"affected": ["The affected lots and serials stay as opened."]})
            elif value != getattr(ncr, fixed):
                raise ApiValidationError({fixed: ["This stays as the NCR was opened; open another NCR."]})
        ncr = services.update_ncr(actor=request.user, ncr=ncr, data=data)
        return self._answer(ncr)

    @extend_schema(responses={200: OptionSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None, filter_backends=[])
    def transitions(self, request: Request, pk: Any = None) -> Response:
        """What the caller may do with the NCR now, and why not for the rest."""
        return super().transitions(request, pk)

    @extend_schema(responses={200: TransitionRecordSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="history", pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: Any = None) -> Response:
        """Every transition of the NCR, oldest first."""
        return super().history(request, pk)

    @extend_schema(responses={200: SignatureSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="signatures", pagination_class=None, filter_backends=[])
    def signatures(self, request: Request, pk: Any = None) -> Response:
        """Electronic signatures on the NCR (its closure), each with whether it is still valid."""
        return super().signatures(request, pk)

    def _move(self, request: Request, ncr: Ncr, to_state: str, data: dict[str, Any]) -> Ncr:
        return services.transition_ncr(
            actor=request.user,
            ncr=ncr,
            to_state=to_state,
            comment=data.get("comment", ""),
            signature=_signature(data.get("signature"), request),
        )

    @extend_schema(request=NcrTransitionInput, responses={200: NcrSerializer})
    @action(detail=True, methods=["post"], url_path="transition")
    def transition(self, request: Request, pk: Any = None) -> Response:
        """Move the NCR (investigating, disposition, closed with `signature`, cancelled)."""
        return self._act(
            request, NcrTransitionInput, lambda ncr, data: self._move(request, ncr, data["to_state"], data)
        )

    @extend_schema(request=CloseInput, responses={200: NcrSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """Close the NCR, signed with the closer's password; it never changes afterwards."""
        return self._act(request, CloseInput, lambda ncr, data: self._move(request, ncr, "closed", data))

    @extend_schema(request=DispositionInput, responses={201: NcrSerializer})
    @action(detail=True, methods=["post"])
    def dispositions(self, request: Request, pk: Any = None) -> Response:
        """Decide what happens to part of the material, and do it (scrap, return, rework order...)."""
        return self._act(
            request,
            DispositionInput,
            lambda ncr, data: services.add_disposition(actor=request.user, ncr=ncr, data=data),
            status.HTTP_201_CREATED,
        )

    @extend_schema(request=ConcessionInput, responses={200: NcrSerializer})
    @action(detail=True, methods=["post"], url_path="approve-concession")
    def approve_concession(self, request: Request, pk: Any = None) -> Response:
        """Approve a use-as-is disposition (someone other than who decided it)."""

        def approve(ncr: Ncr, data: dict[str, Any]) -> None:
            disposition = ncr.dispositions.filter(pk=data["disposition"]).first()
            if disposition is None:
                raise ApiValidationError({"disposition": [f"{ncr.number} has no such disposition."]})
            services.approve_concession(actor=request.user, disposition=disposition)

        return self._act(request, ConcessionInput, approve)


class CapaViewSet(_QualityRecordViewSet):
    """Corrective and preventive actions: owned, due, verified effective before closing."""

    queryset = selectors.capas()
    serializer_class = CapaSerializer
    filterset_fields = ["status", "kind", "source", "owner", "ncr"]
    search_fields = ["number", "title", "audit_reference"]
    ordering_fields = ["id", "number", "due_date"]
    http_method_names = ["get", "post", "head", "options"]

    ACTION_PERMISSIONS = {"transition": "quality.change_capa", "effectiveness": CLOSE_CAPA}

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        capa = services.create_capa(actor=request.user, data=dict(serializer.validated_data))
        return self._answer(capa, status.HTTP_201_CREATED)

    @extend_schema(responses={200: OptionSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None, filter_backends=[])
    def transitions(self, request: Request, pk: Any = None) -> Response:
        """What the caller may do with the action now, and why not for the rest."""
        return super().transitions(request, pk)

    @extend_schema(responses={200: TransitionRecordSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="history", pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: Any = None) -> Response:
        """Every transition of the action, oldest first."""
        return super().history(request, pk)

    @extend_schema(responses={200: SignatureSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="signatures", pagination_class=None, filter_backends=[])
    def signatures(self, request: Request, pk: Any = None) -> Response:
        return super().signatures(request, pk)

    @extend_schema(request=CapaTransitionInput, responses={200: CapaSerializer})
    @action(detail=True, methods=["post"], url_path="transition")
    def transition(self, request: Request, pk: Any = None) -> Response:
        """Start, verify, close (after an effective check: else 409) or cancel the action."""
        return self._act(
            request,
            CapaTransitionInput,
            lambda capa, data: services.transition_capa(
                actor=request.user, capa=capa, to_state=data["to_state"], comment=data.get("comment", "")
            ),
        )

    @extend_schema(request=EffectivenessInput, responses={200: CapaSerializer})
    @action(detail=True, methods=["post"])
    def effectiveness(self, request: Request, pk: Any = None) -> Response:
        """Record whether the action worked (while verifying); closing needs an effective check."""
        return self._act(
            request,
            EffectivenessInput,
            lambda capa, data: services.record_effectiveness(
                actor=request.user, capa=capa, effective=data["effective"], note=data["note"]
            ),
        )


router.register("quality/ncrs", NcrViewSet, basename="quality-ncr")
router.register("quality/capas", CapaViewSet, basename="quality-capa")


class YieldView(TenantAPIMixin, APIView):
    """First-pass and rolled throughput yield per item, operation step or work center and period.

    `GET /api/v1/quality/yield/?group=item|operation|work_center&period=week|month&from=&to=`
    (ISO dates, both optional). Repair (rework) orders never count as first pass.
    """

    required_permission = "quality.view_ncr"

    @extend_schema(
        tags=["quality"],
        operation_id="quality_yield",
        parameters=[
            OpenApiParameter("group", str, enum=list(yields.GROUPS), description="Default item."),
            OpenApiParameter("period", str, enum=list(yields.PERIODS), description="Default month."),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        errors: dict[str, list[str]] = {}
        bounds: dict[str, date | None] = {}
        for name in ("from", "to"):
            raw = params.get(name, "")
            try:
                bounds[name] = date.fromisoformat(raw) if raw else None
            except ValueError:
                errors[name] = ["Give a date as YYYY-MM-DD."]
        group, period = params.get("group", "item"), params.get("period", "month")
        if group not in yields.GROUPS:
            errors["group"] = [f"Choose one of: {', '.join(yields.GROUPS)}."]
        if period not in yields.PERIODS:
            errors["period"] = [f"Choose one of: {', '.join(yields.PERIODS)}."]
        if errors:
            raise ApiValidationError(errors)
        rows = yields.yield_rows(group=group, period=period, start=bounds["from"], end=bounds["to"])
        return Response({"group": group, "period": period, "results": rows})
