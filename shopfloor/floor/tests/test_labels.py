"""Scan codes and label PDFs: what is printed is what the terminal reads back."""

from __future__ import annotations

import datetime

import pytest
import segno
from django.core.exceptions import ValidationError
from reportlab.lib.units import mm

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core.tests.factories import PlantFactory
from shopfloor.floor import codes, labels, selectors
from shopfloor.floor.pdf import QR_BORDER
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory, SerialNumberFactory

from . import pdfcheck

# --- Codes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind, parts",
    [
        ("WO-000123", codes.WORK_ORDER, ("WO-000123",)),
        ("wo-000123", codes.WORK_ORDER, ("WO-000123",)),
        ("WO-000123/20", codes.OPERATION, ("WO-000123", "20")),
        ("WO-000123/020", codes.OPERATION, ("WO-000123", "20")),
        ("OP:42", codes.OPERATION, ("", "42")),
        ("LOT:CUTTER-13:L0001", codes.LOT, ("CUTTER-13", "L0001")),
        ("lot:CUTTER-13:L0001\r\n", codes.LOT, ("CUTTER-13", "L0001")),
        ("SN:BIT-8.5:PDC-0042", codes.SERIAL, ("BIT-8.5", "PDC-0042")),
        ("LOC:HOU:RCV-01", codes.LOCATION, ("HOU", "RCV-01")),
    ],
)
def test_scan_codes_read_as_printed(text, kind, parts):
    code = codes.parse(text)
    assert (code.kind, code.parts) == (kind, parts)


@pytest.mark.parametrize("text", ["", "   ", "HELLO", "LOT:ONLY-ITEM", "LOT::L1", "SN:a:b:c", "WO-12/x", "X" * 300])
def test_codes_that_are_not_codes_say_what_is_expected(text):
    with pytest.raises(ValidationError) as info:
        codes.parse(text)
    assert info.value.message_dict["code"]


def test_a_colon_inside_a_number_survives_the_round_trip():
    text = codes.lot_code("PIPE:3/4", "L%7:2")
    assert text == "LOT:PIPE%3A3/4:L%257%3A2"
    assert codes.parse(text).parts == ("PIPE:3/4", "L%7:2")
    assert codes.parse(text).text == text


# --- Label content --------------------------------------------------------------------------------


def test_lot_label_names_the_item_lot_and_dates(tenant):
    item = ItemFactory(number="CUTTER-13", name="PDC cutter 13 mm", tracking="lot")
    lot = LotFactory(
        item=item,
        number="L0001",
        supplier_lot="S-77",
        manufactured_on=datetime.date(2026, 1, 5),
        expires_on=datetime.date(2027, 1, 5),
    )
    label = labels.lot_label(lot)
    assert label.code == "LOT:CUTTER-13:L0001"
    assert label.title == "CUTTER-13  Lot L0001"
    assert label.lines == ("PDC cutter 13 mm", "Supplier lot S-77", "Made 2026-01-05  Use by 2027-01-05")
    assert label.barcode == "L0001"


def test_each_label_code_resolves_back_to_its_object(tenant):
    plant = PlantFactory(code="HOU")
    location = LocationFactory(plant=plant, code="RCV-01", name="Receiving dock")
    lot = LotFactory(item=ItemFactory(number="CUTTER-13", tracking="lot"), number="L0001")
    serial = SerialNumberFactory(item=ItemFactory(number="BIT-8.5", tracking="serial"), serial="PDC-0042")
    for obj in (location, lot, serial):
        assert selectors.resolve_stock(codes.parse(labels.label_for(obj).code)) == obj


def test_a_label_of_another_organization_names_nothing(org, other_org, admin_user):
    from shopfloor.core import tenancy

    with tenancy.use(other_org):
        lot = LotFactory(item=ItemFactory(number="CUTTER-13", tracking="lot"), number="L0001")
        text = labels.lot_label(lot).code
    with tenancy.use(org, admin_user), pytest.raises(ValidationError) as info:
        selectors.resolve_stock(codes.parse(text))
    assert info.value.message_dict["code"] == ["No lot L0001 of CUTTER-13."]


# --- The PDF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size, width, height", [("100x50", 100.0, 50.0), ("62x29", 62.0, 29.0)])
def test_label_page_has_the_label_stock_size_and_the_text(size, width, height):
    label = labels.Label(code="LOC:HOU:RCV-01", title="RCV-01", lines=("Receiving dock", "HOU · Receiving"))
    pages = pdfcheck.read(labels.render([label], size=labels.size_named(size)))
    assert len(pages) == 1
    assert (pages[0].width_mm, pages[0].height_mm) == (width, height)
    assert pages[0].texts == ["RCV-01", "Receiving dock", "HOU · Receiving", "LOC:HOU:RCV-01"]


@pytest.mark.parametrize("size", ["100x50", "62x29"])
def test_the_qr_drawn_is_the_qr_of_the_scan_code(size):
    """Rebuild the module grid from the rectangles in the PDF and compare it with the QR of the code."""
    payload = "LOT:CUTTER-13:L0001"
    stock = labels.size_named(size)
    page = pdfcheck.read(labels.render([labels.Label(code=payload, title="x")], size=stock, barcode=False))[0]
    matrix = [list(row) for row in segno.make(payload, error="m", micro=False, boost_error=False).matrix]
    count = len(matrix) + 2 * QR_BORDER
    expected = {(r + QR_BORDER, c + QR_BORDER) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}
    margin = (2.5 if stock.height_mm < 40 else 3) * mm
    side = stock.height_mm * mm - 2 * margin
    assert page.dark_cells(margin, margin, side, count) == expected


def test_code128_is_drawn_where_it_fits_and_left_out_where_it_would_not_scan():
    label = labels.Label(code="LOT:X:1", title="X", barcode="L0001")
    with_bars = pdfcheck.read(labels.render([label], size=labels.SIZES["100x50"]))[0]
    without = pdfcheck.read(labels.render([label], size=labels.SIZES["100x50"], barcode=False))[0]
    assert len(with_bars.rects) > len(without.rects)
    long = labels.Label(code="LOT:X:1", title="X", barcode="A-VERY-LONG-LOT-NUMBER-0000001")
    small = pdfcheck.read(labels.render([long], size=labels.SIZES["62x29"]))[0]
    small_without = pdfcheck.read(labels.render([long], size=labels.SIZES["62x29"], barcode=False))[0]
    assert len(small.rects) == len(small_without.rects)


def test_copies_make_one_page_each_and_long_names_are_cut_to_fit():
    label = labels.Label(code="LOC:HOU:A", title="A", lines=("A very long location name " * 5,))
    pages = pdfcheck.read(labels.render([label], size=labels.SIZES["62x29"], copies=3))
    assert len(pages) == 3
    assert pages[0].texts[1].endswith("…") and len(pages[0].texts[1]) < 60


def test_render_refuses_unknown_sizes_and_empty_or_huge_jobs():
    with pytest.raises(ValidationError) as info:
        labels.size_named("4x6in")
    assert "100x50" in info.value.message_dict["size"][0]
    with pytest.raises(ValidationError):
        labels.render([], size=labels.SIZES["100x50"])
    with pytest.raises(ValidationError):
        labels.render([labels.Label(code="LOC:A:B", title="B")] * 11, size=labels.SIZES["100x50"], copies=50)
