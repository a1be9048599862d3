"""Field assets API: assets and their actions (receive, assign, ship, return with dull grade,
repair, back in stock, scrap), runs, and the read-only assignments, dull grades and repairs.

Every action is a POST that calls one service; those that move the serial on the ledger
(receive, ship, return, back in stock, scrap) take an `Idempotency-Key` header, so a retried
request answers the first response instead of moving the bit twice.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shopfloor.catalog.models import Item
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet
from shopfloor.inventory.models import Location, StockMove
from shopfloor.partners.models import Rig, Well
from shopfloor.workflows.api import TransitionRecordSerializer

from . import iadc, selectors, services
from .models import Assignment, BitRun, DullGrade, FieldAsset, FieldRepair

# --- Serializers ----------------------------------------------------------------------------------


class FieldAssetSerializer(TenantModelSerializer):
    item = serializers.PrimaryKeyRelatedField(
        queryset=Item.objects.all(), required=False, help_text="With serial_text: the bit's item (new serial)."
    )
    serial_text = serializers.CharField(
        required=False, write_only=True, max_length=80, help_text="The serial number, registered when new."
    )
    item_number = serializers.CharField(source="item.number", read_only=True)
    serial_number = serializers.CharField(source="serial.serial", read_only=True)
    run_count = serializers.IntegerField(read_only=True, default=0)
    total_footage = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True, default=None
    )
    total_hours = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = FieldAsset
        fields = [
            "id",
            "number",
            "plant",
            "serial",
            "serial_text",
            "serial_number",
            "item",
            "item_number",
            "bit_type",
            "size",
            "iadc_class",
            "status",
            "customer",
            "rig",
            "notes",
            "run_count",
            "total_footage",
            "total_hours",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "status", "customer", "rig"]
        extra_kwargs = {"serial": {"required": False}}


class FieldAssignmentSerializer(TenantModelSerializer):
    rig_name = serializers.CharField(source="rig.name", read_only=True)
    well_name = serializers.CharField(source="well.name", read_only=True, allow_null=True, default=None)
    end_reason = serializers.ChoiceField(
        choices=Assignment.EndReason.choices, allow_blank=True, read_only=True, help_text="Empty while open."
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "asset",
            "customer",
            "rig",
            "rig_name",
            "well",
            "well_name",
            "assigned_at",
            "shipped_at",
            "ended_at",
            "end_reason",
            "ship_move",
            "return_move",
            "note",
        ]
        read_only_fields = fields


class BitRunSerializer(TenantModelSerializer):
    asset_number = serializers.CharField(source="asset.number", read_only=True)
    well = serializers.PrimaryKeyRelatedField(
        queryset=Well.objects.all(), required=False, help_text="Default: the well of the bit's assignment."
    )

    class Meta:
        model = BitRun
        fields = [
            "id",
            "asset",
            "asset_number",
            "assignment",
            "well",
            "run_number",
            "run_date",
            "depth_unit",
            "depth_in",
            "depth_out",
            "hours_on_bottom",
            "footage",
            "rop",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["assignment", "run_number", "footage", "rop"]
        extra_kwargs = {
            # The service says what is wrong with a depth or an hour in the plant's words.
            "depth_in": {"validators": []},
            "depth_out": {"validators": []},
            "hours_on_bottom": {"validators": []},
        }


class DullGradeSerializer(TenantModelSerializer):
    code = serializers.CharField(read_only=True, help_text="The grade as written on a bit record: 1-2-WT-A-E-I-NO-TD.")

    class Meta:
        model = DullGrade
        fields = ["id", "asset", "assignment", "run", "bit_type", *iadc.FIELDS, "code", "graded_at", "remarks"]
        read_only_fields = fields


class FieldRepairSerializer(TenantModelSerializer):
    class Meta:
        model = FieldRepair
        fields = [
            "id",
            "asset",
            "dull_grade",
            "work_order",
            "work_order_number",
            "started_at",
            "completed_at",
            "note",
        ]
        read_only_fields = fields


class FieldMoveSerializer(serializers.ModelSerializer):
    """A ledger line of the asset's serial, as the life view shows it."""

    from_location_code = serializers.CharField(source="from_location.code", read_only=True)
    to_location_code = serializers.CharField(source="to_location.code", read_only=True)

    class Meta:
        model = StockMove
        fields = [
            "id",
            "kind",
            "quantity",
            "from_location",
            "from_location_code",
            "to_location",
            "to_location_code",
            "reason_code",
            "note",
            "source_number",
            "actor",
            "posted_at",
        ]
        read_only_fields = fields


class FieldAssetLifeSerializer(serializers.Serializer):
    """Everything that happened to one serial, each list oldest first."""

    asset = FieldAssetSerializer()
    receipts = FieldMoveSerializer(many=True)
    moves = FieldMoveSerializer(many=True)
    assignments = FieldAssignmentSerializer(many=True)
    runs = BitRunSerializer(many=True)
    dull_grades = DullGradeSerializer(many=True)
    repairs = FieldRepairSerializer(many=True)
    transitions = TransitionRecordSerializer(many=True)


