"""The stock ledger: locations, lots, serial numbers, moves, balances, reservations and counts.

`StockMove` rows are the only truth and are never updated or deleted; `StockBalance` is the
running sum the services keep in the same transaction. Only `services.post_move` writes
either of them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopfloor.catalog.models import QUANTITY
from shopfloor.core.models import PlantModel, TenantModel, slug_validator


class Location(PlantModel):
    """A place stock can be in, as a tree per plant (warehouse > aisle > bin).

    Virtual locations stand for the world outside the plant's shelves (the supplier stock
    comes from, production it is issued to, adjustments); they keep no balance, so they can
    never run out and never become a hot row every receipt waits on.
    """

    class Type(models.TextChoices):
        STORAGE = "storage", "Storage"
        RECEIVING = "receiving", "Receiving"
        QUARANTINE = "quarantine", "Quarantine"
        WIP = "wip", "Work in progress"
        SCRAP = "scrap", "Scrap"
        SHIPPING = "shipping", "Shipping"
        SUPPLIER = "supplier", "Supplier (virtual)"
        CUSTOMER = "customer", "Customer (virtual)"
        PRODUCTION = "production", "Production (virtual)"
        ADJUSTMENT = "adjustment", "Inventory adjustment (virtual)"

    VIRTUAL_TYPES = frozenset({Type.SUPPLIER, Type.CUSTOMER, Type.PRODUCTION, Type.ADJUSTMENT})

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.CharField(max_length=40, validators=[slug_validator])
    name = models.CharField(max_length=120)
    location_type = models.CharField(max_length=12, choices=Type.choices, default=Type.STORAGE)
    allow_negative = models.BooleanField(default=False, help_text="Allow the balance here to go below zero.")
    is_active = models.BooleanField(default=True)

    class Meta(PlantModel.Meta):
        ordering = ["plant", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "plant", "code"], name="location_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_virtual(self) -> bool:
        return self.location_type in self.VIRTUAL_TYPES


class Lot(TenantModel):
    """A batch of one item made or received together, traced by its number."""

    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(max_length=60)
    supplier_lot = models.CharField(max_length=60, blank=True)
    manufactured_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["item", "number"]
        constraints = [models.UniqueConstraint(fields=["organization", "item", "number"], name="lot_number_unique")]
        indexes = [models.Index(fields=["organization", "item", "expires_on"], name="lot_expiry_idx")]

    def __str__(self) -> str:
        return self.number


class SerialNumber(TenantModel):
    """One physical unit of a serial-tracked item; it is in exactly one place (or outside the plant).

    `location` and `status` are a projection of the ledger, written only by the move that
    changes them, in the same transaction.
    """

    class Status(models.TextChoices):
        IN_STOCK = "in_stock", "In stock"
        ISSUED = "issued", "Issued"
        SCRAPPED = "scrapped", "Scrapped"
        SHIPPED = "shipped", "Shipped"

    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="serial_numbers")
    serial = models.CharField(max_length=80)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="serial_numbers")
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="serial_numbers", editable=False
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["item", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "item", "serial"], name="serial_number_unique"),
        ]

    def __str__(self) -> str:
        return self.serial


class StockMove(PlantModel):
    """One immutable line of the stock ledger. Corrections are reversing moves."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", "Receipt"
        ISSUE = "issue", "Issue"
        TRANSFER = "transfer", "Transfer"
        ADJUST = "adjust", "Adjustment"
        SCRAP = "scrap", "Scrap"
        COUNT = "count", "Count adjustment"

    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="stock_moves")
    quantity = models.DecimalField(**QUANTITY, help_text="In the item's stock unit.")
    entered_quantity = models.DecimalField(**QUANTITY)
    entered_unit = models.ForeignKey("catalog.Unit", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="moves")
    serial = models.ForeignKey(SerialNumber, null=True, blank=True, on_delete=models.PROTECT, related_name="moves")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="moves_out")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="moves_in")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason_code = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=500, blank=True)
    source_object_type = models.CharField(max_length=100, blank=True)
    source_object_id = models.CharField(max_length=64, blank=True)
    source_number = models.CharField(max_length=60, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    idempotency_key = models.CharField(max_length=120, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(default=timezone.now)

    class Meta(PlantModel.Meta):
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="move_quantity_positive"),
            models.CheckConstraint(condition=Q(entered_quantity__gt=0), name="move_entered_quantity_positive"),
            models.CheckConstraint(condition=~Q(from_location=models.F("to_location")), name="move_locations_differ"),
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="move_idempotency_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "posted_at", "id"], name="move_ledger_idx"),
            models.Index(fields=["organization", "item", "posted_at", "id"], name="move_item_ledger_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.quantity} {self.item_id} {self.from_location_id}->{self.to_location_id}"
        )


class StockBalance(TenantModel):
    """What is at one location of one item (and lot): the running sum of the ledger.

    Uniqueness with a NULL lot: PostgreSQL 15 has NULLS NOT DISTINCT but SQLite has no
    equivalent, so two partial unique constraints (lot given / lot empty) say the same on both.
    """

    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="stock_balances")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="balances")
    on_hand = models.DecimalField(**QUANTITY, default=0)
    reserved = models.DecimalField(**QUANTITY, default=0)

    class Meta(TenantModel.Meta):
        ordering = ["item", "location", "lot"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "item", "location", "lot"],
                condition=Q(lot__isnull=False),
                name="balance_with_lot_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "item", "location"],
                condition=Q(lot__isnull=True),
                name="balance_without_lot_unique",
            ),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="balance_reserved_not_negative"),
        ]
        indexes = [models.Index(fields=["organization", "location", "item"], name="balance_location_idx")]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id}/{self.lot_id}: {self.on_hand}"

    @property
    def available(self):  # type: ignore[no-untyped-def]
        return self.on_hand - self.reserved


