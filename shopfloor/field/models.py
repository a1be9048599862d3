"""Field assets: serial-numbered products (drill bits) that leave the plant and come back.

A `FieldAsset` is one serial number of a catalog item followed through its life: in stock,
assigned to a customer's rig, in the field, returned, repaired, back in stock, or scrapped.
Its `status` changes only through the workflow engine; where the bit physically is stays the
inventory ledger's business (the serial's moves to and from the customer location).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from shopfloor.core.models import PlantModel, TenantModel

from . import iadc

DEPTH = {"max_digits": 12, "decimal_places": 2}


class FieldAsset(PlantModel):
    """One drill bit (a serial number of an item) and where it is in its life; `plant` is its home shop."""

    class BitType(models.TextChoices):
        ROLLER_CONE = iadc.ROLLER_CONE, "Roller cone"
        FIXED_CUTTER = iadc.FIXED_CUTTER, "Fixed cutter (PDC)"

    number = models.CharField(max_length=30, editable=False, help_text="Issued on creation (FA-000001).")
    serial = models.OneToOneField(
        "inventory.SerialNumber", on_delete=models.PROTECT, related_name="field_asset", verbose_name="serial number"
    )
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="field_assets", editable=False)
    bit_type = models.CharField(max_length=12, choices=BitType.choices, default=BitType.FIXED_CUTTER)
    size = models.DecimalField(
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text='Bit diameter in inches (8.5 for 8-1/2").',
    )
    iadc_class = models.CharField(
        "IADC classification", max_length=8, blank=True, help_text="The bit's IADC code, e.g. 517 or M323."
    )
    status = models.CharField(max_length=40, default="new", editable=False, db_index=True)
    customer = models.ForeignKey(
        "partners.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="field_assets",
        editable=False,
        help_text="The customer it is assigned to now.",
    )
    rig = models.ForeignKey(
        "partners.Rig",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="field_assets",
        editable=False,
        help_text="The rig it is assigned to now.",
    )
    notes = models.TextField(blank=True, max_length=4000)

    class Meta(PlantModel.Meta):
        ordering = ["-id"]
        verbose_name = "field asset"
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="field_asset_number_unique"),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="field_asset_status_idx")]

    def __str__(self) -> str:
        return f"{self.number} ({self.serial.serial})" if self.serial_id else self.number


class Assignment(TenantModel):
    """A bit promised to a customer's rig: from assignment, through shipment, until it comes back.

    At most one assignment of an asset is open (not ended) at a time.
    """

    class EndReason(models.TextChoices):
        RETURNED = "returned", "Returned"
        UNASSIGNED = "unassigned", "Unassigned before shipment"
        LOST = "lost_in_hole", "Lost in hole"

    asset = models.ForeignKey(FieldAsset, on_delete=models.PROTECT, related_name="assignments")
    customer = models.ForeignKey("partners.Customer", on_delete=models.PROTECT, related_name="field_assignments")
    rig = models.ForeignKey("partners.Rig", on_delete=models.PROTECT, related_name="field_assignments")
    well = models.ForeignKey(
        "partners.Well", null=True, blank=True, on_delete=models.PROTECT, related_name="field_assignments"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    end_reason = models.CharField(max_length=14, choices=EndReason.choices, blank=True, editable=False)
    ship_move = models.ForeignKey(
        "inventory.StockMove", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    return_move = models.ForeignKey(
        "inventory.StockMove", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"], condition=Q(ended_at__isnull=True), name="field_assignment_one_open_per_asset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} @ {self.rig_id}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class BitRun(TenantModel):
    """One run of a bit in a well: in at one depth, out at a deeper one, so long on bottom.

    Footage (depth out - depth in) and rate of penetration (footage / hours on bottom) are
    computed by the service and stored, so reports and sorting read them without arithmetic.
    """

    class DepthUnit(models.TextChoices):
        METRE = "m", "Metres"
        FOOT = "ft", "Feet"

    asset = models.ForeignKey(FieldAsset, on_delete=models.PROTECT, related_name="runs")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="runs", editable=False)
    well = models.ForeignKey("partners.Well", on_delete=models.PROTECT, related_name="bit_runs")
    run_number = models.PositiveIntegerField(editable=False, help_text="1 for the bit's first run, then 2, 3...")
    run_date = models.DateField(default=timezone.localdate)
    depth_unit = models.CharField(max_length=2, choices=DepthUnit.choices, default=DepthUnit.METRE)
    depth_in = models.DecimalField(**DEPTH, validators=[MinValueValidator(0)])
    depth_out = models.DecimalField(**DEPTH, validators=[MinValueValidator(0)])
    hours_on_bottom = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(0)])
    footage = models.DecimalField(**DEPTH, editable=False, help_text="Depth out - depth in.")
    rop = models.DecimalField(
        "rate of penetration", max_digits=12, decimal_places=2, editable=False, help_text="Footage per hour on bottom."
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["asset", "run_number"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "run_number"], name="bit_run_number_unique"),
            models.CheckConstraint(condition=Q(depth_in__gte=0), name="bit_run_depth_in_not_negative"),
            models.CheckConstraint(condition=Q(depth_out__gt=models.F("depth_in")), name="bit_run_depth_out_deeper"),
            models.CheckConstraint(condition=Q(hours_on_bottom__gt=0), name="bit_run_hours_positive"),
            models.CheckConstraint(condition=Q(footage__gt=0), name="bit_run_footage_positive"),
        ]

    def __str__(self) -> str:
        return f"Run {self.run_number} of {self.asset_id}"


class DullGrade(TenantModel):
    """The IADC dull grade of a bit pulled out of the hole: eight columns from the published code lists."""

    asset = models.ForeignKey(FieldAsset, on_delete=models.PROTECT, related_name="dull_grades")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="dull_grades", editable=False
    )
    run = models.ForeignKey(
        BitRun, null=True, blank=True, on_delete=models.PROTECT, related_name="dull_grades", editable=False
    )
    bit_type = models.CharField(max_length=12, choices=FieldAsset.BitType.choices, editable=False)
    inner_rows = models.PositiveSmallIntegerField(validators=[MaxValueValidator(8)])
    outer_rows = models.PositiveSmallIntegerField(validators=[MaxValueValidator(8)])
    dull_characteristic = models.CharField(max_length=2)
    location = models.CharField(max_length=3)
    bearings_seals = models.CharField("bearings/seals", max_length=1)
    gauge = models.CharField(max_length=2, help_text="I, or sixteenths of an inch under gauge.")
    other_characteristic = models.CharField("other dull characteristic", max_length=2)
    reason_pulled = models.CharField(max_length=3)
    graded_at = models.DateTimeField(default=timezone.now)
    remarks = models.CharField(max_length=500, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-graded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(inner_rows__lte=8), name="dull_grade_inner_rows_scale"),
            models.CheckConstraint(condition=Q(outer_rows__lte=8), name="dull_grade_outer_rows_scale"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return iadc.as_text({f: getattr(self, f) for f in iadc.FIELDS})

    @property
    def gauge_display(self) -> str:
        return "In gauge" if self.gauge == "I" else f"{self.gauge}/16 in under"


class FieldRepair(TenantModel):
    """A repair of a returned bit: the repair work order opened from its return, with the grading that prompted it."""

    asset = models.ForeignKey(FieldAsset, on_delete=models.PROTECT, related_name="repairs")
    dull_grade = models.ForeignKey(
        DullGrade, null=True, blank=True, on_delete=models.PROTECT, related_name="repairs", editable=False
    )
    work_order = models.ForeignKey(
        "production.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="field_repairs",
        editable=False,
        help_text="The repair work order (kind repair, for the asset's serial).",
    )
    work_order_number = models.CharField(max_length=30, blank=True, editable=False)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    note = models.CharField(max_length=500, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"], condition=Q(completed_at__isnull=True), name="field_repair_one_open_per_asset"
            ),
        ]

    def __str__(self) -> str:
        return self.work_order_number or f"Repair {self.pk}"