# Inputs of the actions ----------------------------------------------------------------------------


class FieldNoteInput(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class FieldReceiveInput(FieldNoteInput):
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="Where a serial from outside the plant is received (not needed when already on a shelf).",
    )


class FieldAssignInput(FieldNoteInput):
    rig = serializers.PrimaryKeyRelatedField(queryset=Rig.objects.all())
    well = serializers.PrimaryKeyRelatedField(queryset=Well.objects.all(), required=False, allow_null=True)


class FieldReturnInput(FieldNoteInput):
    to_location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), help_text="The shelf (or quarantine) the bit comes back to."
    )
    inner_rows = serializers.CharField(max_length=20, help_text="0-8")
    outer_rows = serializers.CharField(max_length=20, help_text="0-8")
    dull_characteristic = serializers.CharField(max_length=20, help_text="IADC code, e.g. WT, BT, BF (fixed cutter)")
    location = serializers.CharField(
        max_length=20, help_text="IADC location: N M G A or cone numbers (roller cone); C N T S G A (fixed cutter)"
    )
    bearings_seals = serializers.CharField(max_length=20, help_text="0-8, E, F, N (roller cone); X (fixed cutter)")
    gauge = serializers.CharField(max_length=20, help_text="I (in gauge) or sixteenths under gauge: 1, 2, 4...")
    other_characteristic = serializers.CharField(max_length=20)
    reason_pulled = serializers.CharField(max_length=20, help_text="IADC reason pulled, e.g. TD, PR, HR, BHA")
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def grade(self) -> dict[str, Any]:
        data = self.validated_data
        return {f: data[f] for f in iadc.FIELDS}


class FieldStartRepairInput(FieldNoteInput):
    due_date = serializers.DateField(required=False, allow_null=True, help_text="Default: in 14 days.")


class FieldBackInStockInput(FieldNoteInput):
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, help_text="Move it to this shelf too."
    )


class FieldScrapInput(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="A scrap location (default: the plant's).",
    )


# --- Viewsets ---------------------------------------------------------------------------------------------

ACTION_PERMISSIONS = {
    "receive": "field.receive_fieldasset",
    "back_in_stock": "field.receive_fieldasset",
    "assign": "field.assign_fieldasset",
    "unassign": "field.assign_fieldasset",
    "ship": "field.ship_fieldasset",
    "return_from_field": "field.return_fieldasset",
    "start_repair": "field.repair_fieldasset",
    "scrap": "field.scrap_fieldasset",
}

_ASSET = {200: FieldAssetSerializer}


