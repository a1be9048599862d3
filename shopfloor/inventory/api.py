"""Inventory API: locations, lots, serial numbers, the ledger and its actions, balances,
reservations and cycle counts. Every POST that moves stock goes through the shared
viewset base, so an `Idempotency-Key` header makes a retry answer without writing again."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, pagination, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from shopfloor.catalog.models import QUANTITY, Item, Unit
from shopfloor.core import access
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantAPIMixin, TenantCreateListRetrieveViewSet, TenantModelViewSet
from shopfloor.workflows.api import WorkflowActionsMixin

from . import selectors, services
from .models import (
    CycleCount,
    CycleCountLine,
    Location,
    Lot,
    Reservation,
    SerialNumber,
    StockBalance,
    StockMove,
)

# --- Serializers ----------------------------------------------------------------------------------


class LocationSerializer(TenantModelSerializer):
    class Meta:
        model = Location
        fields = [
            "id",
            "plant",
            "parent",
            "code",
            "name",
            "location_type",
            "allow_negative",
            "is_active",
            "created_at",
            "updated_at",
        ]


class LotSerializer(TenantModelSerializer):
    class Meta:
        model = Lot
        fields = ["id", "item", "number", "supplier_lot", "manufactured_on", "expires_on", "created_at", "updated_at"]


class SerialNumberSerializer(TenantModelSerializer):
    class Meta:
        model = SerialNumber
        fields = ["id", "item", "serial", "lot", "location", "status", "created_at", "updated_at"]
        read_only_fields = ["location", "status"]


class StockMoveSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    unit = serializers.CharField(source="item.stock_unit.code", read_only=True)
    entered_unit_code = serializers.CharField(source="entered_unit.code", read_only=True)
    from_location_code = serializers.CharField(source="from_location.code", read_only=True)
    to_location_code = serializers.CharField(source="to_location.code", read_only=True)
    lot_number = serializers.CharField(source="lot.number", read_only=True, default=None)
    serial_number = serializers.CharField(source="serial.serial", read_only=True, default=None)

    class Meta:
        model = StockMove
        fields = [
            "id",
            "plant",
            "kind",
            "item",
            "item_number",
            "quantity",
            "unit",
            "entered_quantity",
            "entered_unit",
            "entered_unit_code",
            "lot",
            "lot_number",
            "serial",
            "serial_number",
            "from_location",
            "from_location_code",
            "to_location",
            "to_location_code",
            "reason_code",
            "note",
            "source_object_type",
            "source_object_id",
            "source_number",
            "reverses",
            "idempotency_key",
            "actor",
            "posted_at",
            "created_at",
        ]
        read_only_fields = fields


class StockBalanceSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    unit = serializers.CharField(source="item.stock_unit.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    lot_number = serializers.CharField(source="lot.number", read_only=True, default=None)
    available = serializers.DecimalField(**QUANTITY, read_only=True)

    class Meta:
        model = StockBalance
        fields = [
            "id",
            "item",
            "item_number",
            "unit",
            "location",
            "location_code",
            "lot",
            "lot_number",
            "on_hand",
            "reserved",
            "available",
            "updated_at",
        ]
        read_only_fields = fields


class ReservationSerializer(TenantModelSerializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, write_only=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "item",
            "location",
            "lot",
            "quantity",
            "unit",
            "source_object_type",
            "source_object_id",
            "source_number",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status"]


class CycleCountSerializer(TenantModelSerializer):
    items = serializers.PrimaryKeyRelatedField(
        queryset=Item.objects.all(), many=True, required=False, write_only=True, help_text="Count only these items."
    )

    class Meta:
        model = CycleCount
        fields = ["id", "number", "plant", "location", "status", "note", "items", "posted_at", "created_at"]
        read_only_fields = ["number", "plant", "status", "posted_at"]


class CycleCountLineSerializer(TenantModelSerializer):
    variance = serializers.DecimalField(**QUANTITY, read_only=True)

    class Meta:
        model = CycleCountLine
        fields = [
            "id",
            "count",
            "item",
            "lot",
            "expected_quantity",
            "counted_quantity",
            "variance",
            "move",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["expected_quantity", "counted_quantity", "move"]


# Inputs of the ledger actions --------------------------------------------------------------------


class _MoveInput(StrictSerializerMixin, serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.select_related("stock_unit"))
    quantity = serializers.DecimalField(**QUANTITY)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), required=False, allow_null=True)
    serial = serializers.CharField(required=False, allow_blank=True, max_length=80, help_text="Serial number text.")
    reason_code = serializers.CharField(required=False, allow_blank=True, max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    source_object_type = serializers.CharField(required=False, allow_blank=True, max_length=100)
    source_object_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    source_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=120)

    def common(self, data: dict[str, Any]) -> dict[str, Any]:
        """The service keywords shared by every ledger action."""
        item: Item = data["item"]
        serial = None
        text = (data.get("serial") or "").strip()
        if text:
            serial = SerialNumber.objects.filter(item=item, serial=text).first()
            if serial is None:
                raise ValidationError({"serial": [f"{item.number} has no serial number '{text}'."]})
        return {
            "item": item,
            "quantity": data["quantity"],
            "unit": data.get("unit"),
            "lot": data.get("lot"),
            "serial": serial,
            "note": data.get("note", ""),
            "idempotency_key": data.get("idempotency_key", ""),
        }

    @staticmethod
    def source_document(data: dict[str, Any]) -> services.SourceDocument:
        return services.SourceDocument(
            data.get("source_object_type", ""), data.get("source_object_id", ""), data.get("source_number", "")
        )


class ReceiveInput(_MoveInput):
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=60, help_text="New or known lot.")
    supplier_lot = serializers.CharField(required=False, allow_blank=True, max_length=60)
    manufactured_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)


class IssueInput(_MoveInput):
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    reservation = serializers.PrimaryKeyRelatedField(
        queryset=Reservation.objects.all(), required=False, allow_null=True
    )


class TransferInput(_MoveInput):
    from_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    to_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())


class AdjustInput(_MoveInput):
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    quantity = serializers.DecimalField(**QUANTITY, help_text="Signed: + found, - lost.")
    reason_code = serializers.CharField(max_length=40)


class ScrapInput(_MoveInput):
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    to_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), required=False, allow_null=True)
    reason_code = serializers.CharField(max_length=40)


class ReverseInput(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CountInput(StrictSerializerMixin, serializers.Serializer):
    counted_quantity = serializers.DecimalField(**QUANTITY)


# --- Pagination of the ledger ---------------------------------------------------------------------------


class LedgerPagination(pagination.BasePagination):
    """Keyset pages over (posted_at, id), newest first: every page costs the same."""

    page_size = 50
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[StockMove]:
        try:
            size = min(max(int(request.query_params.get("page_size", self.page_size)), 1), self.max_page_size)
        except ValueError:
            raise ApiValidationError({"page_size": ["Give a whole number."]}) from None
        raw = request.query_params.get("cursor", "")
        after = selectors.decode_cursor(raw) if raw else None
        if raw and after is None:
            raise ApiValidationError({"cursor": ["Invalid cursor."]})
        rows = selectors.ledger(queryset, after=after, size=size + 1)
        self.request = request
        self.next_cursor = selectors.encode_cursor(rows[size - 1]) if len(rows) > size else None
        return rows[:size]

    def get_paginated_response(self, data: Any) -> Response:
        next_url = None
        if self.next_cursor:
            from rest_framework.utils.urls import replace_query_param

            next_url = replace_query_param(self.request.build_absolute_uri(), "cursor", self.next_cursor)
        return Response({"next": next_url, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": "cursor", "required": False, "in": "query", "schema": {"type": "string"}},
            {"name": "page_size", "required": False, "in": "query", "schema": {"type": "integer"}},
        ]


# --- Filters --------------------------------------------------------------------------------------------


class _LocationTreeFilter(django_filters.FilterSet):
    location = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(), method="in_location", label="Location (with its child locations)"
    )

    def in_location(self, queryset: Any, name: str, value: Location) -> Any:
        return queryset.filter(location_id__in=selectors.descendant_ids(value))


class BalanceFilter(_LocationTreeFilter):
    class Meta:
        model = StockBalance
        fields = ["item", "lot", "location"]


class MoveFilter(django_filters.FilterSet):
    class Meta:
        model = StockMove
        fields = ["item", "lot", "serial", "kind", "from_location", "to_location", "plant"]


# --- Viewsets ---------------------------------------------------------------------------------------------


class LocationViewSet(TenantModelViewSet):
    queryset = selectors.locations()
    plant_field = "plant"
    serializer_class = LocationSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id"]
    filterset_fields = ["plant", "parent", "location_type", "is_active"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_location(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_location(
            actor=self.request.user, location=serializer.instance, data=dict(serializer.validated_data)
        )


class LotViewSet(TenantModelViewSet):
    queryset = selectors.lots()
    serializer_class = LotSerializer
    search_fields = ["number", "supplier_lot"]
    ordering_fields = ["number", "expires_on", "id"]
    filterset_fields = ["item", "expires_on"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_lot(actor=self.request.user, data=dict(serializer.validated_data))


class SerialNumberViewSet(TenantCreateListRetrieveViewSet):
    queryset = selectors.serial_numbers()
    serializer_class = SerialNumberSerializer
    search_fields = ["serial"]
    ordering_fields = ["serial", "id"]
    filterset_fields = ["item", "lot", "location", "status"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_serial_number(
            actor=self.request.user, data=dict(serializer.validated_data)
        )


_MOVE = {200: StockMoveSerializer, 201: StockMoveSerializer}


class StockMoveViewSet(TenantAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The ledger: read-only, newest first, cursor-paged; stock moves only through the actions."""

    queryset = selectors.moves()
    plant_field = "plant"
    serializer_class = StockMoveSerializer
    pagination_class = LedgerPagination
    filterset_class = MoveFilter
    search_fields = ["source_number", "reason_code", "item__number"]
    ordering_fields: list[str] = []
    ordering = ["-posted_at", "-id"]

    def required_permission(self, request: Any) -> str | None:
        if self.action == "reverse":
            return "inventory.reverse_stockmove"
        if self.action in ("receive", "issue", "transfer", "adjust", "scrap"):
            return "inventory.add_stockmove"
        return None

    def _answer(self, move: StockMove) -> Response:
        move = selectors.moves().get(pk=move.pk)
        return Response(StockMoveSerializer(move).data, status=status.HTTP_201_CREATED)

    def _input(self, serializer_class: type[serializers.Serializer]) -> tuple[_MoveInput, dict[str, Any]]:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body, dict(body.validated_data)  # type: ignore[return-value]

    @extend_schema(request=ReceiveInput, responses=_MOVE)
    @action(detail=False, methods=["post"])
    def receive(self, request: Request) -> Response:
        """Stock arrives from a supplier. For a lot-tracked item give `lot` or a `lot_number`
        (created on first receipt); for a serial-tracked one a `serial` (registered if new)."""
        body, data = self._input(ReceiveInput)
        item: Item = data["item"]
        lot = data.get("lot")
        if lot is None and data.get("lot_number"):
            lot = services.lot_for_receipt(
                actor=request.user,
                item=item,
                number=data["lot_number"],
                supplier_lot=data.get("supplier_lot", ""),
                manufactured_on=data.get("manufactured_on"),
                expires_on=data.get("expires_on"),
            )
        serial_text = (data.pop("serial", "") or "").strip()
        kwargs = body.common(data)
        if serial_text:
            kwargs["serial"] = services.serial_for_receipt(actor=request.user, item=item, serial=serial_text, lot=lot)
        kwargs["lot"] = lot
        move = services.receive(
            actor=request.user,
            location=data["location"],
            source=body.source_document(data),
            reason_code=data.get("reason_code", ""),
            **kwargs,
        )
        return self._answer(move)

    @extend_schema(request=IssueInput, responses=_MOVE)
    @action(detail=False, methods=["post"])
    def issue(self, request: Request) -> Response:
        """Stock goes to production (optionally consuming a reservation)."""
        body, data = self._input(IssueInput)
        move = services.issue(
            actor=request.user,
            location=data["location"],
            reservation=data.get("reservation"),
            source=body.source_document(data),
            reason_code=data.get("reason_code", ""),
            **body.common(data),
        )
        return self._answer(move)

    @extend_schema(request=TransferInput, responses=_MOVE)
    @action(detail=False, methods=["post"])
    def transfer(self, request: Request) -> Response:
        """Stock moves between two locations of one plant."""
        body, data = self._input(TransferInput)
        move = services.transfer(
            actor=request.user,
            source=data["from_location"],
            target=data["to_location"],
            document=body.source_document(data),
            reason_code=data.get("reason_code", ""),
            **body.common(data),
        )
        return self._answer(move)

    @extend_schema(request=AdjustInput, responses=_MOVE)
    @action(detail=False, methods=["post"])
    def adjust(self, request: Request) -> Response:
        """Correct the books at a location: + found, - lost, with a reason code."""
        body, data = self._input(AdjustInput)
        move = services.adjust(
            actor=request.user,
            location=data["location"],
            reason_code=data["reason_code"],
            source=body.source_document(data),
            **body.common(data),
        )
        return self._answer(move)

    @extend_schema(request=ScrapInput, responses=_MOVE)
    @action(detail=False, methods=["post"])
    def scrap(self, request: Request) -> Response:
        """Unusable stock goes to a scrap location (the plant's own unless `to_location` names one)."""
        body, data = self._input(ScrapInput)
        move = services.scrap(
            actor=request.user,
            location=data["location"],
            target=data.get("to_location"),
            reason_code=data["reason_code"],
            **body.common(data),
        )
        return self._answer(move)

    @extend_schema(request=ReverseInput, responses=_MOVE)
    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: Any = None) -> Response:
        """Undo a move by the opposite move, linked to it (once)."""
        move = self.get_object()
        body = ReverseInput(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.reverse(actor=request.user, move=move, note=body.validated_data.get("note", "")))


