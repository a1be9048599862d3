"""Engineering master data: units of measure and items (BOMs, drawings and documents follow).

Quantities are `Decimal` with QUANTITY precision everywhere in the platform; conversions
between units are exact fractions (numerator/denominator), never floats.
"""

from __future__ import annotations

from fractions import Fraction

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from shopfloor.core.models import CustomFieldsModel, TenantModel

# Every stored quantity in the platform: up to 14 digits before the point, 6 after.
QUANTITY = {"max_digits": 20, "decimal_places": 6}
# Money per unit (standard cost, prices): 6 decimals for cheap fasteners bought by the thousand.
MONEY = {"max_digits": 20, "decimal_places": 6}


class UnitCategory(TenantModel):
    """What a unit measures (count, mass, length, volume, time...): units convert within one."""

    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["name"]
        verbose_name_plural = "unit categories"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unit_category_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(TenantModel):
    """A unit of measure: `factor` base units make one of it (1 km = 1000 m: 1000/1)."""

    category = models.ForeignKey(UnitCategory, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(max_length=16, help_text="Short symbol, e.g. kg, m, ea, h.")
    name = models.CharField(max_length=60)
    factor_numerator = models.PositiveBigIntegerField(default=1, validators=[MinValueValidator(1)])
    factor_denominator = models.PositiveBigIntegerField(default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)

    class Meta(TenantModel.Meta):
        ordering = ["category__name", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="unit_code_unique"),
            models.CheckConstraint(
                condition=Q(factor_numerator__gte=1) & Q(factor_denominator__gte=1), name="unit_factor_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def factor(self) -> Fraction:
        """Base units in one of this unit, exactly."""
        return Fraction(self.factor_numerator, self.factor_denominator)


class Item(TenantModel, CustomFieldsModel):
    """Anything the plant buys, makes, stocks or uses: from a bar of 4140 steel to a drill bit."""

    class Type(models.TextChoices):
        RAW_MATERIAL = "raw_material", "Raw material"
        PURCHASED_COMPONENT = "purchased_component", "Purchased component"
        MANUFACTURED_PART = "manufactured_part", "Manufactured part"
        ASSEMBLY = "assembly", "Assembly"
        FINISHED_PRODUCT = "finished_product", "Finished product"
        CONSUMABLE = "consumable", "Consumable"
        TOOL = "tool", "Tool"

    class MakeOrBuy(models.TextChoices):
        MAKE = "make", "Make"
        BUY = "buy", "Buy"

    class Tracking(models.TextChoices):
        NONE = "none", "Not tracked"
        LOT = "lot", "By lot"
        SERIAL = "serial", "By serial number"

    class LotSizeRule(models.TextChoices):
        LOT_FOR_LOT = "lot_for_lot", "Lot for lot"
        FIXED = "fixed", "Fixed lot size"
        MIN_MAX = "min_max", "Minimum / maximum"
        PERIOD = "period", "Period order quantity"

    number = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    item_type = models.CharField(max_length=24, choices=Type.choices, default=Type.MANUFACTURED_PART)
    make_or_buy = models.CharField(max_length=4, choices=MakeOrBuy.choices, default=MakeOrBuy.MAKE)
    stock_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    tracking = models.CharField(max_length=8, choices=Tracking.choices, default=Tracking.NONE)
    revision = models.CharField(max_length=16, blank=True, default="A")
    status = models.CharField(max_length=40, default="draft", editable=False, db_index=True)
    # Planning
    purchase_lead_time_days = models.PositiveIntegerField(default=0)
    manufacturing_lead_time_days = models.PositiveIntegerField(default=0)
    lot_size_rule = models.CharField(max_length=12, choices=LotSizeRule.choices, default=LotSizeRule.LOT_FOR_LOT)
    fixed_lot_size = models.DecimalField(**QUANTITY, null=True, blank=True, validators=[MinValueValidator(0)])
    minimum_lot_size = models.DecimalField(**QUANTITY, null=True, blank=True, validators=[MinValueValidator(0)])
    maximum_lot_size = models.DecimalField(**QUANTITY, null=True, blank=True, validators=[MinValueValidator(0)])
    lot_multiple = models.DecimalField(**QUANTITY, null=True, blank=True, validators=[MinValueValidator(0)])
    period_days = models.PositiveIntegerField(null=True, blank=True)
    safety_stock = models.DecimalField(**QUANTITY, default=0, validators=[MinValueValidator(0)])
    reorder_point = models.DecimalField(**QUANTITY, null=True, blank=True, validators=[MinValueValidator(0)])
    minimum_stock = models.DecimalField(**QUANTITY, null=True, blank=True, validators=[MinValueValidator(0)])
    maximum_stock = models.DecimalField(**QUANTITY, null=True, blank=True, validators=[MinValueValidator(0)])
    # Costing
    standard_cost = models.DecimalField(**MONEY, default=0, validators=[MinValueValidator(0)])
    # Quality
    inspect_on_receipt = models.BooleanField(
        default=False,
        help_text="Receipts go to quarantine until inspected (receiving inspection).",
    )

    class Meta(TenantModel.Meta):
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="item_number_unique"),
            models.CheckConstraint(condition=Q(safety_stock__gte=0), name="item_safety_stock_not_negative"),
            models.CheckConstraint(condition=Q(standard_cost__gte=0), name="item_standard_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(minimum_lot_size__isnull=True)
                | Q(maximum_lot_size__isnull=True)
                | Q(minimum_lot_size__lte=models.F("maximum_lot_size")),
                name="item_lot_size_range",
            ),
            models.CheckConstraint(
                condition=Q(minimum_stock__isnull=True)
                | Q(maximum_stock__isnull=True)
                | Q(minimum_stock__lte=models.F("maximum_stock")),
                name="item_stock_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class ItemUnitConversion(TenantModel):
    """An item-specific unit: one `unit` of this item is `factor` stock units (a box of 12 ea).

    Also how a unit of another category converts for this item (1 m of this bar weighs 6.2 kg).
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="unit_conversions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    factor_numerator = models.PositiveBigIntegerField(validators=[MinValueValidator(1)])
    factor_denominator = models.PositiveBigIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta(TenantModel.Meta):
        ordering = ["item", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "item", "unit"], name="item_unit_conversion_unique"),
            models.CheckConstraint(
                condition=Q(factor_numerator__gte=1) & Q(factor_denominator__gte=1),
                name="item_unit_conversion_factor_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.unit} of {self.item.number} = {self.factor} {self.item.stock_unit}"

    @property
    def factor(self) -> Fraction:
        return Fraction(self.factor_numerator, self.factor_denominator)


class BomVersion(TenantModel):
    """One version of the bill of materials of `item`: drafts are edited, one released is used.

    Only the released version feeds production and planning; releasing another makes the
    previous one obsolete (the database holds "one released per item" too).
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="bom_versions")
    version = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=40, default="draft", editable=False, db_index=True)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["item", "-version"]
        verbose_name = "BOM version"
        constraints = [
            models.UniqueConstraint(fields=["organization", "item", "version"], name="bom_version_unique"),
            models.UniqueConstraint(
                fields=["organization", "item"], condition=Q(status="released"), name="bom_one_released_per_item"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="bom_version_positive"),
            models.CheckConstraint(
                condition=Q(effective_from__isnull=True)
                | Q(effective_to__isnull=True)
                | Q(effective_from__lte=models.F("effective_to")),
                name="bom_version_effective_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.number} BOM v{self.version}"


class BomLine(TenantModel):
    """A component of a BOM version: `quantity` of `unit` per one stock unit of the parent.

    Scrap is a fraction of what is issued that is lost (0.05 = 5 %): the requirement is
    quantity / (1 - scrap). A phantom is built and consumed at once: planning explodes through
    it and never stocks it.
    """

    version = models.ForeignKey(BomVersion, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=10)
    component = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="bom_lines")
    quantity = models.DecimalField(**QUANTITY)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    scrap_factor = models.DecimalField(
        max_digits=7, decimal_places=6, default=0, help_text="Fraction lost in production, 0 <= scrap < 1."
    )
    is_phantom = models.BooleanField(default=False)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    reference_designators = models.TextField(blank=True, help_text='Where it goes on the board, e.g. "C1, C2, R5".')
    notes = models.CharField(max_length=200, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["version", "position", "id"]
        verbose_name = "BOM line"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bom_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(scrap_factor__gte=0) & Q(scrap_factor__lt=1), name="bom_line_scrap_fraction"
            ),
            models.CheckConstraint(
                condition=Q(effective_from__isnull=True)
                | Q(effective_to__isnull=True)
                | Q(effective_from__lte=models.F("effective_to")),
                name="bom_line_effective_range",
            ),
        ]
        indexes = [models.Index(fields=["organization", "component"], name="bom_line_component_idx")]

    def __str__(self) -> str:
        return f"{self.position}: {self.quantity} {self.unit} {self.component.number}"


