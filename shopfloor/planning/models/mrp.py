"""Material requirements planning: forecasts in, planned orders, pegging and exceptions out."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from shopfloor.catalog.models import QUANTITY
from shopfloor.core.models import PlantModel, TenantModel

from .base import PlanningRun

# The result rows of a run (planned orders, pegging, exceptions, item records) are written
# together by services.mrp in one transaction, from the run's own row and ids it assigned
# itself: a large run is hundreds of thousands of rows, and a database-checked foreign key
# costs a lookup per row and key (on PostgreSQL a trigger at commit: most of the save time of
# the 20,000-item benchmark). So the keys that point at the run, its tenant and creator, or
# another result row of the same run are not checked by the database (deletes still cascade
# through the ORM, which is the only thing that deletes runs). The keys to items and BOM
# versions (two per planned order, one per item record and exception: ~90,000 checks at commit
# on that benchmark, 1.2 s) are held set-based instead: the save locks every item and BOM
# version it refers to with one FOR KEY SHARE statement each, the lock a per-row check would
# take, and fails the run, saving nothing, if any is gone (services.mrp._hold_master_records);
# deleting them through the ORM is still refused (PROTECT). Keys to documents (order lines,
# forecasts, work orders, purchase order lines: few rows carry one) are checked by the database.


def _master_record(to: str, **options: object) -> models.ForeignKey:
    """A key to an item or BOM version, held by the save's lock rather than a per-row check."""
    return models.ForeignKey(to, on_delete=models.PROTECT, related_name="+", db_constraint=False, **options)  # type: ignore[arg-type]


def _within_run(to: str | type[models.Model], **options: object) -> models.ForeignKey:
    return models.ForeignKey(to, db_constraint=False, **options)  # type: ignore[arg-type]


def _organization(**options: object) -> models.ForeignKey:
    return _within_run("core.Organization", on_delete=models.PROTECT, related_name="+", editable=False, **options)


def _creator(**options: object) -> models.ForeignKey:
    return _within_run(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        **options,
    )


def _optional_reference(to: str | type[models.Model], **options: object) -> models.ForeignKey:
    """An optional key to a document or master record, checked by the database but not indexed
    in full (most result rows have none: see _when_set for the partial index)."""
    defaults: dict[str, object] = {
        "null": True,
        "blank": True,
        "on_delete": models.PROTECT,
        "related_name": "+",
        "db_index": False,
    }
    return models.ForeignKey(to, **{**defaults, **options})  # type: ignore[arg-type]


def _when_set(prefix: str, *fields: str) -> list[models.Index]:
    """Indexes on optional keys that only hold rows where the key is set (most rows have none)."""
    return [
        models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"{prefix}_{name}_set")
        for name in fields
    ]


class Forecast(PlantModel):
    """Expected independent demand for an item in one period (a week or month starting on a date)."""

    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="forecasts")
    period_start = models.DateField()
    quantity = models.DecimalField(**QUANTITY, validators=[MinValueValidator(0)], help_text="In the stock unit.")
    notes = models.CharField(max_length=200, blank=True)

    class Meta(PlantModel.Meta):
        ordering = ["item", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "plant", "item", "period_start"], name="forecast_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="forecast_quantity_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item.number} {self.period_start}: {self.quantity}"


class MrpRun(PlanningRun):
    """One regenerative MRP run of a plant: everything it planned hangs off it."""

    horizon_days = models.PositiveIntegerField(default=180, validators=[MinValueValidator(1)])
    plan_date = models.DateField(help_text="Day zero of the plan (today when it was asked for).")

    class Meta(PlanningRun.Meta):
        ordering = ["-id"]
        verbose_name = "MRP run"

    def __str__(self) -> str:
        return f"MRP run {self.pk} ({self.plan_date})"


