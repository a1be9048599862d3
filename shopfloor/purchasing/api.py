"""Purchasing API: purchase orders with their lines and workflow actions (submit, approve,
reject, send, receive, close, cancel), receipts and receipt lines (read-only: a receipt is
posted through the order's `receive` action, which honours `Idempotency-Key`), and the
organization's purchasing settings (approval threshold, receipt tolerance)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from shopfloor.catalog.models import QUANTITY
from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet
from shopfloor.inventory.models import Location
from shopfloor.workflows.api import WorkflowActionsMixin

from . import document, selectors, services
from .models import PurchaseOrder, PurchaseOrderLine, PurchasingSettings, Receipt, ReceiptLine


class PdfNegotiation(DefaultContentNegotiation):
    """The PDF is a plain Django response; the JSON renderer only shapes an error, so a client
    sending `Accept: application/pdf` gets the PDF, not a 406."""

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        renderer = renderers[0]
        return renderer, renderer.media_type


def pdf_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- Serializers --------------------------------------------------------------------------------------


class PurchasingSettingsSerializer(TenantModelSerializer):
    # Until an administrator saves the rules, the defaults are shown from an unsaved row.
    id = serializers.IntegerField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = PurchasingSettings
        fields = ["id", "approval_threshold", "receipt_tolerance_percent", "updated_at"]


class PurchaseOrderLineSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    amount = serializers.DecimalField(max_digits=40, decimal_places=12, read_only=True)
    open_quantity = serializers.DecimalField(**QUANTITY, read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "order",
            "position",
            "item",
            "item_number",
            "description",
            "quantity",
            "unit",
            "unit_code",
            "unit_price",
            "amount",
            "due_date",
            "received_quantity",
            "open_quantity",
            "over_receipt_tolerance_percent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["position", "received_quantity"]
        extra_kwargs = {"unit": {"required": False}, "unit_price": {"required": False}}


class PurchaseOrderSerializer(TenantModelSerializer):
    supplier_number = serializers.CharField(source="supplier.number", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    total = serializers.DecimalField(max_digits=40, decimal_places=12, read_only=True)
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "plant",
            "supplier",
            "supplier_number",
            "supplier_name",
            "status",
            "order_date",
            "expected_date",
            "currency",
            "supplier_reference",
            "notes",
            "total",
            "sent_at",
            "lines",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number", "status", "sent_at", "created_by"]
        extra_kwargs = {"currency": {"required": False}}


class ReceiptLineSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    lot_number = serializers.CharField(source="lot.number", read_only=True, default=None, allow_null=True)
    serial_number = serializers.CharField(source="serial.serial", read_only=True, default=None, allow_null=True)
    location_code = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = ReceiptLine
        fields = [
            "id",
            "receipt",
            "order_line",
            "item",
            "item_number",
            "quantity",
            "unit",
            "unit_code",
            "lot",
            "lot_number",
            "serial",
            "serial_number",
            "location",
            "location_code",
            "quarantined",
            "stock_move",
            "created_at",
        ]
        read_only_fields = fields


class ReceiptSerializer(TenantModelSerializer):
    purchase_order_number = serializers.CharField(source="purchase_order.number", read_only=True)
    supplier_number = serializers.CharField(source="supplier.number", read_only=True)
    lines = ReceiptLineSerializer(many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "number",
            "plant",
            "purchase_order",
            "purchase_order_number",
            "supplier",
            "supplier_number",
            "received_at",
            "delivery_note",
            "note",
            "lines",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class PurchaseOrderCommentInput(StrictSerializerMixin, serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PurchaseReceiptLineInput(StrictSerializerMixin, serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(**QUANTITY)
    lot_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    supplier_lot = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    serials = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, default=list, max_length=10000
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Default: the plant's receiving location (quarantine for items inspected on receipt).",
    )


class PurchaseReceiptInput(StrictSerializerMixin, serializers.Serializer):
    lines = PurchaseReceiptLineInput(many=True, allow_empty=False)
    delivery_note = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


# --- Viewsets ---------------------------------------------------------------------------------------


_ORDER = {200: PurchaseOrderSerializer}
_IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a receipt safely: the same key answers with the receipt first posted.",
)


class PurchaseOrderViewSet(WorkflowActionsMixin, TenantModelViewSet):
    """Orders to suppliers. Header fields change while a draft; lines through purchase-order-lines."""

    plant_field = "plant"
    queryset = selectors.purchase_orders().prefetch_related("lines__item", "lines__unit")
    serializer_class = PurchaseOrderSerializer
    search_fields = ["number", "supplier__name", "supplier__number", "supplier_reference"]
    ordering_fields = ["id", "number", "order_date", "expected_date"]
    filterset_fields = ["plant", "supplier", "status"]

    def required_permission(self, request: Any) -> str | None:
        perms = {
            "submit": "purchasing.change_purchaseorder",
            "return_to_draft": "purchasing.change_purchaseorder",
            "close": "purchasing.change_purchaseorder",
            "cancel": "purchasing.change_purchaseorder",
            "approve": "purchasing.approve_purchaseorder",
            "reject": "purchasing.approve_purchaseorder",
            "send": "purchasing.send_purchaseorder",
            "receive": "purchasing.add_receipt",
        }
        if getattr(self, "action", "") == "rules":
            verb = "view" if request.method in ("GET", "HEAD", "OPTIONS") else "change"
            return f"purchasing.{verb}_purchasingsettings"
        return perms.get(getattr(self, "action", "") or "") or super().required_permission(request)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: PurchasingSettingsSerializer},
        operation_id="purchasing_rules_retrieve",
    )
    @extend_schema(
        methods=["PATCH"],
        request=PurchasingSettingsSerializer,
        responses={200: PurchasingSettingsSerializer},
        operation_id="purchasing_rules_partial_update",
    )
    @action(detail=False, methods=["get", "patch"], pagination_class=None, filter_backends=[])
    def rules(self, request: Request) -> Response:
        """The organization's approval threshold and receipt tolerance (defaults until first changed)."""
        current = selectors.settings_for_organization()
        if request.method == "PATCH":
            body = PurchasingSettingsSerializer(current if current.pk else None, data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            current = services.update_settings(actor=request.user, data=dict(body.validated_data))
        return Response(PurchasingSettingsSerializer(current).data)

    def perform_create(self, serializer: Any) -> None:
        order = services.create_purchase_order(actor=self.request.user, data=dict(serializer.validated_data))
        serializer.instance = self.get_queryset().get(pk=order.pk)

    def perform_update(self, serializer: Any) -> None:
        order = services.update_purchase_order(
            actor=self.request.user, order=serializer.instance, data=dict(serializer.validated_data)
        )
        serializer.instance = self.get_queryset().get(pk=order.pk)

    def perform_destroy(self, instance: PurchaseOrder) -> None:
        services.delete_purchase_order(actor=self.request.user, order=instance)

    def _comment(self) -> str:
        body = PurchaseOrderCommentInput(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("comment", "")

    def _answer(self, order: PurchaseOrder) -> Response:
        return Response(PurchaseOrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        url_path="pdf",
        url_name="pdf",
        pagination_class=None,
        content_negotiation_class=PdfNegotiation,
    )
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        """The order as the supplier gets it: an A4 PDF (lines, totals, approval status, page numbers)."""
        order = self.get_object()
        return pdf_response(document.render(order), f"{order.number}.pdf")

    @extend_schema(request=PurchaseOrderCommentInput, responses=_ORDER)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """Approved at once within the approval threshold; else pending approval."""
        order = self.get_object()
        return self._answer(services.submit(actor=request.user, order=order, comment=self._comment()))

    @extend_schema(request=PurchaseOrderCommentInput, responses=_ORDER)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """Give one approval (not to one's own order); the last one needed approves it."""
        order = self.get_object()
        return self._answer(services.approve(actor=request.user, order=order, comment=self._comment()))

    @extend_schema(request=PurchaseOrderCommentInput, responses=_ORDER)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        """Refuse approval with a reason; the order goes back to draft."""
        order = self.get_object()
        return self._answer(services.reject(actor=request.user, order=order, comment=self._comment()))

    @extend_schema(request=PurchaseOrderCommentInput, responses=_ORDER)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: Any = None) -> Response:
        """The approved order goes to the supplier."""
        order = self.get_object()
        return self._answer(services.send(actor=request.user, order=order, comment=self._comment()))

    @extend_schema(request=PurchaseOrderCommentInput, responses=_ORDER)
    @action(detail=True, methods=["post"], url_path="return-to-draft")
    def return_to_draft(self, request: Request, pk: Any = None) -> Response:
        """Back to draft for changes (a reason is needed)."""
        order = self.get_object()
        return self._answer(services.return_to_draft(actor=request.user, order=order, comment=self._comment()))

    @extend_schema(request=PurchaseOrderCommentInput, responses=_ORDER)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """Close a received order, or a partially received one short (with a reason)."""
        order = self.get_object()
        return self._answer(services.close(actor=request.user, order=order, comment=self._comment()))

    @extend_schema(request=PurchaseOrderCommentInput, responses=_ORDER)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """Cancel an order nothing was received against (a reason is needed)."""
        order = self.get_object()
        return self._answer(services.cancel(actor=request.user, order=order, comment=self._comment()))

    @extend_schema(request=PurchaseReceiptInput, responses={201: ReceiptSerializer}, parameters=[_IDEMPOTENCY])
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: Any = None) -> Response:
        """Post a delivery: each line an order line and a quantity in its unit, with the lot
        number or the serials; over the tolerance, or a serial that exists, is a 400 and nothing posts."""
        order = self.get_object()
        body = PurchaseReceiptInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        key = request.headers.get("Idempotency-Key", "")
        receipt = services.receive(
            actor=request.user,
            order=order,
            lines=[dict(line) for line in data["lines"]],
            delivery_note=data.get("delivery_note", ""),
            note=data.get("note", ""),
            received_at=data.get("received_at"),
            idempotency_key=hashlib.sha256(f"{request.user.pk}:{key}".encode()).hexdigest() if key else "",
        )
        receipt = selectors.receipts().prefetch_related(*_RECEIPT_PREFETCH).get(pk=receipt.pk)
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)


