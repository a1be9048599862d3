"""Catalog API: units of measure, items and their unit conversions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet
from shopfloor.workflows.api import WorkflowActionsMixin

from . import services
from .models import QUANTITY, Item, ItemUnitConversion, Unit, UnitCategory


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
