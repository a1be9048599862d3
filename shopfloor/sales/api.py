"""Sales API: orders (with their lines, workflow and actions confirm, cancel, close, ship, atp)
and order lines (ship, atp). Every action calls a service; the shared viewset base answers a
retried `Idempotency-Key` POST (order creation, shipping) with the first response."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shopfloor.catalog.models import QUANTITY, Unit
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet
from shopfloor.inventory.models import Location, Lot, SerialNumber
from shopfloor.workflows.api import WorkflowActionsMixin

from . import atp, selectors, services
from .defaults import CLOSE, CONFIRM, SHIP, START_PRODUCTION
from .models import SalesOrder, SalesOrderLine

AMOUNT = {"max_digits": 40, "decimal_places": 6}

# --- Serializers ----------------------------------------------------------------------------------------


class _LineFieldsMixin(serializers.Serializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, help_text="Default: the item's stock unit."
    )
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    stock_unit = serializers.CharField(source="item.stock_unit.code", read_only=True)
    amount = serializers.DecimalField(**AMOUNT, read_only=True)
    open_quantity = serializers.DecimalField(**QUANTITY, read_only=True)
    position = serializers.IntegerField(
        min_value=1, max_value=999_999, required=False, help_text="Default: after the last line."
    )


LINE_FIELDS = [
    "id",
    "position",
    "item",
    "item_number",
    "quantity",
    "unit",
    "unit_code",
    "unit_price",
    "amount",
    "due_date",
    "notes",
    "stock_unit",
    "stock_quantity",
    "reserved_quantity",
    "shipped_quantity",
    "open_quantity",
    "status",
]
LINE_READ_ONLY = ["stock_quantity", "reserved_quantity", "shipped_quantity", "status"]


class SalesOrderLineNestedSerializer(StrictSerializerMixin, _LineFieldsMixin, serializers.ModelSerializer):
    """A line inside its order: given with the order on creation, shown with it afterwards."""

    # A plain string here: the line status enum is documented once, on SalesOrderLine.
    status = serializers.CharField(read_only=True)

    class Meta:
        model = SalesOrderLine
        fields = LINE_FIELDS
        read_only_fields = LINE_READ_ONLY
        validators: list[Any] = []


class SalesOrderLineSerializer(_LineFieldsMixin, TenantModelSerializer):
    order = serializers.PrimaryKeyRelatedField(queryset=SalesOrder.objects.all())
    order_number = serializers.CharField(source="order.number", read_only=True)

    class Meta:
        model = SalesOrderLine
        fields = ["id", "order", "order_number", *LINE_FIELDS[1:], "created_at", "updated_at"]
        read_only_fields = LINE_READ_ONLY
        validators: list[Any] = []


class SalesOrderSerializer(TenantModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    lines = SalesOrderLineNestedSerializer(
        many=True, required=False, help_text="Lines created with the order; afterwards through /sales/order-lines/."
    )
    total_amount = serializers.SerializerMethodField()

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "number",
            "plant",
            "customer",
            "customer_number",
            "customer_name",
            "rig",
            "well",
            "customer_reference",
            "order_date",
            "currency",
            "notes",
            "status",
            "lines",
            "total_amount",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "status"]

    @extend_schema_field(serializers.DecimalField(**AMOUNT))
    def get_total_amount(self, obj: SalesOrder) -> str:
        total = sum((line.amount for line in obj.lines.all()), 0)
        return serializers.DecimalField(**AMOUNT).to_representation(total)

    def validate_lines(self, value: list[Any]) -> list[Any]:
        if self.instance is not None:
            raise serializers.ValidationError("Change lines through /api/v1/sales/order-lines/.")
        return value


class SalesCommentInput(StrictSerializerMixin, serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class SalesReasonInput(StrictSerializerMixin, serializers.Serializer):
    comment = serializers.CharField(max_length=2000, help_text="Why (kept in the order's history).")


class SalesShipLineInput(StrictSerializerMixin, serializers.Serializer):
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), help_text="Where it ships from.")
    quantity = serializers.DecimalField(**QUANTITY, help_text="In the item's stock unit.")
    lot = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), required=False, allow_null=True)
    serials = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        max_length=1000,
        help_text="Serial numbers shipped (one per unit) for serial-numbered items.",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SalesPromiseSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    position = serializers.IntegerField()
    item = serializers.IntegerField()
    due_date = serializers.DateField()
    atp_date = serializers.DateField(allow_null=True)
    late = serializers.BooleanField()
    basis = serializers.CharField()
    needed = serializers.DecimalField(**QUANTITY)
    reserved = serializers.DecimalField(**QUANTITY)
    explanation = serializers.CharField()


def _promise(line: SalesOrderLine, promise: atp.Promise) -> dict[str, Any]:
    return {
        "line": line.pk,
        "position": line.position,
        "item": line.item_id,
        "due_date": line.due_date,
        "atp_date": promise.date,
        "late": promise.late_for(line.due_date),
        "basis": promise.basis,
        "needed": promise.needed,
        "reserved": promise.reserved,
        "explanation": promise.explanation,
    }


def _key(request: Request) -> str:
    """The caller's Idempotency-Key, made the caller's own for the ledger's organization-wide keys."""
    key = request.headers.get("Idempotency-Key", "")
    return f"u{request.user.pk}:{key[:64]}" if key else ""


# --- Viewsets ----------------------------------------------------------------------------------------------

_LINES = Prefetch("lines", queryset=SalesOrderLine.objects.select_related("item__stock_unit", "unit"))