class PlannedOrder(PlantModel):
    """A proposal to make or buy: firmed, it becomes a real work order or purchase order."""

    class Kind(models.TextChoices):
        MAKE = "make", "Planned work order"
        BUY = "buy", "Planned purchase order"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        FIRMED = "firmed", "Firmed"

    organization = _organization()
    plant = _within_run("core.Plant", on_delete=models.PROTECT, related_name="+")
    created_by = _creator()
    run = _within_run(MrpRun, on_delete=models.CASCADE, related_name="planned_orders")
    item = _master_record("catalog.Item")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    quantity = models.DecimalField(**QUANTITY)
    start_date = models.DateField(help_text="When to release it: the due date less the lead time, on the calendar.")
    due_date = models.DateField(help_text="When it must be available.")
    low_level_code = models.PositiveSmallIntegerField(default=0)
    bom_version = _master_record("catalog.BomVersion", null=True, blank=True)
    supplier = _optional_reference("partners.Supplier")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PLANNED, editable=False)
    work_order = _optional_reference("production.WorkOrder", editable=False)
    purchase_order = _optional_reference("purchasing.PurchaseOrder", editable=False)

    class Meta(PlantModel.Meta):
        ordering = ["run", "low_level_code", "item", "due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="planned_order_quantity_positive"),
            models.CheckConstraint(condition=Q(start_date__lte=models.F("due_date")), name="planned_order_dates"),
        ]
        indexes = [
            models.Index(fields=["run", "item"], name="planned_order_run_item_idx"),
            *_when_set("planord", "supplier", "work_order", "purchase_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.item.number} x {self.quantity} due {self.due_date}"


class Pegging(TenantModel):
    """One demand served (in part) by one planned order: read forwards and backwards.

    The demand is a sales order line, a forecast, the item's safety stock, or the dependent
    demand of a parent planned order (or of an existing work order's components).
    """

    class DemandKind(models.TextChoices):
        SALES_ORDER = "sales_order", "Sales order line"
        FORECAST = "forecast", "Forecast"
        SAFETY_STOCK = "safety_stock", "Safety stock"
        PLANNED_ORDER = "planned_order", "Parent planned order"
        WORK_ORDER = "work_order", "Work order component"

    # Read through the run and the planned orders only: no index on the tenant and creator.
    organization = _organization(db_index=False)
    created_by = _creator(db_index=False)
    run = _within_run(MrpRun, on_delete=models.CASCADE, related_name="peggings")
    planned_order = _within_run(PlannedOrder, on_delete=models.CASCADE, related_name="peggings")
    demand_kind = models.CharField(max_length=14, choices=DemandKind.choices)
    demand_date = models.DateField()
    quantity = models.DecimalField(**QUANTITY, help_text="How much of the planned order serves this demand.")
    sales_order_line = _optional_reference("sales.SalesOrderLine")
    forecast = _optional_reference(Forecast, on_delete=models.SET_NULL)
    parent_planned_order = _within_run(
        PlannedOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="child_peggings"
    )
    work_order = _optional_reference("production.WorkOrder")

    class Meta(TenantModel.Meta):
        ordering = ["planned_order", "demand_date", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="pegging_quantity_positive")]
        indexes = _when_set("pegging", "sales_order_line", "forecast", "work_order")

    def __str__(self) -> str:
        return f"{self.planned_order_id} <- {self.get_demand_kind_display()} {self.quantity}"


class MrpException(TenantModel):
    """What the planner must look at: an order to expedite, defer or cancel, a late or unplannable item."""

    class Kind(models.TextChoices):
        EXPEDITE = "expedite", "Expedite"
        DEFER = "defer", "Defer"
        CANCEL = "cancel", "Cancel"
        PAST_DUE = "past_due", "Past due"
        NO_BOM = "no_bom", "No released BOM"
        NO_ROUTING = "no_routing", "No released routing"

    organization = _organization()
    created_by = _creator()
    run = _within_run(MrpRun, on_delete=models.CASCADE, related_name="exceptions")
    item = _master_record("catalog.Item")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    message = models.CharField(max_length=300)
    date = models.DateField(null=True, blank=True, help_text="The date the message is about (need date, due date).")
    suggested_date = models.DateField(null=True, blank=True)
    planned_order = _within_run(
        PlannedOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions", db_index=False
    )
    work_order = _optional_reference("production.WorkOrder")
    purchase_order_line = _optional_reference("purchasing.PurchaseOrderLine")

    class Meta(TenantModel.Meta):
        ordering = ["run", "item", "kind", "id"]
        indexes = _when_set("mrpexc", "planned_order", "work_order", "purchase_order_line")
        verbose_name = "MRP exception"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class MrpItemResult(TenantModel):
    """An item's record in one run: its level, totals and the time-phased table shown by item.

    `periods` is a list of {"date", "gross", "receipts", "on_hand", "net", "planned"} (decimals
    as strings), one per bucket where something happens.
    """

    organization = _organization()
    created_by = _creator()
    run = _within_run(MrpRun, on_delete=models.CASCADE, related_name="item_results")
    item = _master_record("catalog.Item")
    low_level_code = models.PositiveSmallIntegerField(default=0)
    on_hand = models.DecimalField(**QUANTITY, default=0)
    safety_stock = models.DecimalField(**QUANTITY, default=0)
    gross_requirements = models.DecimalField(**QUANTITY, default=0)
    scheduled_receipts = models.DecimalField(**QUANTITY, default=0)
    planned_quantity = models.DecimalField(**QUANTITY, default=0)
    periods = models.JSONField(default=list, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["run", "low_level_code", "item"]
        constraints = [models.UniqueConstraint(fields=["run", "item"], name="mrp_item_result_unique")]

    def __str__(self) -> str:
        return f"{self.item.number} in run {self.run_id}"
