"""Inspection plans, characteristics, inspections and measurements.

A plan says what to check on an item in one context (receiving, in-process at an operation,
final) and how many units to sample; it is versioned per item and context and only a
released version is used. An inspection is one check of one lot, serial or quantity against
a released plan, created by the quality handlers when a receipt is posted, an operation is
completed or a work order enters QC; its measurements decide whether it passes.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from shopfloor.catalog.models import QUANTITY
from shopfloor.core.models import PlantModel, TenantModel

__all__ = ["InspectionPlan", "Characteristic", "Inspection", "Measurement"]

VALUE = {"max_digits": 18, "decimal_places": 6}


class InspectionContext(models.TextChoices):
    RECEIVING = "receiving", "Receiving"
    IN_PROCESS = "in_process", "In-process"
    FINAL = "final", "Final"


class InspectionPlan(TenantModel):
    """What to check on an item in one context, and how many units to sample. Status by workflow."""

    Context = InspectionContext

    class Sampling(models.TextChoices):
        FIXED = "fixed", "Fixed sample size"
        ISO_2859 = "iso2859", "ISO 2859-1 single sampling, normal inspection"

    class Level(models.TextChoices):
        S1 = "S-1", "S-1"
        S2 = "S-2", "S-2"
        S3 = "S-3", "S-3"
        S4 = "S-4", "S-4"
        I = "I", "I"  # noqa: E741  (the standard's name)
        II = "II", "II"
        III = "III", "III"

    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="inspection_plans")
    context = models.CharField(max_length=12, choices=InspectionContext.choices)
    operation_sequence = models.PositiveIntegerField(
        null=True, blank=True, help_text="In-process: the routing operation sequence it checks (or a work center)."
    )
    work_center = models.ForeignKey(
        "resources.WorkCenter", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=40, default="draft", editable=False, db_index=True)
    sampling = models.CharField(max_length=10, choices=Sampling.choices, default=Sampling.FIXED)
    sample_size = models.PositiveIntegerField(
        default=1, help_text="Fixed sampling: units to measure (capped at the quantity inspected)."
    )
    accept_number = models.PositiveIntegerField(
        default=0, help_text="Fixed sampling: most nonconforming units that still accept the lot."
    )
    inspection_level = models.CharField(max_length=3, choices=Level.choices, default=Level.II)
    aql = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True, help_text="ISO 2859-1 AQL.")
    released_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["item", "context", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "item", "context", "operation_sequence", "work_center", "version"],
                name="inspection_plan_version_unique",
            ),
            models.CheckConstraint(condition=Q(sample_size__gte=1), name="inspection_plan_sample_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.get_context_display()} v{self.version}"


class Characteristic(TenantModel):
    """One thing to check: a measured variable within LSL..USL, or an attribute (pass/fail, defects)."""

    class Kind(models.TextChoices):
        VARIABLE = "variable", "Variable (measured)"
        ATTRIBUTE = "attribute", "Attribute (pass/fail)"
        DEFECTS = "defects", "Defect count"

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="characteristics")
    position = models.PositiveIntegerField(default=10)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.VARIABLE)
    nominal = models.DecimalField(**VALUE, null=True, blank=True)
    lsl = models.DecimalField(**VALUE, null=True, blank=True, verbose_name="LSL")
    usl = models.DecimalField(**VALUE, null=True, blank=True, verbose_name="USL")
    unit = models.CharField(max_length=20, blank=True, help_text="Unit of the measured value (mm, bar, HRC).")
    gauge = models.CharField(max_length=80, blank=True)
    gauge_min = models.DecimalField(**VALUE, null=True, blank=True, help_text="Lowest value the gauge can read.")
    gauge_max = models.DecimalField(**VALUE, null=True, blank=True, help_text="Highest value the gauge can read.")
    max_defects = models.PositiveIntegerField(default=0, help_text="Defect count: most defects a unit may have.")

    class Meta(TenantModel.Meta):
        ordering = ["plan", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lsl__isnull=True) | Q(usl__isnull=True) | Q(lsl__lte=models.F("usl")),
                name="characteristic_lsl_le_usl",
            ),
            models.CheckConstraint(
                condition=Q(gauge_min__isnull=True)
                | Q(gauge_max__isnull=True)
                | Q(gauge_min__lt=models.F("gauge_max")),
                name="characteristic_gauge_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Inspection(PlantModel):
    """One check of a lot, serial or quantity against a released plan, or (no plan) a pass/fail decision."""

    Context = InspectionContext

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    number = models.CharField(max_length=30, editable=False)
    plan = models.ForeignKey(
        InspectionPlan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
        help_text="Empty: no released plan existed; the whole lot is decided pass or fail.",
    )
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    context = models.CharField(max_length=12, choices=InspectionContext.choices, editable=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN, editable=False)
    quantity = models.DecimalField(**QUANTITY, help_text="The quantity the inspection decides on (lot size).")
    lot = models.ForeignKey("inventory.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    serial = models.ForeignKey(
        "inventory.SerialNumber", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the inspected stock is now.",
    )
    home_location = models.ForeignKey(
        "inventory.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the stock goes when it passes (it came for there).",
    )
    sample_size = models.PositiveIntegerField(editable=False)
    accept_number = models.PositiveIntegerField(editable=False)
    reject_number = models.PositiveIntegerField(editable=False)
    nonconforming = models.PositiveIntegerField(default=0, editable=False)
    source_type = models.CharField(max_length=40, blank=True, editable=False)
    source_id = models.CharField(max_length=64, blank=True, editable=False)
    source_number = models.CharField(max_length=60, blank=True, editable=False)
    work_order = models.ForeignKey(
        "production.WorkOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ncr_number = models.CharField(max_length=30, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta(PlantModel.Meta):
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="inspection_number_unique"),
            models.UniqueConstraint(
                fields=["organization", "plan", "source_type", "source_id"],
                condition=~Q(source_id=""),
                name="inspection_once_per_source",
            ),
            models.UniqueConstraint(
                fields=["organization", "context", "source_type", "source_id"],
                condition=Q(plan__isnull=True) & ~Q(source_id=""),
                name="inspection_planless_once_per_source",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inspection_quantity_positive"),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="inspection_status_idx")]

    def __str__(self) -> str:
        return self.number


class Measurement(TenantModel):
    """One reading of one characteristic on one sampled unit; conforming is decided on entry."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="measurements")
    characteristic = models.ForeignKey(Characteristic, on_delete=models.PROTECT, related_name="measurements")
    sample = models.PositiveIntegerField(help_text="Which sampled unit (from 1).")
    value = models.DecimalField(**VALUE, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    defects = models.PositiveIntegerField(null=True, blank=True)
    conforming = models.BooleanField(editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["inspection", "sample", "characteristic__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "characteristic", "sample"], name="measurement_once_per_sample"
            ),
            models.CheckConstraint(condition=Q(sample__gte=1), name="measurement_sample_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.characteristic} #{self.sample}"
