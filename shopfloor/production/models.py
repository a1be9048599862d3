"""Production: work orders, their operations (job cards), time, material issue, output, genealogy.

A work order copies its BOM lines and routing operations into its own tables when it is
released (`WorkOrderMaterial`, `Operation`), so an engineering change made afterwards never
alters what the shop floor is building. Stock moves only through `inventory.services`; the
rows here (`MaterialIssue`, `WorkOrderOutput`) point at the ledger move they caused.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from shopfloor.catalog.models import MONEY, QUANTITY
from shopfloor.core.models import PlantModel, TenantModel
from shopfloor.resources.models import MINUTES


class WorkOrder(PlantModel):
    """An order to make (or repair) `quantity` of `item` by `due_date`.

    `status` is changed only by the workflow engine (draft, planned, released, in_progress,
    qc, completed, on_hold, cancelled). `quantity` is in the item's stock unit.
    """

    class Kind(models.TextChoices):
        PRODUCTION = "production", "Production"
        REPAIR = "repair", "Repair"

    OPEN_STATES = ("draft", "planned", "released", "in_progress", "qc", "on_hold")
    ACTIVE_STATES = ("released", "in_progress", "qc")

    number = models.CharField(max_length=30, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PRODUCTION)
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="work_orders")
    quantity = models.DecimalField(**QUANTITY, help_text="In the item's stock unit.")
    unit = models.ForeignKey("catalog.Unit", on_delete=models.PROTECT, related_name="+", editable=False)
    due_date = models.DateField()
    planned_start = models.DateField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="1 (normal) to 10 (most urgent): the weight of its lateness in scheduling.",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The work order this one makes a component for.",
    )
    sales_order_line = models.ForeignKey(
        "sales.SalesOrderLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        help_text="The customer order line this order makes for.",
    )
    serial = models.ForeignKey(
        "inventory.SerialNumber",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        help_text="The unit being repaired (repair orders of serial-tracked products).",
    )
    bom_version = models.ForeignKey(
        "catalog.BomVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    routing = models.ForeignKey(
        "resources.Routing", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    issue_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where material is picked and backflushed from unless a line names its own.",
    )
    output_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where finished output is received.",
    )
    status = models.CharField(max_length=40, default="draft", editable=False, db_index=True)
    notes = models.TextField(blank=True)
    released_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    received_quantity = models.DecimalField(**QUANTITY, default=0, editable=False)

    class Meta(PlantModel.Meta):
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="work_order_number_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="work_order_quantity_positive"),
            models.CheckConstraint(condition=Q(received_quantity__gte=0), name="work_order_received_not_negative"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="work_order_not_own_parent"),
        ]
        indexes = [models.Index(fields=["organization", "status", "due_date"], name="work_order_board_idx")]

    def __str__(self) -> str:
        return self.number or f"work order {self.pk}"


class Operation(TenantModel):
    """A job card: one routing step of a work order, copied from the routing at release.

    Its status (pending, in_progress, paused, completed) moves with the operator's start,
    pause, resume and complete: timed shop-floor events rather than approvals, so they are
    kept by the production services and not by the workflow engine.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_PROGRESS = "in_progress", "In progress"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"

    class ScrapReason(models.TextChoices):
        MATERIAL = "material", "Material defect"
        MACHINING = "machining", "Machining error"
        SETUP = "setup", "Setup piece"
        HANDLING = "handling", "Handling damage"
        DIMENSIONS = "dimensions", "Out of tolerance"
        OTHER = "other", "Other"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="operations")
    sequence = models.PositiveIntegerField()
    description = models.CharField(max_length=200)
    work_center = models.ForeignKey("resources.WorkCenter", on_delete=models.PROTECT, related_name="+")
    eligible_machines = models.ManyToManyField("resources.Machine", blank=True, related_name="+")
    setup_time_minutes = models.DecimalField(**MINUTES, default=0)
    run_time_per_unit_minutes = models.DecimalField(**MINUTES, default=0)
    required_skill = models.CharField(max_length=120, blank=True)
    work_instructions = models.TextField(blank=True)
    source_operation_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, editable=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    machine = models.ForeignKey(
        "resources.Machine", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    good_quantity = models.DecimalField(**QUANTITY, default=0, editable=False)
    scrap_quantity = models.DecimalField(**QUANTITY, default=0, editable=False)
    scrap_reason = models.CharField(max_length=12, choices=ScrapReason.choices, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["work_order", "sequence"]
        verbose_name = "job card"
        constraints = [
            models.UniqueConstraint(fields=["work_order", "sequence"], name="wo_operation_sequence_unique"),
            models.CheckConstraint(condition=Q(good_quantity__gte=0), name="wo_operation_good_not_negative"),
            models.CheckConstraint(condition=Q(scrap_quantity__gte=0), name="wo_operation_scrap_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order} / {self.sequence} {self.description}"


class WorkOrderMaterial(TenantModel):
    """A component the work order needs, copied from the BOM at release (in stock units).

    `issued_quantity` is net: issues and backflushes add, returns subtract.
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveIntegerField(default=10)
    component = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    quantity_per = models.DecimalField(**QUANTITY, help_text="Stock units of the component per unit made.")
    scrap_factor = models.DecimalField(max_digits=7, decimal_places=6, default=0)
    required_quantity = models.DecimalField(**QUANTITY)
    issued_quantity = models.DecimalField(**QUANTITY, default=0, editable=False)
    backflush = models.BooleanField(default=False, help_text="Issued automatically when its operation completes.")
    operation = models.ForeignKey(
        Operation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="materials",
        help_text="The operation that consumes it (backflush point); default: the last one.",
    )
    issue_location = models.ForeignKey(
        "inventory.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sub_work_order = models.ForeignKey(
        WorkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    unit_cost = models.DecimalField(**MONEY, default=0, help_text="Standard cost per stock unit at release.")
    source_bom_line_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["work_order", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(required_quantity__gte=0), name="wo_material_required_not_negative"),
            models.CheckConstraint(condition=Q(issued_quantity__gte=0), name="wo_material_issued_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order} {self.position}: {self.required_quantity} {self.component_id}"

    @property
    def open_quantity(self):  # type: ignore[no-untyped-def]
        return max(self.required_quantity - self.issued_quantity, 0)


class TimeEntry(TenantModel):
    """Labour or machine time on an operation, from a start (or resume) to a pause (or complete)."""

    class Kind(models.TextChoices):
        LABOUR = "labour", "Labour"
        MACHINE = "machine", "Machine"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="time_entries")
    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="time_entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    machine = models.ForeignKey("resources.Machine", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    minutes = models.DecimalField(**MINUTES, null=True, blank=True)
    rate_per_hour = models.DecimalField(**MONEY, default=0, help_text="The work center's rate when it was booked.")
    note = models.CharField(max_length=200, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-started_at", "-id"]
        verbose_name_plural = "time entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="time_entry_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(minutes__isnull=True) | Q(minutes__gte=0), name="time_entry_minutes_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.operation_id} {self.started_at:%Y-%m-%d %H:%M}"


class MaterialIssue(TenantModel):
    """Material that went to (or came back from) a work order, with the ledger move it caused."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "Issue"
        BACKFLUSH = "backflush", "Backflush"
        RETURN = "return", "Return"

    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="material_issues")
    material = models.ForeignKey(
        WorkOrderMaterial, null=True, blank=True, on_delete=models.PROTECT, related_name="issues"
    )
    operation = models.ForeignKey(Operation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    serial = models.ForeignKey(
        "inventory.SerialNumber", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, help_text="In the item's stock unit; always positive.")
    unit_cost = models.DecimalField(**MONEY, default=0)
    move = models.OneToOneField("inventory.StockMove", on_delete=models.PROTECT, related_name="+")

    class Meta(TenantModel.Meta):
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="material_issue_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} {self.item_id} for {self.work_order_id}"

    @property
    def signed_quantity(self):  # type: ignore[no-untyped-def]
        return -self.quantity if self.kind == self.Kind.RETURN else self.quantity


class WorkOrderOutput(TenantModel):
    """Good product received into stock from a work order, with the lot or serial it got."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="outputs")
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    serial = models.ForeignKey(
        "inventory.SerialNumber", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    move = models.OneToOneField("inventory.StockMove", on_delete=models.PROTECT, related_name="+")

    class Meta(TenantModel.Meta):
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="wo_output_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.item_id} from {self.work_order_id}"


class GenealogyLink(TenantModel):
    """A consumed lot or serial went into a produced lot or serial: one edge of traceability."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="genealogy_links")
    consumed_item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    consumed_lot = models.ForeignKey(
        "inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="consumed_in"
    )
    consumed_serial = models.ForeignKey(
        "inventory.SerialNumber", null=True, blank=True, on_delete=models.PROTECT, related_name="consumed_in"
    )
    produced_item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    produced_lot = models.ForeignKey(
        "inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="produced_from"
    )
    produced_serial = models.ForeignKey(
        "inventory.SerialNumber", null=True, blank=True, on_delete=models.PROTECT, related_name="produced_from"
    )

    class Meta(TenantModel.Meta):
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consumed_lot__isnull=False) | Q(consumed_serial__isnull=False),
                name="genealogy_consumed_traced",
            ),
            models.CheckConstraint(
                condition=Q(produced_lot__isnull=False) | Q(produced_serial__isnull=False),
                name="genealogy_produced_traced",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "consumed_lot"], name="genealogy_consumed_lot_idx"),
            models.Index(fields=["organization", "produced_lot"], name="genealogy_produced_lot_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consumed_lot_id or self.consumed_serial_id} -> {self.produced_lot_id or self.produced_serial_id}"
