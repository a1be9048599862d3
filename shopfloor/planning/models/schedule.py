"""Finite-capacity schedules: a run, where each operation goes, and why orders are late."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from shopfloor.catalog.models import QUANTITY
from shopfloor.core.models import TenantModel

from .base import PlanningRun


class ScheduleRun(PlanningRun):
    """One solve of a plant's operations; the newest finished run is the schedule in force."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Asked for"
        MACHINE_DOWN = "machine_down", "Machine went down"
        API = "api", "API"

    class Method(models.TextChoices):
        CP_SAT = "cp_sat", "CP-SAT optimiser"
        DISPATCH = "dispatch", "Earliest due date dispatch (fallback)"

    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.MANUAL, editable=False)
    time_limit_seconds = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])
    include_planned_orders = models.BooleanField(
        default=True, help_text="Schedule the planned work orders of the newest MRP run too."
    )
    origin = models.DateTimeField(null=True, blank=True, editable=False, help_text="Minute zero of the model.")
    method = models.CharField(max_length=8, choices=Method.choices, blank=True, editable=False)
    solver_status = models.CharField(max_length=12, blank=True, editable=False, help_text="OPTIMAL, FEASIBLE...")
    weighted_tardiness = models.BigIntegerField(null=True, blank=True, editable=False, help_text="Minutes x weight.")
    makespan_minutes = models.BigIntegerField(null=True, blank=True, editable=False)
    lower_bound = models.BigIntegerField(null=True, blank=True, editable=False)
    baseline_weighted_tardiness = models.BigIntegerField(
        null=True, blank=True, editable=False, help_text="The dispatch rule's on the same data, for comparison."
    )

    class Meta(PlanningRun.Meta):
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Schedule run {self.pk}"


class ScheduledOperation(TenantModel):
    """Where and when one operation runs in a schedule.

    An operation of a real work order names `operation`; one of a planned work order names
    `planned_order` and the routing operation it will copy.
    """

    run = models.ForeignKey(ScheduleRun, on_delete=models.CASCADE, related_name="operations")
    work_order = models.ForeignKey(
        "production.WorkOrder", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    operation = models.ForeignKey(
        "production.Operation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    planned_order = models.ForeignKey(
        "planning.PlannedOrder", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    routing_operation = models.ForeignKey(
        "resources.Operation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sequence = models.PositiveIntegerField()
    machine = models.ForeignKey("resources.Machine", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    setup_minutes = models.PositiveIntegerField(default=0)
    is_fixed = models.BooleanField(default=False, help_text="Started or pinned: kept where it was.")

    class Meta(TenantModel.Meta):
        ordering = ["run", "machine", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="scheduled_operation_end_after_start"),
            models.CheckConstraint(
                condition=Q(operation__isnull=False) | Q(planned_order__isnull=False),
                name="scheduled_operation_has_source",
            ),
        ]
        indexes = [models.Index(fields=["run", "machine", "start"], name="sched_op_machine_idx")]

    def __str__(self) -> str:
        return f"{self.machine_id} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M}"


class ScheduleConflict(TenantModel):
    """Why an order ends late: capacity on a machine, or material not available before a date."""

    class Kind(models.TextChoices):
        CAPACITY = "capacity", "Capacity"
        MATERIAL = "material", "Material"
        RELEASE = "release", "Released too late"

    run = models.ForeignKey(ScheduleRun, on_delete=models.CASCADE, related_name="conflicts")
    work_order = models.ForeignKey(
        "production.WorkOrder", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    planned_order = models.ForeignKey(
        "planning.PlannedOrder", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    tardiness_minutes = models.PositiveIntegerField(default=0)
    machine = models.ForeignKey("resources.Machine", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("catalog.Item", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    short_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    available_at = models.DateField(null=True, blank=True, help_text="When the material is expected.")
    message = models.CharField(max_length=300)

    class Meta(TenantModel.Meta):
        ordering = ["run", "-tardiness_minutes", "id"]

    def __str__(self) -> str:
        return self.message


class OperationPin(TenantModel):
    """A planner's decision that an operation runs on this machine at this time; the solver keeps it."""

    operation = models.OneToOneField("production.Operation", on_delete=models.CASCADE, related_name="pin")
    machine = models.ForeignKey("resources.Machine", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta(TenantModel.Meta):
        ordering = ["start"]

    def __str__(self) -> str:
        return f"operation {self.operation_id} pinned on {self.machine_id} at {self.start:%Y-%m-%d %H:%M}"
