"""Nonconformance reports (NCRs), dispositions and corrective/preventive actions (CAPA).

An NCR records material that does not conform: where it came from (a receipt, an operation,
a customer return, an audit, an inspection), how much and which lots/serials, what was done
to contain it, why it happened, and what is done with it (dispositions, which act on stock
through the inventory and production services). A closed NCR never changes again. A CAPA
is an action against the cause, owned by a person with a due date, closed only after its
effectiveness was checked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from shopfloor.catalog.models import QUANTITY
from shopfloor.core.models import PlantModel, TenantModel

__all__ = ["Ncr", "NcrItem", "Disposition", "Capa"]


class NcrSource(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    OPERATION = "operation", "Operation"
    CUSTOMER_RETURN = "customer_return", "Customer return"
    AUDIT = "audit", "Audit"
    INSPECTION = "inspection", "Inspection"


class CauseCategory(models.TextChoices):
    """The six Ms of the Ishikawa diagram."""

    MAN = "man", "Man (people)"
    MACHINE = "machine", "Machine"
    METHOD = "method", "Method"
    MATERIAL = "material", "Material"
    MEASUREMENT = "measurement", "Measurement"
    ENVIRONMENT = "environment", "Environment"


class Ncr(PlantModel):
    """One nonconformance: its source, the affected material, containment and root cause."""

    Source = NcrSource
    CauseCategory = CauseCategory

    number = models.CharField(max_length=40, editable=False)
    status = models.CharField(max_length=40, default="open", editable=False, db_index=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=NcrSource.choices)
    item = models.ForeignKey("catalog.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, help_text="Affected quantity, in the item's stock unit.")
    location = models.ForeignKey(
        "inventory.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the affected material is held (usually quarantine).",
    )
    supplier = models.ForeignKey("partners.Supplier", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    customer = models.ForeignKey("partners.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    receipt_line = models.ForeignKey(
        "purchasing.ReceiptLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    work_order = models.ForeignKey(
        "production.WorkOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operation = models.ForeignKey(
        "production.Operation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A link to the record that raised it (e.g. an inspection), kept generic on purpose.
    origin_type = models.CharField(max_length=60, blank=True)
    origin_id = models.PositiveBigIntegerField(null=True, blank=True)
    containment = models.TextField(blank=True, help_text="What was done at once to contain the problem.")
    why_1 = models.CharField(max_length=300, blank=True)
    why_2 = models.CharField(max_length=300, blank=True)
    why_3 = models.CharField(max_length=300, blank=True)
    why_4 = models.CharField(max_length=300, blank=True)
    why_5 = models.CharField(max_length=300, blank=True)
    cause_category = models.CharField(max_length=20, choices=CauseCategory.choices, blank=True)
    root_cause = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A failed in-process inspection holds its work order until the NCR is dispositioned.
    work_order_held = models.BooleanField(
        default=False, editable=False, help_text="This NCR holds its work order until it is dispositioned."
    )
    work_order_held_from = models.CharField(
        max_length=40, blank=True, editable=False, help_text="The work order's state before the hold."
    )

    class Meta(PlantModel.Meta):
        ordering = ["-id"]
        verbose_name = "NCR"
        verbose_name_plural = "NCRs"
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="ncr_number_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="ncr_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class NcrItem(TenantModel):
    """One affected lot or serial (or untracked quantity) of an NCR."""

    ncr = models.ForeignKey(Ncr, on_delete=models.CASCADE, related_name="affected")
    lot = models.ForeignKey("inventory.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    serial = models.ForeignKey(
        "inventory.SerialNumber", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField(**QUANTITY)

    class Meta(TenantModel.Meta):
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="ncritem_quantity_positive")]


class Disposition(TenantModel):
    """What is done with (part of) the affected material; each one acts on stock when posted."""

    class Kind(models.TextChoices):
        USE_AS_IS = "use_as_is", "Use as is (concession)"
        REWORK = "rework", "Rework"
        REPAIR = "repair", "Repair"
        SCRAP = "scrap", "Scrap"
        RETURN_TO_SUPPLIER = "return_to_supplier", "Return to supplier"

    ncr = models.ForeignKey(Ncr, on_delete=models.PROTECT, related_name="dispositions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    quantity = models.DecimalField(**QUANTITY)
    lot = models.ForeignKey("inventory.Lot", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    serial = models.ForeignKey(
        "inventory.SerialNumber", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    work_order = models.ForeignKey(
        "production.WorkOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stock_move = models.ForeignKey(
        "inventory.StockMove", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    concession_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    concession_approved_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="disposition_quantity_positive")]


class Capa(TenantModel):
    """A corrective or preventive action, owned by a person, closed after an effectiveness check."""

    class Kind(models.TextChoices):
        CORRECTIVE = "corrective", "Corrective"
        PREVENTIVE = "preventive", "Preventive"

    class Source(models.TextChoices):
        NCR = "ncr", "NCR"
        AUDIT = "audit", "Audit"

    number = models.CharField(max_length=40, editable=False)
    status = models.CharField(max_length=40, default="open", editable=False, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CORRECTIVE)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.NCR)
    ncr = models.ForeignKey(Ncr, on_delete=models.PROTECT, null=True, blank=True, related_name="capas")
    audit_reference = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    effectiveness_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    effectiveness_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    effective = models.BooleanField(null=True, blank=True, editable=False)
    effectiveness_note = models.TextField(blank=True, editable=False)
    last_reminded_on = models.DateField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        ordering = ["due_date", "id"]
        verbose_name = "CAPA"
        verbose_name_plural = "CAPAs"
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="capa_number_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
