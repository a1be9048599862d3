"""Production API: work orders and their actions (plan, release, complete, hold, cancel, issue,
return, output), job cards (start, pause, resume, complete), material lines, and the read-only
records (time entries, material issues, outputs, genealogy). Every action calls a service; POSTs
accept an `Idempotency-Key` header (the shared viewset base replays the first answer)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from shopfloor.catalog.models import MONEY, QUANTITY, Item, Unit
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantAPIMixin, TenantModelViewSet, TenantReadOnlyViewSet
from shopfloor.inventory.models import Location, Lot, SerialNumber
from shopfloor.resources.models import Machine
from shopfloor.workflows.api import (
    OptionSerializer,
    SignatureSerializer,
    TransitionRecordSerializer,
    WorkflowActionsMixin,
)

from . import selectors, services
from .defaults import CANCEL, COMPLETE, RECEIVE_OUTPUT, RELEASE
from .models import (
    GenealogyLink,
    MaterialIssue,
    Operation,
    TimeEntry,
    WorkOrder,
    WorkOrderMaterial,
    WorkOrderOutput,
)

# --- Serializers ----------------------------------------------------------------------------------

IMMUTABLE = ("item", "plant", "kind", "parent", "sales_order_line", "bom_version", "routing", "serial_number", "unit")


class WorkOrderSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    serial_number = serializers.CharField(
        required=False, allow_blank=True, max_length=80, write_only=True, help_text="Repairs: the unit's serial."
    )
    serial_text = serializers.CharField(source="serial.serial", read_only=True, default=None, allow_null=True)
    is_late = serializers.BooleanField(read_only=True, default=False)
    progress = serializers.SerializerMethodField()
    operations_total = serializers.IntegerField(read_only=True, default=0)
    operations_done = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "plant",
            "item",
            "item_number",
            "quantity",
            "unit",
            "unit_code",
            "due_date",
            "planned_start",
            "parent",
            "sales_order_line",
            "serial",
            "serial_number",
            "serial_text",
            "bom_version",
            "routing",
            "issue_location",
            "output_location",
            "notes",
            "received_quantity",
            "released_at",
            "started_at",
            "completed_at",
            "is_late",
            "progress",
            "operations_total",
            "operations_done",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "status", "serial", "received_quantity", "released_at", "started_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["unit"] = serializers.PrimaryKeyRelatedField(
            queryset=Unit.objects.all(),
            required=False,
            help_text="Unit of the quantity given (default: the item's stock unit); stored in the stock unit.",
        )
        if self.instance is not None and not isinstance(self.instance, list):
            # Once created, what the order makes and where is fixed; a PUT may repeat it unchanged.
            for name in IMMUTABLE:
                if name in fields:
                    fields[name].read_only = True
        return fields

    def get_progress(self, obj: WorkOrder) -> int:
        return selectors.progress(obj)


class JobCardSerializer(TenantModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    work_center_code = serializers.CharField(source="work_center.code", read_only=True)
    machine_code = serializers.CharField(source="machine.code", read_only=True, default=None, allow_null=True)
    operator_name = serializers.CharField(source="operator.username", read_only=True, default=None, allow_null=True)
    scrap_reason = serializers.ChoiceField(choices=Operation.ScrapReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Operation
        fields = [
            "id",
            "work_order",
            "work_order_number",
            "sequence",
            "description",
            "work_center",
            "work_center_code",
            "eligible_machines",
            "setup_time_minutes",
            "run_time_per_unit_minutes",
            "required_skill",
            "work_instructions",
            "status",
            "operator",
            "operator_name",
            "machine",
            "machine_code",
            "good_quantity",
            "scrap_quantity",
            "scrap_reason",
            "started_at",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WorkOrderMaterialSerializer(TenantModelSerializer):
    component_number = serializers.CharField(source="component.number", read_only=True)
    unit_code = serializers.CharField(source="component.stock_unit.code", read_only=True)

    class Meta:
        model = WorkOrderMaterial
        fields = [
            "id",
            "work_order",
            "position",
            "component",
            "component_number",
            "unit_code",
            "quantity_per",
            "scrap_factor",
            "required_quantity",
            "issued_quantity",
            "backflush",
            "operation",
            "issue_location",
            "sub_work_order",
            "unit_cost",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "work_order",
            "position",
            "component",
            "quantity_per",
            "scrap_factor",
            "required_quantity",
            "issued_quantity",
            "sub_work_order",
            "unit_cost",
        ]


class TimeEntrySerializer(TenantModelSerializer):
    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "work_order",
            "operation",
            "kind",
            "user",
            "machine",
            "started_at",
            "ended_at",
            "minutes",
            "rate_per_hour",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class MaterialIssueSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    lot_number = serializers.CharField(source="lot.number", read_only=True, default=None, allow_null=True)
    serial_text = serializers.CharField(source="serial.serial", read_only=True, default=None, allow_null=True)
    location_code = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = MaterialIssue
        fields = [
            "id",
            "work_order",
            "material",
            "operation",
            "kind",
            "item",
            "item_number",
            "lot",
            "lot_number",
            "serial",
            "serial_text",
            "location",
            "location_code",
            "quantity",
            "unit_cost",
            "move",
            "created_at",
        ]
        read_only_fields = fields


class WorkOrderOutputSerializer(TenantModelSerializer):
    lot_number = serializers.CharField(source="lot.number", read_only=True, default=None, allow_null=True)
    serial_text = serializers.CharField(source="serial.serial", read_only=True, default=None, allow_null=True)
    location_code = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = WorkOrderOutput
        fields = [
            "id",
            "work_order",
            "item",
            "lot",
            "lot_number",
            "serial",
            "serial_text",
            "location",
            "location_code",
            "quantity",
            "move",
            "created_at",
        ]
        read_only_fields = fields


class GenealogyLinkSerializer(TenantModelSerializer):
    consumed_lot_number = serializers.CharField(
        source="consumed_lot.number", read_only=True, default=None, allow_null=True
    )
    consumed_serial_text = serializers.CharField(
        source="consumed_serial.serial", read_only=True, default=None, allow_null=True
    )
    produced_lot_number = serializers.CharField(
        source="produced_lot.number", read_only=True, default=None, allow_null=True
    )
    produced_serial_text = serializers.CharField(
        source="produced_serial.serial", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = GenealogyLink
        fields = [
            "id",
            "work_order",
            "consumed_item",
            "consumed_lot",
            "consumed_lot_number",
            "consumed_serial",
            "consumed_serial_text",
            "produced_item",
            "produced_lot",
            "produced_lot_number",
            "produced_serial",
            "produced_serial_text",
            "created_at",
        ]
        read_only_fields = fields


# Inputs of the actions -------------------------------------------------------------------------------


class WorkOrderCommentInput(StrictSerializerMixin, serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class WorkOrderMaterialInput(StrictSerializerMixin, serializers.Serializer):
    material = serializers.PrimaryKeyRelatedField(
        queryset=WorkOrderMaterial.objects.all(), required=False, allow_null=True, help_text="The material line."
    )
    item = serializers.PrimaryKeyRelatedField(
        queryset=Item.objects.all(), required=False, allow_null=True, help_text="Or the component."
    )
    quantity = serializers.DecimalField(**QUANTITY)
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), required=False, allow_null=True)
    serial = serializers.CharField(required=False, allow_blank=True, max_length=80, help_text="Serial number text.")


class WorkOrderIssueInput(WorkOrderMaterialInput):
    operation = serializers.PrimaryKeyRelatedField(queryset=Operation.objects.all(), required=False, allow_null=True)


class WorkOrderOutputInput(StrictSerializerMixin, serializers.Serializer):
    quantity = serializers.DecimalField(**QUANTITY)
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, help_text="Default: the order's."
    )
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    serials = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, max_length=1000, help_text="One per unit."
    )


class JobCardStartInput(StrictSerializerMixin, serializers.Serializer):
    machine = serializers.PrimaryKeyRelatedField(queryset=Machine.objects.all(), required=False, allow_null=True)
    operator = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Default: the caller.",
    )


class JobCardPauseInput(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class JobCardCompleteInput(StrictSerializerMixin, serializers.Serializer):
    good_quantity = serializers.DecimalField(**QUANTITY)
    scrap_quantity = serializers.DecimalField(**QUANTITY, required=False)
    scrap_reason = serializers.ChoiceField(choices=Operation.ScrapReason.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class JobCardBookTimeInput(StrictSerializerMixin, serializers.Serializer):
    # Text rather than a second enum of the same choices (the service checks it): one schema enum per field name.
    kind = serializers.CharField(max_length=8, help_text="labour or machine")
    started_at = serializers.DateTimeField()
    minutes = serializers.DecimalField(max_digits=14, decimal_places=4)
    user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    machine = serializers.PrimaryKeyRelatedField(queryset=Machine.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PickSuggestionSerializer(serializers.Serializer):
    lot = serializers.IntegerField(allow_null=True)
    lot_number = serializers.CharField(allow_null=True)
    location = serializers.IntegerField()
    location_code = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    take = serializers.DecimalField(**QUANTITY)
    reserved = serializers.BooleanField(help_text="Held for this order (reserved at release).")


class PickLineSerializer(serializers.Serializer):
    material = serializers.IntegerField()
    component = serializers.IntegerField()
    component_number = serializers.CharField()
    required_quantity = serializers.DecimalField(**QUANTITY)
    issued_quantity = serializers.DecimalField(**QUANTITY)
    open_quantity = serializers.DecimalField(**QUANTITY)
    reserved_quantity = serializers.DecimalField(
        **QUANTITY, help_text="Stock reserved for the line; what the plant lacked at release stays unreserved."
    )
    backflush = serializers.BooleanField()
    location = serializers.IntegerField(allow_null=True)
    suggestions = PickSuggestionSerializer(many=True)


class WorkOrderCostPartSerializer(serializers.Serializer):
    material = serializers.DecimalField(**MONEY)
    labour = serializers.DecimalField(**MONEY)
    machine = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    minutes = serializers.DecimalField(max_digits=20, decimal_places=1)
    quantity = serializers.DecimalField(**QUANTITY)


class WorkOrderCostSerializer(serializers.Serializer):
    planned = WorkOrderCostPartSerializer()
    actual = WorkOrderCostPartSerializer()
    scrap_quantity = serializers.DecimalField(**QUANTITY)
    received_quantity = serializers.DecimalField(**QUANTITY)
    progress = serializers.IntegerField()
    late = serializers.BooleanField()


class GenealogyNodeSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    item = serializers.IntegerField(allow_null=True)
    item_number = serializers.CharField(allow_null=True)
    lot = serializers.IntegerField(allow_null=True)
    lot_number = serializers.CharField(allow_null=True)
    serial = serializers.IntegerField(allow_null=True)
    serial_text = serializers.CharField(allow_null=True)
    work_order = serializers.IntegerField(allow_null=True)
    work_order_number = serializers.CharField(allow_null=True)


# --- Filters -----------------------------------------------------------------------------------------


class WorkOrderFilter(django_filters.FilterSet):
    late = django_filters.BooleanFilter(method="filter_late", label="Past due and not completed")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")

    class Meta:
        model = WorkOrder
        fields = ["status", "plant", "item", "kind", "parent"]

    def filter_late(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset.filter(is_late=value) if value is not None else queryset


# --- Viewsets -----------------------------------------------------------------------------------------

_ISSUE = {201: MaterialIssueSerializer}


def _body(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class WorkOrderViewSet(WorkflowActionsMixin, TenantModelViewSet):
    """Work orders: create (draft), edit before release, and move them through their lifecycle."""

    queryset = selectors.work_orders()
    plant_field = "plant"
    serializer_class = WorkOrderSerializer
    filterset_class = WorkOrderFilter
    search_fields = ["number", "item__number", "item__name", "notes"]
    ordering_fields = ["id", "number", "due_date", "status", "created_at"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    ACTION_PERMISSIONS = {
        "plan": "production.change_workorder",
        "release": RELEASE,
        "start": "production.change_operation",
        "send_to_qc": "production.change_workorder",
        "complete": COMPLETE,
        "hold": CANCEL,
        "cancel": CANCEL,
        "issue": "production.add_materialissue",
        "return_material": "production.add_materialissue",
        "output": RECEIVE_OUTPUT,
    }

    def required_permission(self, request: Any) -> str | None:
        perm = self.ACTION_PERMISSIONS.get(getattr(self, "action", ""))
        return perm or super().required_permission(request)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data["serial"] = data.pop("serial_number", "") or None
        wo = services.create_work_order(actor=self.request.user, data=data)
        # Answer with the annotated row (late flag, progress, operation counts) like the list.
        serializer.instance = selectors.work_orders().get(pk=wo.pk)

    def perform_update(self, serializer: Any) -> None:
        data = {k: v for k, v in serializer.validated_data.items() if k in services.UPDATABLE}
        wo = services.update_work_order(actor=self.request.user, work_order=serializer.instance, data=data)
        serializer.instance = selectors.work_orders().get(pk=wo.pk)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        super().update(request, *args, **kwargs)
        # A partial serializer skips the absent-attribute fields (serial_text...): answer in full.
        return self._answer(self.get_object())

    def _answer(self, wo: WorkOrder, code: int = status.HTTP_200_OK) -> Response:
        return Response(WorkOrderSerializer(selectors.work_orders().get(pk=wo.pk)).data, status=code)

    def _move(self, to_state: str, request: Request) -> Response:
        data = _body(WorkOrderCommentInput, request)
        wo = services.transition_work_order(
            actor=request.user, work_order=self.get_object(), to_state=to_state, comment=data.get("comment", "")
        )
        return self._answer(wo)

    @extend_schema(responses={200: TransitionRecordSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="history", pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: Any = None) -> Response:
        """Every transition of the order, newest first (a plain list: the schema says so too)."""
        return super().history(request, pk)

    @extend_schema(responses={200: OptionSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None, filter_backends=[])
    def transitions(self, request: Request, pk: Any = None) -> Response:
        """What the caller may do with the order now, and why not for the rest."""
        return super().transitions(request, pk)

    @extend_schema(responses={200: SignatureSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="signatures", pagination_class=None, filter_backends=[])
    def signatures(self, request: Request, pk: Any = None) -> Response:
        """Electronic signatures on the order, each with whether it is still valid."""
        return super().signatures(request, pk)

    @extend_schema(request=WorkOrderCommentInput, responses={200: WorkOrderSerializer})
    @action(detail=True, methods=["post"])
    def plan(self, request: Request, pk: Any = None) -> Response:
        """Draft -> Planned."""
        return self._move("planned", request)

    @extend_schema(request=WorkOrderCommentInput, responses={200: WorkOrderSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: Any = None) -> Response:
        """Planned -> Released: the BOM and routing are copied onto the order (409 if no longer released)."""
        return self._move("released", request)

    @extend_schema(request=WorkOrderCommentInput, responses={200: WorkOrderSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: Any = None) -> Response:
        """Released -> In progress (starting the first job card does this too)."""
        return self._move("in_progress", request)

    @extend_schema(request=WorkOrderCommentInput, responses={200: WorkOrderSerializer})
    @action(detail=True, methods=["post"], url_path="send-to-qc")
    def send_to_qc(self, request: Request, pk: Any = None) -> Response:
        """In progress -> QC (409 while an operation is open)."""
        return self._move("qc", request)

    @extend_schema(request=WorkOrderCommentInput, responses={200: WorkOrderSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        """-> Completed (409 with open operations or unissued required material)."""
        return self._move("completed", request)

    @extend_schema(request=WorkOrderCommentInput, responses={200: WorkOrderSerializer})
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: Any = None) -> Response:
        """-> On hold (a comment is required)."""
        return self._move("on_hold", request)

    @extend_schema(request=WorkOrderCommentInput, responses={200: WorkOrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """-> Cancelled (a comment is required; 409 once material is issued or output received)."""
        return self._move("cancelled", request)

    @extend_schema(request=WorkOrderIssueInput, responses=_ISSUE)
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: Any = None) -> Response:
        """Issue a component to the order by lot or serial (FEFO suggestions in `pick-list`)."""
        wo = self.get_object()
        data = _body(WorkOrderIssueInput, request)
        record = services.issue_material(actor=request.user, work_order=wo, **data)
        return Response(MaterialIssueSerializer(selectors.material_issues().get(pk=record.pk)).data, status=201)

    @extend_schema(request=WorkOrderMaterialInput, responses=_ISSUE)
    @action(detail=True, methods=["post"], url_path="return-material")
    def return_material(self, request: Request, pk: Any = None) -> Response:
        """Return unused material to stock (at most what was issued of that lot or serial)."""
        wo = self.get_object()
        data = _body(WorkOrderMaterialInput, request)
        record = services.return_material(actor=request.user, work_order=wo, **data)
        return Response(MaterialIssueSerializer(selectors.material_issues().get(pk=record.pk)).data, status=201)

    @extend_schema(request=WorkOrderOutputInput, responses={201: WorkOrderOutputSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def output(self, request: Request, pk: Any = None) -> Response:
        """Receive good output into stock; lots and serials are numbered from the order unless given."""
        wo = self.get_object()
        data = _body(WorkOrderOutputInput, request)
        made = services.receive_output(actor=request.user, work_order=wo, **data)
        rows = selectors.outputs().filter(pk__in=[o.pk for o in made]).order_by("id")
        return Response(WorkOrderOutputSerializer(rows, many=True).data, status=201)

    @extend_schema(responses={200: PickLineSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="pick-list", pagination_class=None, filter_backends=[])
    def pick_list(self, request: Request, pk: Any = None) -> Response:
        """What is still to issue, what is reserved for it, and where to take it: the order's own
        reservations first, then first-expiring-first-out free stock."""
        rows = []
        for row in selectors.pick_list(self.get_object()):
            line = row["material"]
            rows.append(
                {
                    "material": line.pk,
                    "component": line.component_id,
                    "component_number": line.component.number,
                    "required_quantity": line.required_quantity,
                    "issued_quantity": line.issued_quantity,
                    "open_quantity": row["open_quantity"],
                    "reserved_quantity": row["reserved"],
                    "backflush": line.backflush,
                    "location": row["location"].pk if row["location"] else None,
                    "suggestions": [
                        {
                            "lot": s["lot"].pk if s["lot"] else None,
                            "lot_number": s["lot"].number if s["lot"] else None,
                            "location": s["location"].pk,
                            "location_code": s["location"].code,
                            "expires_on": s["expires_on"],
                            "take": s["take"],
                            "reserved": bool(s.get("reserved")),
                        }
                        for s in row["suggestions"]
                    ],
                }
            )
        return Response(PickLineSerializer(rows, many=True).data)

    @extend_schema(responses={200: WorkOrderCostSerializer})
    @action(detail=True, methods=["get"])
    def cost(self, request: Request, pk: Any = None) -> Response:
        """Planned versus actual quantities, minutes and cost; progress and the late flag."""
        summary = selectors.cost_summary(self.get_object())
        actual = summary["actual"]
        body = {
            "planned": summary["planned"],
            "actual": {**actual, "quantity": actual["quantity"]},
            "scrap_quantity": actual["scrap"],
            "received_quantity": actual["received"],
            "progress": summary["progress"],
            "late": summary["late"],
        }
        return Response(WorkOrderCostSerializer(body).data)


class GenealogyMixin:
    @staticmethod
    def _rows(tree: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "level": n["level"],
                "item": n["item"].pk if n["item"] else None,
                "item_number": n["item"].number if n["item"] else None,
                "lot": n["lot"].pk if n["lot"] else None,
                "lot_number": n["lot"].number if n["lot"] else None,
                "serial": n["serial"].pk if n["serial"] else None,
                "serial_text": n["serial"].serial if n["serial"] else None,
                "work_order": n["work_order"].pk if n["work_order"] else None,
                "work_order_number": n["work_order"].number if n["work_order"] else None,
            }
            for n in selectors.flatten(tree)
        ]


class OperationViewSet(TenantReadOnlyViewSet):
    """Job cards: read, and start / pause / resume / complete them."""

    queryset = selectors.operations()
    plant_field = "work_order__plant"
    serializer_class = JobCardSerializer
    filterset_fields = ["work_order", "status", "work_center", "machine", "operator"]
    search_fields = ["description", "work_order__number"]
    ordering_fields = ["id", "sequence", "started_at"]

    def required_permission(self, request: Any) -> str | None:
        if getattr(self, "action", "") in ("start", "pause", "resume", "complete"):
            return "production.change_operation"
        if getattr(self, "action", "") == "book_time":
            return "production.add_timeentry"
        return None

    def _answer(self, op: Operation) -> Response:
        return Response(JobCardSerializer(selectors.operations().get(pk=op.pk)).data)

    @extend_schema(request=JobCardStartInput, responses={200: JobCardSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: Any = None) -> Response:
        """Start the job card on one of its eligible machines; labour (and machine) time starts."""
        op = self.get_object()
        return self._answer(
            services.start_operation(actor=request.user, operation=op, **_body(JobCardStartInput, request))
        )

    @extend_schema(request=JobCardPauseInput, responses={200: JobCardSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: Any = None) -> Response:
        """Stop the clocks (409 unless running)."""
        op = self.get_object()
        return self._answer(
            services.pause_operation(actor=request.user, operation=op, **_body(JobCardPauseInput, request))
        )

    @extend_schema(request=None, responses={200: JobCardSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: Any = None) -> Response:
        """Restart the clocks of a paused job card (409 unless paused)."""
        return self._answer(services.resume_operation(actor=request.user, operation=self.get_object()))

    @extend_schema(request=JobCardCompleteInput, responses={200: JobCardSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: Any = None) -> Response:
        """Finish with good and scrap quantities (400 above what it received); backflushes its material."""
        op = self.get_object()
        data = _body(JobCardCompleteInput, request)
        return self._answer(services.complete_operation(actor=request.user, operation=op, **data))

    @extend_schema(request=JobCardBookTimeInput, responses={201: TimeEntrySerializer})
    @action(detail=True, methods=["post"], url_path="book-time")
    def book_time(self, request: Request, pk: Any = None) -> Response:
        """Book labour or machine time by hand (a forgotten clock-in); counts in the order's cost."""
        op = self.get_object()
        entry = services.book_time(actor=request.user, operation=op, **_body(JobCardBookTimeInput, request))
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class WorkOrderMaterialViewSet(TenantAPIMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Material lines copied from the BOM: set backflush, consuming operation and pick location."""

    queryset = selectors.materials()
    plant_field = "work_order__plant"
    serializer_class = WorkOrderMaterialSerializer
    filterset_fields = ["work_order", "component", "backflush"]
    ordering_fields = ["id", "position"]
    ordering = ["-id"]

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_material(
            actor=self.request.user, material=serializer.instance, data=dict(serializer.validated_data)
        )


class TimeEntryViewSet(TenantReadOnlyViewSet):
    """Labour and machine time, booked by the job card actions."""

    queryset = selectors.time_entries()
    plant_field = "work_order__plant"
    serializer_class = TimeEntrySerializer
    filterset_fields = ["work_order", "operation", "kind", "user", "machine"]
    ordering_fields = ["id", "started_at"]


class MaterialIssueViewSet(TenantReadOnlyViewSet):
    """Issues, backflushes and returns, each with the ledger move it caused."""

    queryset = selectors.material_issues()
    plant_field = "work_order__plant"
    serializer_class = MaterialIssueSerializer
    filterset_fields = ["work_order", "item", "lot", "kind"]
    ordering_fields = ["id", "created_at"]


class WorkOrderOutputViewSet(TenantReadOnlyViewSet):
    """Output received into stock, with its lot or serial."""

    queryset = selectors.outputs()
    plant_field = "work_order__plant"
    serializer_class = WorkOrderOutputSerializer
    filterset_fields = ["work_order", "item", "lot", "serial"]
    ordering_fields = ["id", "created_at"]


class GenealogyLinkViewSet(GenealogyMixin, TenantReadOnlyViewSet):
    """Consumed lot/serial -> produced lot/serial. `trace/` walks the tree either way."""

    queryset = selectors.genealogy_links()
    plant_field = "work_order__plant"
    serializer_class = GenealogyLinkSerializer
    filterset_fields = ["work_order", "consumed_lot", "produced_lot", "consumed_serial", "produced_serial"]
    ordering_fields = ["id"]

    @extend_schema(
        parameters=[
            OpenApiParameter("lot", int, description="Trace this lot"),
            OpenApiParameter("serial", int, description="Or this serial number"),
            OpenApiParameter("direction", str, enum=["backward", "forward"], description="Default: backward"),
        ],
        responses={200: GenealogyNodeSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def trace(self, request: Request) -> Response:
        """The genealogy tree of a lot or serial as indented rows: what went into it, or where it went."""
        lot = _lookup(Lot, request.query_params.get("lot"), "lot")
        serial = _lookup(SerialNumber, request.query_params.get("serial"), "serial")
        if lot is None and serial is None:
            raise ApiValidationError({"lot": ["Give a lot or a serial to trace."]})
        direction = request.query_params.get("direction", "backward")
        if direction not in ("backward", "forward"):
            raise ApiValidationError({"direction": ["backward or forward."]})
        walk = selectors.genealogy_backward if direction == "backward" else selectors.genealogy_forward
        return Response(GenealogyNodeSerializer(self._rows(walk(lot=lot, serial=serial)), many=True).data)


def _lookup(model: Any, raw: str | None, field: str) -> Any:
    if not raw:
        return None
    try:
        return model.objects.get(pk=int(raw))
    except (ValueError, OverflowError, model.DoesNotExist):
        raise ApiValidationError({field: ["Unknown."]}) from None


router.register("production/work-orders", WorkOrderViewSet, basename="production-workorder")
router.register("production/operations", OperationViewSet, basename="production-operation")
router.register("production/materials", WorkOrderMaterialViewSet, basename="production-material")
router.register("production/time-entries", TimeEntryViewSet, basename="production-timeentry")
router.register("production/material-issues", MaterialIssueViewSet, basename="production-materialissue")
router.register("production/outputs", WorkOrderOutputViewSet, basename="production-output")
router.register("production/genealogy-links", GenealogyLinkViewSet, basename="production-genealogylink")
