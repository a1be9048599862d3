import hashlib

import factory
from django.utils import timezone

from shopfloor.catalog.models import (
    BomLine,
    BomVersion,
    Document,
    DocumentLink,
    DocumentRevision,
    Item,
    ItemUnitConversion,
    Unit,
    UnitCategory,
)
from shopfloor.core.tests.factories import TenantFactory


class UnitCategoryFactory(TenantFactory):
    class Meta:
        model = UnitCategory

    name = factory.Sequence(lambda n: f"Category {n}")


class UnitFactory(TenantFactory):
    class Meta:
        model = Unit

    category = factory.SubFactory(UnitCategoryFactory, organization=factory.SelfAttribute("..organization"))
    code = factory.Sequence(lambda n: f"u{n}")
    name = factory.Sequence(lambda n: f"Unit {n}")


class ItemFactory(TenantFactory):
    class Meta:
        model = Item

    number = factory.Sequence(lambda n: f"IT-{n + 1:05d}")
    name = factory.Sequence(lambda n: f"Part {n}")
    stock_unit = factory.SubFactory(UnitFactory, organization=factory.SelfAttribute("..organization"))


class ItemUnitConversionFactory(TenantFactory):
    class Meta:
        model = ItemUnitConversion

    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))
    unit = factory.SubFactory(
        UnitFactory,
        organization=factory.SelfAttribute("..organization"),
        category=factory.SelfAttribute("..item.stock_unit.category"),
    )
    factor_numerator = 12


class BomVersionFactory(TenantFactory):
    class Meta:
        model = BomVersion

    item = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))
    version = factory.Sequence(lambda n: n + 1)


class BomLineFactory(TenantFactory):
    class Meta:
        model = BomLine

    version = factory.SubFactory(BomVersionFactory, organization=factory.SelfAttribute("..organization"))
    position = factory.Sequence(lambda n: (n + 1) * 10)
    component = factory.SubFactory(ItemFactory, organization=factory.SelfAttribute("..organization"))
    unit = factory.SelfAttribute("component.stock_unit")
    quantity = 1


DRAWING_BYTES = b"%PDF-1.4\n% drawing of a PDC bit body, rev A\n"


class DocumentFactory(TenantFactory):
    class Meta:
        model = Document

    number = factory.Sequence(lambda n: f"DOC-T{n + 1:05d}")
    title = factory.Sequence(lambda n: f"Bit body drawing {n}")
    kind = Document.Kind.DRAWING


class DocumentRevisionFactory(TenantFactory):
    """A draft revision with a real stored file whose SHA-256 matches (as the upload service records)."""

    class Meta:
        model = DocumentRevision

    document = factory.SubFactory(DocumentFactory, organization=factory.SelfAttribute("..organization"))
    revision = factory.Sequence(lambda n: f"R{n}")
    file = factory.django.FileField(data=DRAWING_BYTES, filename="drawing.pdf")
    original_name = "drawing.pdf"
    sha256 = hashlib.sha256(DRAWING_BYTES).hexdigest()
    size = len(DRAWING_BYTES)
    content_type = "application/pdf"
    uploaded_at = factory.LazyFunction(timezone.now)


class DocumentLinkFactory(TenantFactory):
    class Meta:
        model = DocumentLink

    document = factory.SubFactory(DocumentFactory, organization=factory.SelfAttribute("..organization"))
    object_type = "catalog.item"
    object_id = factory.LazyAttribute(lambda o: ItemFactory(organization=o.organization).pk)