class Reservation(TenantModel):
    """Stock promised to a document (a work order, a shipment) at one location; open until used or let go."""

    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="reservations")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="reservations")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.DecimalField(**QUANTITY)
    source_object_type = models.CharField(max_length=100, blank=True)
    source_object_id = models.CharField(max_length=64, blank=True)
    source_number = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=40, default="open", editable=False, db_index=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.item_id} for {self.source_number or self.source_object_id}"


class CycleCount(PlantModel):
    """A count of one location: expected quantities frozen at the start, counted ones entered, variances posted."""

    number = models.CharField(max_length=30, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="cycle_counts")
    status = models.CharField(max_length=40, default="counting", editable=False, db_index=True)
    note = models.CharField(max_length=500, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(PlantModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="cycle_count_number_unique")]

    def __str__(self) -> str:
        return self.number


class CycleCountLine(TenantModel):
    """One item (and lot) of a count: what the books said, what was found."""

    count = models.ForeignKey(CycleCount, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expected_quantity = models.DecimalField(**QUANTITY, default=0, editable=False)
    counted_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    move = models.ForeignKey(StockMove, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta(TenantModel.Meta):
        ordering = ["count", "item", "lot", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["count", "item", "lot"], condition=Q(lot__isnull=False), name="count_line_with_lot_unique"
            ),
            models.UniqueConstraint(
                fields=["count", "item"], condition=Q(lot__isnull=True), name="count_line_without_lot_unique"
            ),
            models.CheckConstraint(
                condition=Q(counted_quantity__isnull=True) | Q(counted_quantity__gte=0),
                name="count_line_counted_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count_id}: {self.item_id}"

    @property
    def variance(self):  # type: ignore[no-untyped-def]
        if self.counted_quantity is None:
            return None
        return self.counted_quantity - self.expected_quantity


class LowStockLatch(TenantModel):
    """Whether an item is currently below its reorder point: flipped by a conditional update,
    so that exactly one move per crossing notifies, however many post at once."""

    item = models.OneToOneField("catalog.Item", on_delete=models.CASCADE, related_name="+")
    is_low = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization", "item"], name="low_stock_latch_unique")]

    def __str__(self) -> str:
        return f"{self.item_id}: {'low' if self.is_low else 'ok'}"