class SalesOrderViewSet(WorkflowActionsMixin, TenantModelViewSet):
    """Sales orders. Confirm reserves stock, cancel and close release it, ship issues what is reserved."""

    plant_field = "plant"
    queryset = selectors.orders().prefetch_related(_LINES)
    serializer_class = SalesOrderSerializer
    filterset_fields = ["status", "customer", "plant", "rig", "well"]
    search_fields = ["number", "customer_reference", "customer__name", "customer__number"]
    ordering_fields = ["id", "number", "order_date"]

    ACTION_PERMISSIONS = {
        "confirm": CONFIRM,
        "cancel": CLOSE,
        "close": CLOSE,
        "ship": SHIP,
        "start_production": START_PRODUCTION,
    }

    def required_permission(self, request: Any) -> str | None:
        return self.ACTION_PERMISSIONS.get(getattr(self, "action", ""), None) or super().required_permission(request)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_order(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_order(
            actor=self.request.user, order=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: SalesOrder) -> None:
        services.delete_order(actor=self.request.user, order=instance)

    def _answer(self, order: SalesOrder) -> Response:
        return Response(SalesOrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    def _comment(self, serializer_class: type[serializers.Serializer]) -> str:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("comment", "")

    @extend_schema(request=SalesCommentInput, responses={200: SalesOrderSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        """Confirm the order: reserve free stock for each line; the rest stays open for production (409 when
        the order has no lines or an item is not active)."""
        order = self.get_object()
        return self._answer(services.confirm(actor=request.user, order=order, comment=self._comment(SalesCommentInput)))

    @extend_schema(request=SalesCommentInput, responses={200: SalesOrderSerializer})
    @action(detail=True, methods=["post"], url_path="start-production", url_name="start-production")
    def start_production(self, request: Request, pk: Any = None) -> Response:
        """Mark a confirmed order as in production."""
        order = self.get_object()
        comment = self._comment(SalesCommentInput)
        return self._answer(services.start_production(actor=request.user, order=order, comment=comment))

    @extend_schema(request=SalesReasonInput, responses={200: SalesOrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """Cancel an order nothing of which has shipped (a comment says why); reservations are released."""
        order = self.get_object()
        return self._answer(services.cancel(actor=request.user, order=order, comment=self._comment(SalesReasonInput)))

    @extend_schema(request=SalesCommentInput, responses={200: SalesOrderSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """Close a shipped order, or close a partially shipped one short (a comment says why)."""
        order = self.get_object()
        return self._answer(services.close(actor=request.user, order=order, comment=self._comment(SalesCommentInput)))

    @extend_schema(request=None, responses={200: SalesOrderSerializer})
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: Any = None) -> Response:
        """Ship everything reserved for the order from where it is reserved (serials picked in order)."""
        order = self.get_object()
        return self._answer(services.ship_order(actor=request.user, order=order, idempotency_key=_key(request)))

    @extend_schema(responses={200: SalesPromiseSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def atp(self, request: Request, pk: Any = None) -> Response:
        """Available-to-promise date of each line: reserved stock, free stock, expected receipts, lead time."""
        order = self.get_object()
        promises = atp.for_order(order)
        rows = [_promise(line, promises[line.pk]) for line in selectors.lines_of(order)]
        return Response(SalesPromiseSerializer(rows, many=True).data)


class SalesOrderLineViewSet(TenantModelViewSet):
    """Lines of orders: added, changed and removed while the order is a draft; shipped once confirmed."""

    plant_field = "order__plant"
    queryset = selectors.lines()
    serializer_class = SalesOrderLineSerializer
    filterset_fields = ["order", "item", "status", "due_date"]
    search_fields = ["order__number", "item__number"]
    ordering_fields = ["id", "due_date", "position"]

    def required_permission(self, request: Any) -> str | None:
        if getattr(self, "action", "") == "ship":
            return SHIP
        return None

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        order = data.pop("order")
        serializer.instance = services.add_line(actor=self.request.user, order=order, data=data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_line(
            actor=self.request.user, line=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: SalesOrderLine) -> None:
        services.delete_line(actor=self.request.user, line=instance)

    @extend_schema(request=SalesShipLineInput, responses={200: SalesOrderLineSerializer})
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: Any = None) -> Response:
        """Ship a quantity of the line from a location: the line's reservation there is consumed first.
        400 when it is more than is left on the line, 409 when the stock is not there."""
        line = self.get_object()
        body = SalesShipLineInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        serials = []
        for text in data.get("serials", []):
            found = SerialNumber.objects.filter(item_id=line.item_id, serial=text.strip()).first()
            if found is None:
                raise serializers.ValidationError({"serials": [f"{line.item.number} has no serial number '{text}'."]})
            serials.append(found)
        line = services.ship_line(
            actor=request.user,
            line=line,
            quantity=data["quantity"],
            location=data["location"],
            lot=data.get("lot"),
            serials=serials,
            note=data.get("note", ""),
            idempotency_key=_key(request),
        )
        return Response(SalesOrderLineSerializer(line).data)

    @extend_schema(responses={200: SalesPromiseSerializer}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def atp(self, request: Request, pk: Any = None) -> Response:
        """Available-to-promise date of the line."""
        line = self.get_object()
        return Response(SalesPromiseSerializer(_promise(line, atp.for_line(line))).data)


router.register("sales/orders", SalesOrderViewSet, basename="sales-order")
router.register("sales/order-lines", SalesOrderLineViewSet, basename="sales-orderline")
