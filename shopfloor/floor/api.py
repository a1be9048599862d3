"""Shop floor API: labels for lots, serial numbers and locations, and work order travellers.

Each label resource lists what it would print (the scan code, the text) and answers
`GET .../{id}/pdf/` with the label as a PDF sized for the printer (`?size=100x50` or `62x29`),
and `GET .../batch-pdf/` with one page per row of the filtered list (a shelf of bins at once).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request

from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin
from shopfloor.core.api.viewsets import TenantReadOnlyViewSet

from . import codes, labels, selectors, traveller

PDF = {(200, "application/pdf"): OpenApiTypes.BINARY}


class PdfNegotiation(DefaultContentNegotiation):
    """The PDF is a plain Django response; the JSON renderer only shapes an error.

    Without this, a client sending `Accept: application/pdf` (the natural thing) would get a 406.
    """

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        renderer = renderers[0]
        return renderer, renderer.media_type


class LabelOptions(StrictSerializerMixin, serializers.Serializer):
    size = serializers.ChoiceField(choices=list(labels.SIZES), default=labels.DEFAULT_SIZE)
    barcode = serializers.BooleanField(default=True, help_text="Add a Code 128 of the number where it fits.")
    copies = serializers.IntegerField(min_value=1, max_value=50, default=1)


OPTION_PARAMETERS = [
    OpenApiParameter("size", str, enum=list(labels.SIZES), description="Label stock in mm (default 100x50)."),
    OpenApiParameter("barcode", bool, description="Add a Code 128 of the number where it fits (default true)."),
    OpenApiParameter("copies", int, description="Copies of each label, 1 to 50."),
]


class LabelSerializer(serializers.Serializer):
    """What a label shows (the same text the PDF carries)."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True, help_text="The QR payload, as the terminal reads it back.")
    title = serializers.CharField(read_only=True)
    lines = serializers.ListField(child=serializers.CharField(), read_only=True)
    barcode = serializers.CharField(read_only=True, help_text="The Code 128 text.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        label = labels.label_for(instance)
        return {
            "id": instance.pk,
            "code": label.code,
            "title": label.title,
            "lines": list(label.lines),
            "barcode": label.barcode,
        }


def pdf_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class _LabelViewSet(TenantReadOnlyViewSet):
    serializer_class = LabelSerializer
    content_negotiation_class = PdfNegotiation
    kind = ""

    def _options(self, request: Request) -> dict[str, Any]:
        body = LabelOptions(data={k: v for k, v in request.query_params.items() if k in LabelOptions().fields})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["size"] = labels.SIZES[data["size"]]
        return data

    @extend_schema(parameters=OPTION_PARAMETERS, responses=PDF)
    @action(detail=True, methods=["get"], url_path="pdf", url_name="pdf", pagination_class=None)
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        """The label as a PDF page of the chosen size."""
        obj = self.get_object()
        options = self._options(request)
        body = labels.render([labels.label_for(obj)], **options)
        return pdf_response(body, f"{self.kind}-{obj.pk}-{options['size'].name}.pdf")

    @extend_schema(parameters=OPTION_PARAMETERS, responses=PDF)
    @action(detail=False, methods=["get"], url_path="batch-pdf", url_name="batch-pdf", pagination_class=None)
    def batch_pdf(self, request: Request) -> HttpResponse:
        """Every label of the filtered list (at most 500) in one PDF, one page each."""
        options = self._options(request)
        rows = list(self.filter_queryset(self.get_queryset())[: labels.MAX_LABELS + 1])
        body = labels.render([labels.label_for(obj) for obj in rows], **options)
        return pdf_response(body, f"{self.kind}-labels-{options['size'].name}.pdf")


class LotLabelViewSet(_LabelViewSet):
    """Labels of lots: `LOT:<item>:<lot>`."""

    queryset = selectors.lots()
    filterset_fields = ["item", "expires_on"]
    search_fields = ["number", "item__number"]
    ordering_fields = ["id", "number"]
    kind = "lot"


class SerialLabelViewSet(_LabelViewSet):
    """Labels of serial numbers: `SN:<item>:<serial>`."""

    queryset = selectors.serial_numbers()
    filterset_fields = ["item", "lot", "status"]
    search_fields = ["serial", "item__number"]
    ordering_fields = ["id", "serial"]
    kind = "serial"


class LocationLabelViewSet(_LabelViewSet):
    """Labels of locations (bins, racks, docks): `LOC:<plant>:<location>`."""

    queryset = selectors.locations()
    plant_field = "plant"
    filterset_fields = ["plant", "parent", "location_type", "is_active"]
    search_fields = ["code", "name"]
    ordering_fields = ["id", "code"]
    kind = "location"


class TravellerOperationSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(read_only=True)
    description = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True, help_text="The QR payload printed for the operation.")


class TravellerSerializer(serializers.Serializer):
    """The codes a work order's traveller carries: the order's and one per operation."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True)
    item_number = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    operations = TravellerOperationSerializer(many=True, read_only=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "number": instance.number,
            "code": codes.work_order_code(instance.number),
            "item_number": instance.item.number,
            "status": instance.status,
            "operations": [
                {
                    "sequence": op.sequence,
                    "description": op.description,
                    "status": op.status,
                    "code": codes.operation_code(instance.number, op.sequence),
                }
                for op in sorted(instance.operations.all(), key=lambda o: o.sequence)
            ],
        }


class TravellerViewSet(TenantReadOnlyViewSet):
    """Work order travellers: the scan codes (JSON) and the A4 PDF with a QR per operation."""

    queryset = selectors.work_orders().prefetch_related("operations")
    plant_field = "plant"
    serializer_class = TravellerSerializer
    content_negotiation_class = PdfNegotiation
    filterset_fields = ["status", "plant", "item"]
    search_fields = ["number", "item__number"]
    ordering_fields = ["id", "number", "due_date"]

    @extend_schema(responses=PDF)
    @action(detail=True, methods=["get"], url_path="pdf", url_name="pdf", pagination_class=None)
    def pdf(self, request: Request, pk: Any = None) -> HttpResponse:
        """The traveller as an A4 PDF."""
        work_order = self.get_object()
        return pdf_response(traveller.render(work_order), f"traveller-{work_order.number}.pdf")


router.register("floor/lot-labels", LotLabelViewSet, basename="floor-lotlabel")
router.register("floor/serial-labels", SerialLabelViewSet, basename="floor-seriallabel")
router.register("floor/location-labels", LocationLabelViewSet, basename="floor-locationlabel")
router.register("floor/travellers", TravellerViewSet, basename="floor-traveller")