class PurchaseOrderLineViewSet(TenantModelViewSet):
    """Lines of orders: added, changed and removed while their order is a draft (409 after)."""

    plant_field = "order__plant"
    queryset = selectors.order_lines()
    serializer_class = PurchaseOrderLineSerializer
    ordering_fields = ["id", "position", "due_date"]
    filterset_fields = ["order", "item", "due_date"]
    search_fields = ["item__number", "description"]

    def required_permission(self, request: Any) -> str | None:
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            return "purchasing.change_purchaseorder"
        return None

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        order = data.pop("order")
        serializer.instance = services.add_line(actor=self.request.user, order=order, data=data)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        order = data.pop("order", None)
        if order is not None and order.pk != serializer.instance.order_id:
            raise ApiValidationError({"order": ["A line stays on its order."]})
        serializer.instance = services.update_line(actor=self.request.user, line=serializer.instance, data=data)

    def perform_destroy(self, instance: PurchaseOrderLine) -> None:
        services.remove_line(actor=self.request.user, line=instance)


_RECEIPT_PREFETCH = ("lines__item", "lines__unit", "lines__lot", "lines__serial", "lines__location")


class ReceiptViewSet(TenantReadOnlyViewSet):
    """Posted receipts (immutable); filter by supplier for supplier quality."""

    plant_field = "plant"
    queryset = selectors.receipts().prefetch_related(*_RECEIPT_PREFETCH)
    serializer_class = ReceiptSerializer
    search_fields = ["number", "delivery_note", "purchase_order__number", "supplier__name"]
    ordering_fields = ["id", "received_at"]
    filterset_fields = ["supplier", "purchase_order", "plant"]


class ReceiptLineViewSet(TenantReadOnlyViewSet):
    """Received lines with their lots, serials and where they went (quarantined or not)."""

    plant_field = "receipt__plant"
    queryset = selectors.receipt_lines()
    serializer_class = ReceiptLineSerializer
    ordering_fields = ["id"]
    filterset_fields = ["receipt", "receipt__supplier", "order_line", "item", "lot", "serial", "quarantined"]
    search_fields = ["item__number", "lot__number", "serial__serial"]


router.register("purchasing/purchase-orders", PurchaseOrderViewSet, basename="purchasing-purchaseorder")
router.register("purchasing/purchase-order-lines", PurchaseOrderLineViewSet, basename="purchasing-purchaseorderline")
router.register("purchasing/receipts", ReceiptViewSet, basename="purchasing-receipt")
router.register("purchasing/receipt-lines", ReceiptLineViewSet, basename="purchasing-receiptline")
