"""Sales orders: what a customer ordered, for which site, and how much of it has left the plant.

The order's `status` follows its workflow (draft, confirmed, in production, partially shipped,
shipped, closed, cancelled); a line's quantities and status are a projection that only the
sales services write, in the same transaction as the reservation or stock move behind them.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from shopfloor.catalog.models import MONEY, QUANTITY
from shopfloor.core.models import PlantModel, TenantModel


class SalesOrder(PlantModel):
    """A customer's order, shipped from one plant, optionally to one of the customer's sites."""

    number = models.CharField(max_length=30, editable=False, help_text="Issued on creation (SO-000001).")
    customer = models.ForeignKey("partners.Customer", on_delete=models.PROTECT, related_name="sales_orders")
    rig = models.ForeignKey(
        "partners.Rig", null=True, blank=True, on_delete=models.PROTECT, related_name="sales_orders"
    )
    well = models.ForeignKey(
        "partners.Well", null=True, blank=True, on_delete=models.PROTECT, related_name="sales_orders"
    )
    customer_reference = models.CharField(max_length=60, blank=True, help_text="The customer's PO number.")
    order_date = models.DateField(default=timezone.localdate)
    currency = models.CharField(max_length=3, default="USD")
    notes = models.TextField(blank=True, max_length=4000)
    status = models.CharField(max_length=40, default="draft", editable=False, db_index=True)

    class Meta(PlantModel.Meta):
        ordering = ["-order_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="sales_order_number_unique"),
        ]
        indexes = [models.Index(fields=["organization", "customer", "status"], name="sales_order_customer_idx")]

    def __str__(self) -> str:
        return self.number


class SalesOrderLine(TenantModel):
    """One item of an order: the quantity in the unit the customer ordered it in, its price and due date.

    `stock_quantity`, `reserved_quantity` and `shipped_quantity` are in the item's stock unit,
    the unit of the ledger, so that they compare with stock without converting again.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        CLOSED = "closed", "Closed short"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = frozenset({Status.OPEN, Status.PARTIALLY_SHIPPED})

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(help_text="10, 20, 30... as on the printed order.")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="sales_order_lines")
    quantity = models.DecimalField(**QUANTITY, help_text="In `unit`.")
    unit = models.ForeignKey("catalog.Unit", on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(**MONEY, default=0, validators=[MinValueValidator(0)], help_text="Per `unit`.")
    due_date = models.DateField()
    notes = models.CharField(max_length=500, blank=True)
    stock_quantity = models.DecimalField(**QUANTITY, editable=False, default=0, help_text="`quantity` in stock units.")
    reserved_quantity = models.DecimalField(**QUANTITY, editable=False, default=0)
    shipped_quantity = models.DecimalField(**QUANTITY, editable=False, default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["order", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="sales_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sales_line_price_not_negative"),
            models.CheckConstraint(condition=Q(reserved_quantity__gte=0), name="sales_line_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__gte=0) & Q(shipped_quantity__lte=F("stock_quantity")),
                name="sales_line_shipped_within_ordered",
            ),
        ]
        indexes = [models.Index(fields=["organization", "item", "due_date"], name="sales_line_item_due_idx")]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.position}" if self.order_id else f"line {self.position}"

    @property
    def open_quantity(self) -> Decimal:
        """Still to ship, in stock units (nothing once the line is closed or cancelled)."""
        if self.status not in self.OPEN_STATUSES:
            return Decimal(0)
        return self.stock_quantity - self.shipped_quantity

    @property
    def unreserved_quantity(self) -> Decimal:
        """Still to ship and not covered by reserved stock: what production or purchasing must bring."""
        return max(self.open_quantity - self.reserved_quantity, Decimal(0))

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price