class FieldAssetViewSet(TenantModelViewSet):
    """Drill bits in the field, by serial. Status changes only through the actions below (each does
    its stock move, assignment, grade or repair and then the workflow step); `life` has the history."""

    queryset = selectors.assets()
    serializer_class = FieldAssetSerializer
    filterset_fields = ["status", "plant", "customer", "rig", "item", "bit_type"]
    search_fields = ["number", "serial__serial", "item__number", "iadc_class"]
    ordering_fields = ["id", "number", "updated_at"]

    def required_permission(self, request: Any) -> str | None:
        if self.action in ACTION_PERMISSIONS:
            return ACTION_PERMISSIONS[self.action]
        return None

    def _answer(self, asset: FieldAsset) -> Response:
        return Response(FieldAssetSerializer(selectors.assets().get(pk=asset.pk)).data)

    def _input(self, serializer_class: type[serializers.Serializer]) -> Any:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body

    def perform_create(self, serializer: Any) -> None:
        asset = services.create_asset(actor=self.request.user, data=dict(serializer.validated_data))
        serializer.instance = selectors.assets().get(pk=asset.pk)

    def perform_update(self, serializer: Any) -> None:
        asset = services.update_asset(
            actor=self.request.user, asset=serializer.instance, data=dict(serializer.validated_data)
        )
        serializer.instance = selectors.assets().get(pk=asset.pk)

    def perform_destroy(self, instance: FieldAsset) -> None:
        services.delete_asset(actor=self.request.user, asset=instance)

    @extend_schema(request=FieldReceiveInput, responses=_ASSET)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: Any = None) -> Response:
        """A new bit comes into stock (received into `location` when its serial is not on a shelf yet)."""
        asset = self.get_object()
        body = self._input(FieldReceiveInput)
        data = body.validated_data
        return self._answer(
            services.receive(actor=request.user, asset=asset, location=data.get("location"), note=data.get("note", ""))
        )

    @extend_schema(request=FieldAssignInput, responses=_ASSET)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        """Assign an in-stock bit to a customer's rig (and the well it will drill)."""
        asset = self.get_object()
        data = self._input(FieldAssignInput).validated_data
        services.assign(
            actor=request.user, asset=asset, rig=data["rig"], well=data.get("well"), note=data.get("note", "")
        )
        return self._answer(asset)

    @extend_schema(request=FieldNoteInput, responses=_ASSET)
    @action(detail=True, methods=["post"])
    def unassign(self, request: Request, pk: Any = None) -> Response:
        """The rig no longer needs the assigned bit: it is free in stock again."""
        asset = self.get_object()
        data = self._input(FieldNoteInput).validated_data
        return self._answer(services.unassign(actor=request.user, asset=asset, note=data.get("note", "")))

    @extend_schema(request=FieldNoteInput, responses=_ASSET)
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: Any = None) -> Response:
        """Ship the assigned bit to its rig: the serial moves to the customer location; it is In field."""
        asset = self.get_object()
        data = self._input(FieldNoteInput).validated_data
        services.ship(actor=request.user, asset=asset, note=data.get("note", ""))
        return self._answer(asset)

    @extend_schema(request=FieldReturnInput, responses=_ASSET)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_from_field(self, request: Request, pk: Any = None) -> Response:
        """The bit comes back from the rig into `location`, with its IADC dull grade (all eight columns).
        A code not in the IADC list is a 400 naming it."""
        asset = self.get_object()
        body = self._input(FieldReturnInput)
        data = body.validated_data
        services.return_from_field(
            actor=request.user,
            asset=asset,
            location=data["to_location"],
            grade=body.grade(),
            remarks=data.get("remarks", ""),
            note=data.get("note", ""),
        )
        return self._answer(asset)

    @extend_schema(request=FieldStartRepairInput, responses=_ASSET)
    @action(detail=True, methods=["post"], url_path="start-repair")
    def start_repair(self, request: Request, pk: Any = None) -> Response:
        """Open a repair work order for the returned bit, with its dull grade attached."""
        asset = self.get_object()
        data = self._input(FieldStartRepairInput).validated_data
        services.start_repair(actor=request.user, asset=asset, due_date=data.get("due_date"), note=data.get("note", ""))
        return self._answer(asset)

    @extend_schema(request=FieldBackInStockInput, responses=_ASSET)
    @action(detail=True, methods=["post"], url_path="back-in-stock")
    def back_in_stock(self, request: Request, pk: Any = None) -> Response:
        """A returned bit fit to run (or a repaired one) goes back in stock; its open repair closes."""
        asset = self.get_object()
        data = self._input(FieldBackInStockInput).validated_data
        return self._answer(
            services.back_in_stock(
                actor=request.user, asset=asset, location=data.get("location"), note=data.get("note", "")
            )
        )

    @extend_schema(request=FieldScrapInput, responses=_ASSET)
    @action(detail=True, methods=["post"])
    def scrap(self, request: Request, pk: Any = None) -> Response:
        """Scrap the bit (from the shelf to scrap; from the field: lost in hole)."""
        asset = self.get_object()
        data = self._input(FieldScrapInput).validated_data
        return self._answer(
            services.scrap(actor=request.user, asset=asset, reason=data["reason"], location=data.get("location"))
        )

    @extend_schema(responses={200: FieldAssetLifeSerializer})
    @action(detail=True, methods=["get"])
    def life(self, request: Request, pk: Any = None) -> Response:
        """The whole life of the serial: receipts, assignments, runs, gradings, repairs, status history, moves."""
        life = selectors.life(self.get_object())
        return Response(FieldAssetLifeSerializer(life).data)


class BitRunViewSet(TenantModelViewSet):
    """Runs of bits in wells, with footage and rate of penetration computed on the server."""

    queryset = selectors.runs()
    serializer_class = BitRunSerializer
    filterset_fields = ["asset", "well", "assignment", "depth_unit"]
    ordering_fields = ["id", "run_date", "rop", "footage"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        asset = data.pop("asset")
        serializer.instance = services.record_run(actor=self.request.user, asset=asset, data=data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_run(
            actor=self.request.user, run=serializer.instance, data=dict(serializer.validated_data)
        )


class AssignmentViewSet(TenantReadOnlyViewSet):
    """Who had which bit when: opened by `assign`, shipped by `ship`, ended by return, unassign or loss."""

    queryset = selectors.assignments()
    serializer_class = FieldAssignmentSerializer
    filterset_fields = ["asset", "customer", "rig", "well", "end_reason"]
    ordering_fields = ["id", "assigned_at"]


class DullGradeViewSet(TenantReadOnlyViewSet):
    """IADC dull grades, recorded by the asset's `return` action."""

    queryset = selectors.dull_grades()
    serializer_class = DullGradeSerializer
    filterset_fields = ["asset", "run", "dull_characteristic", "reason_pulled"]
    ordering_fields = ["id", "graded_at"]


class FieldRepairViewSet(TenantReadOnlyViewSet):
    """Repairs opened from returns (`start-repair`), closed by `back-in-stock` or scrap."""

    queryset = selectors.repairs()
    serializer_class = FieldRepairSerializer
    filterset_fields = ["asset"]
    ordering_fields = ["id", "started_at"]


router.register("field/assets", FieldAssetViewSet, basename="field-asset")
router.register("field/runs", BitRunViewSet, basename="field-run")
router.register("field/assignments", AssignmentViewSet, basename="field-assignment")
router.register("field/dull-grades", DullGradeViewSet, basename="field-dullgrade")
router.register("field/repairs", FieldRepairViewSet, basename="field-repair")
