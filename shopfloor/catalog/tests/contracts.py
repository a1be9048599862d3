"""Catalog API contracts for the shared contract suite."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from shopfloor.core.tests.contract import Contract, unique

from .factories import (
    BomLineFactory,
    BomVersionFactory,
    DocumentFactory,
    DocumentLinkFactory,
    DocumentRevisionFactory,
    ItemFactory,
    ItemUnitConversionFactory,
    UnitCategoryFactory,
    UnitFactory,
)


def _unit_payload() -> dict:
    return {"category": UnitCategoryFactory().pk, "code": unique("bx"), "name": "Box", "factor_numerator": 12}


def _item_payload() -> dict:
    return {
        "number": unique("BIT-"),
        "name": "PDC bit 8 1/2in",
        "stock_unit": UnitFactory().pk,
        "item_type": "finished_product",
        "tracking": "serial",
    }


def _conversion_payload() -> dict:
    item = ItemFactory()
    unit = UnitFactory(category=item.stock_unit.category)
    return {"item": item.pk, "unit": unit.pk, "factor_numerator": 25}


def _bom_line_payload() -> dict:
    component = ItemFactory()
    return {
        "version": BomVersionFactory().pk,
        "component": component.pk,
        "unit": component.stock_unit_id,
        "quantity": "2.000000",
        "scrap_factor": "0.050000",
    }


CONTRACTS: dict[str, Contract] = {
    "catalog/unit-categories": Contract(
        factory=UnitCategoryFactory,
        payload=lambda: {"name": unique("Area "), "description": "Base: square metre"},
        update={"description": "Base: m2"},
    ),
    "catalog/units": Contract(
        factory=UnitFactory,
        payload=_unit_payload,
        update={"name": "Carton", "factor_numerator": 24},
    ),
    "catalog/items": Contract(
        factory=ItemFactory,
        payload=_item_payload,
        update={"name": "PDC bit 12 1/4in", "standard_cost": "1520.500000"},
    ),
    "catalog/item-unit-conversions": Contract(
        factory=ItemUnitConversionFactory,
        payload=_conversion_payload,
        update={"factor_numerator": 50},
    ),
    "catalog/bom-versions": Contract(
        factory=BomVersionFactory,
        payload=lambda: {"item": ItemFactory().pk, "notes": "First cut"},
        update={"notes": "Second cut", "effective_from": "2026-01-01"},
        put=lambda version: {"item": version.item_id, "notes": "Put in full"},
        actions={"release": 400, "copy": 201},
        note="release of a fresh (empty) draft is refused: a BOM without lines is not released",
    ),
    "catalog/bom-lines": Contract(
        factory=BomLineFactory,
        payload=_bom_line_payload,
        update={"quantity": "3.500000", "reference_designators": ""},
        put=lambda line: {
            "version": line.version_id,
            "component": line.component_id,
            "unit": line.unit_id,
            "quantity": "4.000000",
        },
    ),
}

CONTRACTS.update(
    {
        "catalog/documents": Contract(
            factory=DocumentFactory,
            payload=lambda: {"title": unique("Bit body drawing "), "kind": "drawing"},
            update={"title": "Bit body drawing, matrix", "kind": "specification"},
        ),
        "catalog/document-revisions": Contract(
            factory=DocumentRevisionFactory,
            payload=lambda: {
                "document": DocumentFactory().pk,
                "revision": unique("R"),
                "file": SimpleUploadedFile("body.pdf", b"%PDF-1.4 bit body", content_type="application/pdf"),
            },
            update={"notes": "Checked against the model"},
            put=lambda rev: {"document": rev.document_id, "revision": rev.revision, "notes": "Put in full"},
            note="create is a multipart upload; the file never changes afterwards",
        ),
        "catalog/document-links": Contract(
            factory=DocumentLinkFactory,
            payload=lambda: {
                "document": DocumentFactory().pk,
                "object_type": "catalog.item",
                "object_id": ItemFactory().pk,
            },
            operations=frozenset({"list", "retrieve", "create", "delete"}),
            note="a link is added or removed, never edited",
        ),
    }
)

NOT_EXPOSED: dict[str, str] = {}