class StockBalanceViewSet(TenantAPIMixin, viewsets.ReadOnlyModelViewSet):
    """What is where: one row per item, location and lot (location filter includes child locations)."""

    queryset = selectors.balances()
    plant_field = "location__plant"
    serializer_class = StockBalanceSerializer
    filterset_class = BalanceFilter
    search_fields = ["item__number", "location__code", "lot__number"]
    ordering_fields = ["id", "on_hand", "updated_at"]

    @extend_schema(
        parameters=[
            OpenApiParameter("at", str, required=True, description="ISO date or date-time"),
            OpenApiParameter("item", int),
            OpenApiParameter("location", int),
        ],
        responses={
            200: inline_serializer(
                "StockAsOf",
                {
                    "item": serializers.IntegerField(),
                    "location": serializers.IntegerField(),
                    "lot": serializers.IntegerField(allow_null=True),
                    "on_hand": serializers.DecimalField(**QUANTITY),
                },
                many=True,
            )
        },
    )
    @action(detail=False, methods=["get"], url_path="as-of")
    def as_of(self, request: Request) -> Response:
        """Stock on hand at a past moment, summed from the ledger (not paginated)."""
        raw = request.query_params.get("at", "")
        day = _parse(parse_date, raw) if len(raw) == 10 else None
        # A date means the end of that day, in the server's zone; a naive time is in it too.
        when = datetime.combine(day, time.max) if day is not None else _parse(parse_datetime, raw)
        if when is not None and timezone.is_naive(when):
            when = timezone.make_aware(when)
        if when is None:
            raise ApiValidationError({"at": ["Give an ISO date or date-time."]})
        item = _optional(Item, request.query_params.get("item"), "item")
        user_locations = access.at_user_plants(Location.objects.all(), request.user)
        location = _optional(user_locations, request.query_params.get("location"), "location")
        rows = selectors.stock_as_of(
            when=when, item=item, location=location, plant_ids=access.allowed_plant_ids(request.user)
        )
        places = Decimal(1).scaleb(-QUANTITY["decimal_places"])
        return Response([{**r, "on_hand": str(Decimal(r["on_hand"]).quantize(places))} for r in rows])


