"""Partners: the customers we build and repair for, their sites (rigs and wells), and the
suppliers we buy from.

A customer's work happens at sites: a rig (the drilling unit, run by a contractor) and the
wells it drills (in a field, for an operator). Sales orders and field assets point at these
sites so a bit can be followed from the shop to the hole and back.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from shopfloor.core.models import CustomFieldsModel, TenantModel


class Customer(TenantModel, CustomFieldsModel):
    """Someone we sell to or repair for: an operator, a drilling contractor, a distributor."""

    number = models.CharField(max_length=40, editable=False, help_text="Issued on creation (CUS-000001).")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True, max_length=1000)
    notes = models.TextField(blank=True, max_length=4000)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="customer_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Supplier(TenantModel, CustomFieldsModel):
    """Someone we buy from. Only an approved or conditionally approved supplier gets orders."""

    class ApprovalStatus(models.TextChoices):
        APPROVED = "approved", "Approved"
        CONDITIONAL = "conditional", "Conditional"
        BLOCKED = "blocked", "Blocked"

    number = models.CharField(max_length=40, editable=False, help_text="Issued on creation (SUP-000001).")
    name = models.CharField(max_length=200)
    approval_status = models.CharField(
        max_length=12, choices=ApprovalStatus.choices, default=ApprovalStatus.APPROVED, db_index=True
    )
    approval_note = models.CharField(max_length=300, blank=True, help_text="Why conditional or blocked.")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True, max_length=1000)
    currency = models.CharField(max_length=3, blank=True, default="USD")
    lead_time_days = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True, max_length=4000)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="supplier_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def can_receive_orders(self) -> bool:
        return self.is_active and self.approval_status != self.ApprovalStatus.BLOCKED


class Contact(TenantModel):
    """A person at a customer or at a supplier (exactly one of the two)."""

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts")
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=120, blank=True, help_text="Role, e.g. drilling superintendent, buyer.")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        ordering = ["-is_primary", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(customer__isnull=False) & Q(supplier__isnull=True))
                | (Q(customer__isnull=True) & Q(supplier__isnull=False)),
                name="contact_belongs_to_one_partner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Rig(TenantModel):
    """A drilling unit working for a customer, run by a drilling contractor."""

    class RigType(models.TextChoices):
        LAND = "land", "Land"
        JACKUP = "jackup", "Jack-up"
        SEMISUBMERSIBLE = "semisubmersible", "Semi-submersible"
        DRILLSHIP = "drillship", "Drillship"
        PLATFORM = "platform", "Platform"
        OTHER = "other", "Other"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="rigs")
    name = models.CharField(max_length=120)
    contractor = models.CharField(max_length=120, blank=True, help_text="The drilling contractor running it.")
    rig_type = models.CharField(max_length=16, choices=RigType.choices, default=RigType.LAND)
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "customer", "name"], name="rig_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Well(TenantModel):
    """A well a customer drills (optionally with one of its rigs), where our bits run."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="wells")
    rig = models.ForeignKey(Rig, null=True, blank=True, on_delete=models.SET_NULL, related_name="wells")
    name = models.CharField(max_length=120)
    field = models.CharField(max_length=120, blank=True, help_text="Oil or gas field.")
    operator = models.CharField(max_length=120, blank=True, help_text="The company operating the well.")
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    planned_depth = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Planned measured depth in metres.",
    )
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "customer", "name"], name="well_name_unique"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | (Q(latitude__gte=-90) & Q(latitude__lte=90)),
                name="well_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | (Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="well_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(planned_depth__isnull=True) | Q(planned_depth__gte=0),
                name="well_planned_depth_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name
