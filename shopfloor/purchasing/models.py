"""Purchasing: purchase orders to suppliers, their approval, and the receipts against them.

A purchase order (PO-000123) is drafted with lines, submitted (straight to approved when its
value is within the organization's approval threshold, else to pending approval where it
waits for approvers), sent to the supplier, and received, in one or several receipts
(RCV-000045). Each receipt line posts a stock move through the inventory ledger, to the
plant's receiving location, or to quarantine when the item is inspected on receipt; a line
may be over-received only within a tolerance.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopfloor.catalog.models import MONEY, QUANTITY
from shopfloor.core.models import PlantModel, TenantModel

PERCENT = {"max_digits": 6, "decimal_places": 2}


class PurchasingSettings(TenantModel):
    """The organization's purchasing rules: when an order needs approval, how much over-receipt is tolerated."""

    approval_threshold = models.DecimalField(
        **MONEY,
        default=Decimal("5000"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Orders worth more than this (in their currency) need approval before they are sent.",
    )
    receipt_tolerance_percent = models.DecimalField(
        **PERCENT,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="How much more than ordered a line may receive, in percent (a line may set its own).",
    )

    class Meta(TenantModel.Meta):
        verbose_name = "purchasing settings"
        verbose_name_plural = "purchasing settings"
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="purchasing_settings_one_per_organization"),
            models.CheckConstraint(condition=Q(approval_threshold__gte=0), name="purchasing_threshold_not_negative"),
            models.CheckConstraint(
                condition=Q(receipt_tolerance_percent__gte=0), name="purchasing_tolerance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return "Purchasing settings"


class PurchaseOrder(PlantModel):
    """An order to a supplier for delivery to one plant. Its status follows its workflow."""

    number = models.CharField(max_length=40, editable=False, help_text="Issued on creation (PO-000001).")
    supplier = models.ForeignKey("partners.Supplier", on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(max_length=40, default="draft", editable=False, db_index=True)
    order_date = models.DateField(default=timezone.localdate)
    expected_date = models.DateField(null=True, blank=True, help_text="When the supplier promised delivery.")
    currency = models.CharField(max_length=3, default="USD")
    supplier_reference = models.CharField(
        max_length=60, blank=True, help_text="The supplier's quote or order confirmation."
    )
    notes = models.TextField(blank=True, max_length=4000)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(PlantModel.Meta):
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="purchase_order_number_unique"),
        ]
        indexes = [models.Index(fields=["organization", "supplier", "status"], name="po_supplier_status_idx")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(TenantModel):
    """What is ordered: an item, a quantity in a unit, a price per that unit, a due date."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="purchase_order_lines")
    description = models.CharField(max_length=300, blank=True)
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(Decimal("0.000001"))])
    unit = models.ForeignKey("catalog.Unit", on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(**MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    due_date = models.DateField(null=True, blank=True)
    received_quantity = models.DecimalField(
        **QUANTITY, default=Decimal("0"), editable=False, help_text="In the line's unit."
    )
    over_receipt_tolerance_percent = models.DecimalField(
        **PERCENT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Overrides the organization's tolerance for this line.",
    )

    class Meta(TenantModel.Meta):
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="po_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="po_line_price_not_negative"),
            models.CheckConstraint(condition=Q(received_quantity__gte=0), name="po_line_received_not_negative"),
            models.CheckConstraint(
                condition=Q(over_receipt_tolerance_percent__isnull=True) | Q(over_receipt_tolerance_percent__gte=0),
                name="po_line_tolerance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position}"

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price

    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.received_quantity, Decimal("0"))


class Receipt(PlantModel):
    """Goods arrived against a purchase order: one delivery, posted to the ledger whole or not at all.

    The supplier is kept on the receipt itself so supplier quality can count and rate
    receipts per supplier without going through the orders.
    """

    number = models.CharField(max_length=40, editable=False, help_text="Issued on posting (RCV-000001).")
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    supplier = models.ForeignKey("partners.Supplier", on_delete=models.PROTECT, related_name="receipts")
    received_at = models.DateTimeField(default=timezone.now)
    delivery_note = models.CharField(max_length=80, blank=True, help_text="The supplier's packing slip number.")
    note = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=120, blank=True, editable=False)

    class Meta(PlantModel.Meta):
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="receipt_number_unique"),
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="receipt_idempotency_unique",
            ),
        ]
        indexes = [models.Index(fields=["organization", "supplier", "-received_at"], name="receipt_supplier_idx")]

    def __str__(self) -> str:
        return self.number


class ReceiptLine(TenantModel):
    """One received quantity of one order line, with its lot or serial, and where it went."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    unit = models.ForeignKey("catalog.Unit", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    serial = models.ForeignKey(
        "inventory.SerialNumber", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+")
    quarantined = models.BooleanField(default=False, help_text="Went to quarantine for receiving inspection.")
    stock_move = models.OneToOneField("inventory.StockMove", on_delete=models.PROTECT, related_name="+")

    class Meta(TenantModel.Meta):
        ordering = ["receipt", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.receipt_id}: {self.quantity} {self.item_id}"
