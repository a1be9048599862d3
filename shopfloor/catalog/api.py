"""Catalog API: units of measure, items and their unit conversions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet
from shopfloor.workflows.api import WorkflowActionsMixin

from . import (
    document_api,  # noqa: F401  (registers the document resources)
    selectors,
    services,
)
from .models import QUANTITY, BomLine, BomVersion, Item, ItemUnitConversion, Unit, UnitCategory


class UnitCategorySerializer(TenantModelSerializer):
    class Meta:
        model = UnitCategory
        fields = ["id", "name", "description", "created_at", "updated_at"]


class UnitSerializer(TenantModelSerializer):
    class Meta:
        model = Unit
        fields = [
            "id",
            "category",
            "code",
            "name",
            "factor_numerator",
            "factor_denominator",
            "is_active",
            "created_at",
            "updated_at",
        ]


class ItemSerializer(TenantModelSerializer):
    class Meta:
        model = Item
        fields = [
            "id",
            "number",
            "name",
            "description",
            "item_type",
            "make_or_buy",
            "stock_unit",
            "tracking",
            "revision",
            "status",
            "purchase_lead_time_days",
            "manufacturing_lead_time_days",
            "lot_size_rule",
            "fixed_lot_size",
            "minimum_lot_size",
            "maximum_lot_size",
            "lot_multiple",
            "period_days",
            "safety_stock",
            "reorder_point",
            "minimum_stock",
            "maximum_stock",
            "standard_cost",
            "inspect_on_receipt",
            "custom_fields",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status"]


class ItemUnitConversionSerializer(TenantModelSerializer):
    class Meta:
        model = ItemUnitConversion
        fields = ["id", "item", "unit", "factor_numerator", "factor_denominator", "created_at", "updated_at"]


class ConversionQuerySerializer(StrictSerializerMixin, serializers.Serializer):
    quantity = serializers.DecimalField(**QUANTITY)
    from_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    to_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all(), required=False, allow_null=True)


class ConversionResultSerializer(serializers.Serializer):
    quantity = serializers.DecimalField(**QUANTITY)
    unit = serializers.CharField()


class WhereUsedQuerySerializer(StrictSerializerMixin, serializers.Serializer):
    levels = serializers.ChoiceField(choices=["1", "all"], required=False, default="1")


class UnitCategoryViewSet(TenantModelViewSet):
    queryset = UnitCategory.objects.all()
    serializer_class = UnitCategorySerializer
    search_fields = ["name"]
    ordering_fields = ["name", "id"]


class UnitViewSet(TenantModelViewSet):
    queryset = Unit.objects.select_related("category")
    serializer_class = UnitSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id"]
    filterset_fields = ["category", "is_active"]

    @extend_schema(request=ConversionQuerySerializer, responses={200: ConversionResultSerializer})
    @action(detail=False, methods=["post"])
    def convert(self, request: Any) -> Response:
        """Convert a quantity exactly between units (through an item's own conversions if given)."""
        body = ConversionQuerySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        quantity: Decimal = services.convert(data["quantity"], data["from_unit"], data["to_unit"], data.get("item"))
        return Response({"quantity": str(quantity), "unit": data["to_unit"].code})

    def required_permission(self, request: Any) -> str | None:
        return "catalog.view_unit" if self.action == "convert" else None


class ItemViewSet(WorkflowActionsMixin, TenantModelViewSet):
    queryset = Item.objects.select_related("stock_unit")
    serializer_class = ItemSerializer
    search_fields = ["number", "name", "description"]
    ordering_fields = ["number", "name", "id", "created_at"]
    filterset_fields = ["item_type", "make_or_buy", "tracking", "status", "stock_unit"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_item(actor=self.request.user, data=dict(serializer.validated_data))

    @extend_schema(parameters=[WhereUsedQuerySerializer], responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], url_path="where-used")
    def where_used(self, request: Any, pk: Any = None) -> Response:
        """BOMs using this item: `?levels=all` goes up through released versions to the top."""
        query = WhereUsedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        all_levels = query.validated_data["levels"] == "all"
        return Response(selectors.where_used(self.get_object(), all_levels=all_levels))


class ItemUnitConversionViewSet(TenantModelViewSet):
    queryset = ItemUnitConversion.objects.select_related("item__stock_unit", "unit")
    serializer_class = ItemUnitConversionSerializer
    filterset_fields = ["item", "unit"]
    ordering_fields = ["id"]

    def required_permission(self, request: Any) -> str:
        return "catalog.view_item" if request.method in ("GET", "HEAD", "OPTIONS") else "catalog.change_item"

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.save_item_unit_conversion(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: Any) -> None:
        from shopfloor.core import services as core_services

        serializer.instance = core_services.update_object(
            actor=self.request.user,
            obj=serializer.instance,
            data=dict(serializer.validated_data),
            perm="catalog.change_item",
        )

    def perform_destroy(self, instance: Any) -> None:
        from shopfloor.core import services as core_services

        core_services.delete_object(actor=self.request.user, obj=instance, perm="catalog.change_item")


router.register("catalog/unit-categories", UnitCategoryViewSet, basename="unitcategory")
router.register("catalog/units", UnitViewSet, basename="unit")
router.register("catalog/items", ItemViewSet, basename="item")
router.register("catalog/item-unit-conversions", ItemUnitConversionViewSet, basename="itemunitconversion")


# --- Bills of materials ----------------------------------------------------------------------------


class BomVersionSerializer(TenantModelSerializer):
    item_number = serializers.CharField(source="item.number", read_only=True)

    class Meta:
        model = BomVersion
        fields = [
            "id",
            "item",
            "item_number",
            "version",
            "status",
            "effective_from",
            "effective_to",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "status"]


class BomLineSerializer(TenantModelSerializer):
    class Meta:
        model = BomLine
        fields = [
            "id",
            "version",
            "position",
            "component",
            "quantity",
            "unit",
            "scrap_factor",
            "is_phantom",
            "effective_from",
            "effective_to",
            "reference_designators",
            "notes",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"position": {"required": False}}
        # Range and positivity are the service's to explain, field by field.
        validators: list[Any] = []


class ExplodeQuerySerializer(StrictSerializerMixin, serializers.Serializer):
    quantity = serializers.DecimalField(**QUANTITY, required=False, default=Decimal(1), min_value=Decimal("0.000001"))
    date = serializers.DateField(required=False, allow_null=True, default=None)


class DiffQuerySerializer(StrictSerializerMixin, serializers.Serializer):
    other = serializers.PrimaryKeyRelatedField(queryset=BomVersion.objects.all())


class BomVersionViewSet(WorkflowActionsMixin, TenantModelViewSet):
    """BOM versions: drafts are edited; `release` supersedes the released one; reads explode it."""

    queryset = selectors.bom_versions()
    serializer_class = BomVersionSerializer
    filterset_fields = ["item", "status"]
    search_fields = ["item__number", "item__name", "notes"]
    ordering_fields = ["id", "version", "created_at"]

    def required_permission(self, request: Any) -> str | None:
        if self.action in ("explode", "rollup", "diff"):
            return "catalog.view_bomversion"
        if self.action == "copy":
            return "catalog.add_bomversion"
        if self.action == "release":
            return "catalog.release_bomversion"
        return super().required_permission(request)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.create_bom_version(actor=self.request.user, item=data.pop("item"), data=data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_bom_version(
            actor=self.request.user, version=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_bom_version(actor=self.request.user, version=instance)

    @extend_schema(request=None, responses={200: BomVersionSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request: Any, pk: Any = None) -> Response:
        """Release a draft; the item's previously released version becomes obsolete."""
        version = services.release_bom_version(actor=request.user, version=self.get_object())
        return Response(self.get_serializer(selectors.bom_versions().get(pk=version.pk)).data)

    @extend_schema(request=None, responses={201: BomVersionSerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request: Any, pk: Any = None) -> Response:
        """A new draft version holding this version's lines."""
        version = services.copy_bom_version(actor=request.user, version=self.get_object())
        return Response(self.get_serializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[ExplodeQuerySerializer], responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def explode(self, request: Any, pk: Any = None) -> Response:
        """Indented multi-level explosion of this version's item (released BOMs below it)."""
        version = self.get_object()
        query = ExplodeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.explode_version(
            version, quantity=query.validated_data["quantity"], on=query.validated_data["date"]
        )
        return Response(
            {
                "version": version.pk,
                "item": version.item_id,
                "quantity": str(query.validated_data["quantity"]),
                "date": query.validated_data["date"],
                "rows": [row.as_dict() for row in rows],
            }
        )

    @extend_schema(parameters=[ExplodeQuerySerializer], responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def rollup(self, request: Any, pk: Any = None) -> Response:
        """Costed roll-up: leaves at standard cost x extended quantity, per level and in total."""
        version = self.get_object()
        query = ExplodeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = selectors.rollup_version(
            version, quantity=query.validated_data["quantity"], on=query.validated_data["date"]
        )
        return Response({"version": version.pk, **result.as_dict()})

    @extend_schema(parameters=[DiffQuerySerializer], responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def diff(self, request: Any, pk: Any = None) -> Response:
        """Lines added, removed and changed from `?other=<id>` (the old one) to this version."""
        version = self.get_object()
        query = DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.diff(query.validated_data["other"], version))


class BomLineViewSet(TenantModelViewSet):
    """Lines of BOM versions; writes are refused (409) once the version is released."""

    queryset = selectors.bom_lines()
    serializer_class = BomLineSerializer
    filterset_fields = ["version", "component", "is_phantom"]
    ordering_fields = ["position", "id"]

    def required_permission(self, request: Any) -> str:
        return (
            "catalog.view_bomversion" if request.method in ("GET", "HEAD", "OPTIONS") else "catalog.change_bomversion"
        )

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.save_bom_line(actor=self.request.user, version=data.pop("version"), data=data)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        line = serializer.instance
        if "version" in data and data.pop("version").pk != line.version_id:
            raise ValidationError({"version": ["A line stays in its BOM version."]})
        serializer.instance = services.save_bom_line(
            actor=self.request.user, version=line.version, data=data, line=line
        )

    def perform_destroy(self, instance: Any) -> None:
        services.delete_bom_line(actor=self.request.user, line=instance)


router.register("catalog/bom-versions", BomVersionViewSet, basename="bomversion")
router.register("catalog/bom-lines", BomLineViewSet, basename="bomline")
