"""Labels for lots, serial numbers and locations: one PDF page per label, sized for the printer.

A label carries a QR code with the scan code (`codes.py`) that the /floor/ terminal and the stock
pages read back, the number in large type for people, a few lines of detail, and, when the label
is wide enough, a Code 128 of the number for older one-dimensional scanners.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from reportlab.lib.units import mm

from shopfloor.inventory.models import Location, Lot, SerialNumber

from . import codes
from .pdf import draw_code128, draw_qr, fit, new_canvas


@dataclass(frozen=True)
class LabelSize:
    """A label stock: width and height in millimetres and how large the type may be."""

    name: str
    width_mm: float
    height_mm: float
    title_pt: float
    line_pt: float
    lines: int

    @property
    def pagesize(self) -> tuple[float, float]:
        return (self.width_mm * mm, self.height_mm * mm)


# 100x50: the common shipping/bin label on 4-inch printers; 62x29: Brother QL die-cut address labels.
SIZES: dict[str, LabelSize] = {
    "100x50": LabelSize("100x50", 100, 50, title_pt=16, line_pt=9, lines=3),
    "62x29": LabelSize("62x29", 62, 29, title_pt=10, line_pt=6.5, lines=2),
}
DEFAULT_SIZE = "100x50"
MAX_LABELS = 500  # one print job; more is a mistake (or a batch better split by location)


@dataclass(frozen=True)
class Label:
    """What one label shows: the QR payload, the big number, detail lines, the Code 128 text."""

    code: str
    title: str
    lines: tuple[str, ...] = field(default_factory=tuple)
    barcode: str = ""


def size_named(name: str | None) -> LabelSize:
    """The label size for a request parameter (400 with the choices for anything else)."""
    key = (name or DEFAULT_SIZE).strip().lower()
    if key not in SIZES:
        raise ValidationError({"size": [f"Use one of: {', '.join(SIZES)}."]})
    return SIZES[key]


def lot_label(lot: Lot) -> Label:
    item = lot.item
    lines = [item.name]
    if lot.supplier_lot:
        lines.append(f"Supplier lot {lot.supplier_lot}")
    dates = []
    if lot.manufactured_on:
        dates.append(f"Made {lot.manufactured_on:%Y-%m-%d}")
    if lot.expires_on:
        dates.append(f"Use by {lot.expires_on:%Y-%m-%d}")
    if dates:
        lines.append("  ".join(dates))
    return Label(
        code=codes.lot_code(item.number, lot.number),
        title=f"{item.number}  Lot {lot.number}",
        lines=tuple(lines),
        barcode=lot.number,
    )


def serial_label(serial: SerialNumber) -> Label:
    item = serial.item
    lines = [item.name]
    if serial.lot_id:
        lines.append(f"Lot {serial.lot.number}")
    if item.revision:
        lines.append(f"Rev {item.revision}")
    return Label(
        code=codes.serial_code(item.number, serial.serial),
        title=f"{item.number}  SN {serial.serial}",
        lines=tuple(lines),
        barcode=serial.serial,
    )


def location_label(location: Location) -> Label:
    lines = [location.name, f"{location.plant.code} · {location.get_location_type_display()}"]
    return Label(
        code=codes.location_code(location.plant.code, location.code),
        title=location.code,
        lines=tuple(lines),
        barcode=location.code,
    )


def label_for(obj: Lot | SerialNumber | Location) -> Label:
    if isinstance(obj, Lot):
        return lot_label(obj)
    if isinstance(obj, SerialNumber):
        return serial_label(obj)
    if isinstance(obj, Location):
        return location_label(obj)
    raise TypeError(f"No label for {type(obj).__name__}")


def render(labels: Iterable[Label], *, size: LabelSize, barcode: bool = True, copies: int = 1) -> bytes:
    """The PDF: one page per label (times `copies`), page size = label size, as printers expect."""
    labels = list(labels)
    if not labels:
        raise ValidationError({"labels": ["Nothing to print."]})
    if not 1 <= copies <= 50:
        raise ValidationError({"copies": ["Print 1 to 50 copies."]})
    if len(labels) * copies > MAX_LABELS:
        raise ValidationError({"labels": [f"At most {MAX_LABELS} labels in one print job."]})
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, size.pagesize, title=labels[0].title if len(labels) == 1 else "Labels")
    for label in labels:
        for _ in range(copies):
            _draw(canvas, label, size, barcode)
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw(canvas, label: Label, size: LabelSize, barcode: bool) -> None:  # type: ignore[no-untyped-def]
    width, height = size.pagesize
    margin = 2.5 * mm if size.height_mm < 40 else 3 * mm
    qr_size = height - 2 * margin
    draw_qr(canvas, label.code, margin, margin, qr_size)

    left = margin + qr_size + 2 * mm
    text_width = width - left - margin
    top = height - margin

    text, pt = fit(label.title, "Helvetica-Bold", size.title_pt, text_width, smallest=size.title_pt * 0.6)
    y = top - pt
    canvas.setFont("Helvetica-Bold", pt)
    canvas.drawString(left, y, text)

    canvas.setFont("Helvetica", size.line_pt)
    for line in label.lines[: size.lines]:
        y -= size.line_pt * 1.3
        canvas.drawString(left, y, fit(line, "Helvetica", size.line_pt, text_width)[0])

    # The scan code itself, small, at the bottom: a person can type it when the QR is torn.
    code_pt = 6 if size.height_mm >= 40 else 5
    code_text, code_pt = fit(label.code, "Helvetica", code_pt, text_width, smallest=4)
    canvas.setFont("Helvetica", code_pt)
    canvas.drawString(left, margin, code_text)

    if barcode and label.barcode:
        bar_bottom = margin + code_pt + 1.5 * mm
        bar_height = min(10 * mm, y - size.line_pt - bar_bottom)
        if bar_height >= 5 * mm:
            draw_code128(canvas, label.barcode, left, bar_bottom, text_width, bar_height)