def _parse(parser: Any, raw: str) -> Any:
    try:
        return parser(raw)
    except ValueError:
        return None


def _optional(model: Any, raw: str | None, field: str) -> Any:
    """The row `raw` names among `model`'s (a model or a queryset), or a 400."""
    if not raw:
        return None
    queryset = model.objects.all() if isinstance(model, type) else model
    try:
        return queryset.get(pk=int(raw))
    except (ValueError, OverflowError, queryset.model.DoesNotExist):
        raise ApiValidationError({field: ["Unknown."]}) from None


class ReservationViewSet(TenantAPIMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Stock promised to documents; creating one reserves (409 if not enough is available)."""

    queryset = selectors.reservations()
    plant_field = "location__plant"
    serializer_class = ReservationSerializer
    filterset_fields = ["item", "location", "lot", "status", "source_object_type", "source_object_id"]
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def required_permission(self, request: Any) -> str | None:
        return "inventory.change_reservation" if self.action == "release" else None

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.reserve(
            actor=self.request.user,
            item=data["item"],
            location=data["location"],
            quantity=data["quantity"],
            lot=data.get("lot"),
            unit=data.get("unit"),
            source=services.SourceDocument(
                data.get("source_object_type", ""), data.get("source_object_id", ""), data.get("source_number", "")
            ),
        )

    @extend_schema(request=None, responses={200: ReservationSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: Any = None) -> Response:
        """Let the reserved stock go (409 if already released or consumed)."""
        reservation = services.release(actor=request.user, reservation=self.get_object())
        return Response(ReservationSerializer(reservation).data)


class CycleCountViewSet(WorkflowActionsMixin, TenantCreateListRetrieveViewSet):
    """Counts of a location: start (create), count lines, submit, post (approval above the threshold)."""

    queryset = selectors.cycle_counts()
    plant_field = "plant"
    serializer_class = CycleCountSerializer
    filterset_fields = ["location", "plant", "status"]
    search_fields = ["number"]
    ordering_fields = ["id", "created_at"]

    def required_permission(self, request: Any) -> str | None:
        if self.action == "submit":
            return "inventory.change_cyclecount"
        if self.action == "post_variances":
            return "inventory.post_cyclecount"
        return super().required_permission(request)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.start_count(
            actor=self.request.user,
            location=data["location"],
            items=data.get("items") or None,
            note=data.get("note", ""),
        )

    @extend_schema(request=None, responses={200: CycleCountSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """Counting is done (every line needs a counted quantity)."""
        return Response(CycleCountSerializer(services.submit_count(actor=request.user, count=self.get_object())).data)

    @extend_schema(request=None, responses={200: CycleCountSerializer})
    @action(detail=True, methods=["post"], url_path="post", url_name="post")
    def post_variances(self, request: Request, pk: Any = None) -> Response:
        """Post the variances as adjustments (409 when they need approval first)."""
        return Response(CycleCountSerializer(services.post_count(actor=request.user, count=self.get_object())).data)


class CycleCountLineViewSet(TenantCreateListRetrieveViewSet):
    """Lines of counts: created with the count from the books; add one for something unexpected found."""

    queryset = CycleCountLine.objects.select_related("item", "lot", "count")
    plant_field = "count__plant"
    serializer_class = CycleCountLineSerializer
    filterset_fields = ["count", "item", "lot"]
    ordering_fields = ["id"]

    def required_permission(self, request: Any) -> str | None:
        if request.method == "POST":
            return "inventory.change_cyclecount"
        return None

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.add_count_line(
            actor=self.request.user, count=data["count"], item=data["item"], lot=data.get("lot")
        )

    @extend_schema(request=CountInput, responses={200: CycleCountLineSerializer})
    @action(detail=True, methods=["post"])
    def count(self, request: Request, pk: Any = None) -> Response:
        """Enter the quantity found on the shelf."""
        line = self.get_object()
        body = CountInput(data=request.data)
        body.is_valid(raise_exception=True)
        line = services.record_count(
            actor=request.user, line=line, counted_quantity=body.validated_data["counted_quantity"]
        )
        return Response(CycleCountLineSerializer(line).data)


router.register("inventory/locations", LocationViewSet, basename="inventory-location")
router.register("inventory/lots", LotViewSet, basename="inventory-lot")
router.register("inventory/serial-numbers", SerialNumberViewSet, basename="inventory-serialnumber")
router.register("inventory/moves", StockMoveViewSet, basename="inventory-move")
router.register("inventory/balances", StockBalanceViewSet, basename="inventory-balance")
router.register("inventory/reservations", ReservationViewSet, basename="inventory-reservation")
router.register("inventory/cycle-counts", CycleCountViewSet, basename="inventory-cyclecount")
router.register("inventory/cycle-count-lines", CycleCountLineViewSet, basename="inventory-cyclecountline")
