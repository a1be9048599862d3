"""Resources (work centers, machines, working calendars) and routings.

Routings live here rather than in `catalog` (where the architecture's layout puts them): their
operations name work centers and machines, and `catalog` sits below `resources`, so it may not
import them. A routing still belongs to a `catalog.Item`.
"""

from __future__ import annotations

import zoneinfo

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from shopfloor.catalog.models import MONEY
from shopfloor.core.models import PlantModel, TenantModel, slug_validator, validate_timezone

# Minutes of setup and run time: 4 decimals so that 0.0125 min per piece (0.75 s) is exact.
MINUTES = {"max_digits": 14, "decimal_places": 4}


class WorkingCalendar(TenantModel):
    """When work happens: a weekly shift pattern plus dated exceptions, in one time zone.

    The zone is the calendar's own `timezone`, else its plant's, else UTC, so a calendar shared
    by several plants of one zone need not name a plant.
    """

    name = models.CharField(max_length=80)
    plant = models.ForeignKey(
        "core.Plant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose time zone the calendar runs in, unless it names its own.",
    )
    timezone = models.CharField(
        max_length=64, blank=True, validators=[validate_timezone], help_text="IANA zone, e.g. Europe/Oslo."
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="calendar_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def zone_name(self) -> str:
        if self.timezone:
            return self.timezone
        if self.plant_id is not None:
            return self.plant.timezone
        return "UTC"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zone_name)


class ShiftPattern(TenantModel):
    """One shift on one weekday of the calendar's week. `end_time <= start_time` ends next day."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, validators=[MinValueValidator(0), MaxValueValidator(6)]
    )
    name = models.CharField(max_length=40, blank=True, help_text="Day, Late, Night...")
    start_time = models.TimeField()
    end_time = models.TimeField(help_text="At or before the start: the shift ends the next day.")
    break_minutes = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        ordering = ["calendar", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0) & Q(weekday__lte=6), name="shift_weekday_range"),
            models.UniqueConstraint(
                fields=["organization", "calendar", "weekday", "start_time"], name="shift_start_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time <= self.start_time


class CalendarException(TenantModel):
    """A dated departure from the weekly pattern: a holiday, a closure, or an extra shift."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday (no work)"
        CLOSURE = "closure", "Closure (no work)"
        EXTRA_SHIFT = "extra_shift", "Extra shift"

    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.CharField(max_length=120, blank=True)
    start_time = models.TimeField(null=True, blank=True, help_text="Extra shifts only.")
    end_time = models.TimeField(null=True, blank=True, help_text="Extra shifts only; at or before start: next day.")
    break_minutes = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        ordering = ["calendar", "date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="extra_shift") | (Q(start_time__isnull=False) & Q(end_time__isnull=False)),
                name="calendar_exception_extra_shift_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class WorkCenter(PlantModel):
    """A group of equivalent machines or people that operations are planned on."""

    class Kind(models.TextChoices):
        MACHINING = "machining", "Machining"
        WELDING = "welding", "Welding"
        ASSEMBLY = "assembly", "Assembly"
        INSPECTION = "inspection", "Inspection"
        TREATMENT = "treatment", "Heat / surface treatment"
        TESTING = "testing", "Testing"
        MANUAL = "manual", "Manual work"
        OUTSOURCED = "outsourced", "Outsourced"

    code = models.CharField(max_length=20, validators=[slug_validator])
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MACHINING)
    cost_rate_per_hour = models.DecimalField(**MONEY, default=0, validators=[MinValueValidator(0)])
    capacity = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Machines or people working in parallel."
    )
    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.PROTECT, related_name="work_centers")
    is_active = models.BooleanField(default=True)

    class Meta(PlantModel.Meta):
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="work_center_code_unique"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="work_center_capacity_positive"),
            models.CheckConstraint(condition=Q(cost_rate_per_hour__gte=0), name="work_center_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Capability(TenantModel):
    """What a machine can do (5-axis milling, API thread cutting, 2 m turning length)."""

    code = models.CharField(max_length=30, validators=[slug_validator])
    name = models.CharField(max_length=120)

    class Meta(TenantModel.Meta):
        ordering = ["code"]
        verbose_name_plural = "capabilities"
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="capability_code_unique")]

    def __str__(self) -> str:
        return self.code


class Machine(PlantModel):
    """One machine of a work center. Its plant is its work center's (set by the service).

    `status` (available, down, maintenance, retired) is changed only by the workflow engine.
    """

    work_center = models.ForeignKey(WorkCenter, on_delete=models.PROTECT, related_name="machines")
    code = models.CharField(max_length=30, validators=[slug_validator])
    name = models.CharField(max_length=120)
    capabilities = models.ManyToManyField(Capability, blank=True, related_name="machines")
    manufacturer = models.CharField(max_length=80, blank=True)
    model_number = models.CharField(max_length=80, blank=True)
    serial_number = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=40, default="available", editable=False, db_index=True)

    class Meta(PlantModel.Meta):
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="machine_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MachineDowntime(PlantModel):
    """A window in which a machine cannot work: planned maintenance, or a breakdown as reported.

    The scheduler treats it as time the machine is closed, on top of its calendar's shifts and
    holidays. `ends_at` empty means "down until further notice" (an open breakdown).
    """

    class Kind(models.TextChoices):
        PLANNED_MAINTENANCE = "maintenance", "Planned maintenance"
        BREAKDOWN = "breakdown", "Breakdown"
        OTHER = "other", "Other"

    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="downtimes")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PLANNED_MAINTENANCE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: down until further notice.")
    reason = models.CharField(max_length=200, blank=True)

    class Meta(PlantModel.Meta):
        ordering = ["machine", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="machine_downtime_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.machine.code} down from {self.starts_at:%Y-%m-%d %H:%M}"


class Routing(TenantModel):
    """How an item is made: a version of its sequence of operations.

    Only a released routing is used by production and planning; the database holds at most one
    released routing per item. Released and obsolete routings are immutable.
    """

    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="routings")
    version = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=40, default="draft", editable=False, db_index=True)

    class Meta(TenantModel.Meta):
        ordering = ["item", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "item", "version"], name="routing_version_unique"),
            models.UniqueConstraint(
                fields=["organization", "item"], condition=Q(status="released"), name="routing_one_released"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.number} routing v{self.version}"


class Operation(TenantModel):
    """One step of a routing, done at a work center (on one of its eligible machines if named)."""

    routing = models.ForeignKey(Routing, on_delete=models.CASCADE, related_name="operations")
    sequence = models.PositiveIntegerField(help_text="10, 20, 30... leaves room to insert steps.")
    description = models.CharField(max_length=200)
    work_center = models.ForeignKey(WorkCenter, on_delete=models.PROTECT, related_name="operations")
    eligible_machines = models.ManyToManyField(Machine, blank=True, related_name="operations")
    setup_time_minutes = models.DecimalField(**MINUTES, default=0, validators=[MinValueValidator(0)])
    run_time_per_unit_minutes = models.DecimalField(**MINUTES, default=0, validators=[MinValueValidator(0)])
    required_skill = models.CharField(max_length=120, blank=True)
    work_instructions = models.TextField(blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["routing", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "routing", "sequence"], name="operation_sequence_unique"),
            models.CheckConstraint(condition=Q(setup_time_minutes__gte=0), name="operation_setup_not_negative"),
            models.CheckConstraint(condition=Q(run_time_per_unit_minutes__gte=0), name="operation_run_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.description}"