# --- Drawings and documents ------------------------------------------------------------------------


class Document(TenantModel):
    """A drawing, specification, work instruction or certificate: a number and its revisions."""

    class Kind(models.TextChoices):
        DRAWING = "drawing", "Drawing"
        SPECIFICATION = "specification", "Specification"
        WORK_INSTRUCTION = "work_instruction", "Work instruction"
        CERTIFICATE = "certificate", "Certificate"
        OTHER = "other", "Other"

    number = models.CharField(max_length=40, editable=False)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DRAWING)
    description = models.TextField(blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="document_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


def revision_upload_path(revision: DocumentRevision, filename: str) -> str:
    """Files live per organization and document; a random part keeps names unguessable and unique."""
    import uuid
    from pathlib import PurePosixPath

    name = PurePosixPath(filename).name[-100:] or "file"
    return f"documents/{revision.organization_id}/{revision.document_id}/{uuid.uuid4().hex}_{name}"


class DocumentRevision(TenantModel):
    """One revision of a document's file. Released and superseded revisions never change.

    `sha256` is computed by the service while the upload is read, and checked again before
    every download, so a file altered on disk is refused rather than served.
    """

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="revisions")
    revision = models.CharField(max_length=16, help_text="Revision label, e.g. A, B, 02.")
    file = models.FileField(upload_to=revision_upload_path, max_length=300)
    original_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    content_type = models.CharField(max_length=100, editable=False)
    uploaded_by = models.ForeignKey("core.User", null=True, on_delete=models.PROTECT, related_name="+", editable=False)
    uploaded_at = models.DateTimeField(editable=False)
    status = models.CharField(max_length=40, default="draft", editable=False, db_index=True)
    notes = models.TextField(blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["document", "-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "revision"], name="document_revision_label_unique"),
            models.UniqueConstraint(
                fields=["document"], condition=Q(status="released"), name="document_one_released_revision"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document.number} rev {self.revision}"


class DocumentLink(TenantModel):
    """A document attached to an item, a BOM version or an operation (by type and id).

    A generic reference rather than foreign keys: the linked apps sit above the catalog, and
    the service checks at write time that the target exists in the same organization.
    """

    TARGET_TYPES = ("catalog.item", "catalog.bomversion", "resources.operation")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="links")
    object_type = models.CharField(max_length=60, choices=[(t, t) for t in TARGET_TYPES])
    object_id = models.PositiveBigIntegerField()

    class Meta(TenantModel.Meta):
        ordering = ["document", "object_type", "object_id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "object_type", "object_id"], name="document_link_unique"),
        ]
        indexes = [models.Index(fields=["organization", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.document.number} -> {self.object_type} #{self.object_id}"
