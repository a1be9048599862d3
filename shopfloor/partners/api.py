"""Partners API: customers, their contacts, rigs and wells; suppliers and their approval.

Numbers are issued by the services (read-only here); a supplier's approval status changes
through the `set-approval` action, which records who and why."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from shopfloor.core.api.router import router
from shopfloor.core.api.serializers import StrictSerializerMixin, TenantModelSerializer
from shopfloor.core.api.viewsets import TenantModelViewSet

from . import selectors, services
from .models import Contact, Customer, Rig, Supplier, Well


class CustomerSerializer(TenantModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "number",
            "name",
            "email",
            "phone",
            "address",
            "notes",
            "is_active",
            "custom_fields",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number"]


class SupplierSerializer(TenantModelSerializer):
    class Meta:
        model = Supplier
        fields = [
            "id",
            "number",
            "name",
            "approval_status",
            "approval_note",
            "email",
            "phone",
            "address",
            "currency",
            "lead_time_days",
            "notes",
            "is_active",
            "custom_fields",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["number"]


class ContactSerializer(TenantModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "supplier",
            "name",
            "title",
            "email",
            "phone",
            "is_primary",
            "created_at",
            "updated_at",
        ]


class RigSerializer(TenantModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)

    class Meta:
        model = Rig
        fields = [
            "id",
            "customer",
            "customer_number",
            "name",
            "contractor",
            "rig_type",
            "is_active",
            "created_at",
            "updated_at",
        ]


class WellSerializer(TenantModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    # A method, not `source="rig.name"` with a default: DRF skips defaults on PATCH, which would
    # drop the key from the answer for a well without a rig.
    rig_name = serializers.SerializerMethodField()

    class Meta:
        model = Well
        fields = [
            "id",
            "customer",
            "customer_number",
            "rig",
            "rig_name",
            "name",
            "field",
            "operator",
            "latitude",
            "longitude",
            "planned_depth",
            "is_active",
            "created_at",
            "updated_at",
        ]

    def get_rig_name(self, obj: Well) -> str | None:
        return obj.rig.name if obj.rig_id else None


class ApprovalInput(StrictSerializerMixin, serializers.Serializer):
    approval_status = serializers.ChoiceField(choices=Supplier.ApprovalStatus.choices)
    approval_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CustomerViewSet(TenantModelViewSet):
    queryset = selectors.customers()
    serializer_class = CustomerSerializer
    search_fields = ["number", "name", "email"]
    ordering_fields = ["number", "name", "id"]
    filterset_fields = ["is_active"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_customer(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_customer(
            actor=self.request.user, customer=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Customer) -> None:
        services.delete_customer(actor=self.request.user, customer=instance)


class SupplierViewSet(TenantModelViewSet):
    queryset = selectors.suppliers()
    serializer_class = SupplierSerializer
    search_fields = ["number", "name", "email"]
    ordering_fields = ["number", "name", "id"]
    filterset_fields = ["is_active", "approval_status"]

    def required_permission(self, request: Any) -> str | None:
        if self.action == "set_approval":
            return "partners.approve_supplier"
        return None

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_supplier(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_supplier(
            actor=self.request.user, supplier=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Supplier) -> None:
        services.delete_supplier(actor=self.request.user, supplier=instance)

    @extend_schema(request=ApprovalInput, responses={200: SupplierSerializer})
    @action(detail=True, methods=["post"], url_path="set-approval")
    def set_approval(self, request: Request, pk: Any = None) -> Response:
        """Approve, conditionally approve or block the supplier (a reason is needed unless approved)."""
        supplier = self.get_object()
        body = ApprovalInput(data=request.data)
        body.is_valid(raise_exception=True)
        supplier = services.set_supplier_approval(
            actor=request.user,
            supplier=supplier,
            status=body.validated_data["approval_status"],
            note=body.validated_data.get("approval_note", ""),
        )
        return Response(SupplierSerializer(supplier).data)


class ContactViewSet(TenantModelViewSet):
    queryset = selectors.contacts()
    serializer_class = ContactSerializer
    search_fields = ["name", "email", "title"]
    ordering_fields = ["name", "id"]
    filterset_fields = ["customer", "supplier", "is_primary"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_contact(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_contact(
            actor=self.request.user, contact=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Contact) -> None:
        services.delete_contact(actor=self.request.user, contact=instance)


class RigViewSet(TenantModelViewSet):
    queryset = selectors.rigs()
    serializer_class = RigSerializer
    search_fields = ["name", "contractor"]
    ordering_fields = ["name", "id"]
    filterset_fields = ["customer", "rig_type", "is_active"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_rig(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_rig(
            actor=self.request.user, rig=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Rig) -> None:
        services.delete_rig(actor=self.request.user, rig=instance)


class WellViewSet(TenantModelViewSet):
    queryset = selectors.wells()
    serializer_class = WellSerializer
    search_fields = ["name", "field", "operator"]
    ordering_fields = ["name", "id"]
    filterset_fields = ["customer", "rig", "field", "is_active"]

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_well(actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_well(
            actor=self.request.user, well=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: Well) -> None:
        services.delete_well(actor=self.request.user, well=instance)


router.register("partners/customers", CustomerViewSet, basename="partners-customer")
router.register("partners/suppliers", SupplierViewSet, basename="partners-supplier")
router.register("partners/contacts", ContactViewSet, basename="partners-contact")
router.register("partners/rigs", RigViewSet, basename="partners-rig")
router.register("partners/wells", WellViewSet, basename="partners-well")
