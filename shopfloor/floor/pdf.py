"""Drawing pieces shared by labels and travellers: QR codes and Code 128 bars as vector shapes.

Both are drawn as filled rectangles, not pictures: a label printer at 203 or 300 dpi then gets
edges on its own dot grid whatever the scale, and the PDF stays small and text-searchable.
"""

from __future__ import annotations

import segno
from barcode import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

# Narrowest Code 128 bar we print: two dots of a 203 dpi printer. Thinner bars smear.
MIN_BAR_WIDTH = 0.25 * mm
QR_BORDER = 2  # modules of quiet zone drawn inside the QR's square (the label margin adds more)


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR's dark modules, row by row, without border (error correction M: survives a scuff)."""
    qr = segno.make(payload, error="m", micro=False, boost_error=False)
    return [[bool(cell) for cell in row] for row in qr.matrix]


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> int:
    """A QR code of `payload` filling the square (x, y, size) (y is the bottom). Returns its version.

    Runs of dark modules in a row are drawn as one rectangle: fewer operators, no hairline gaps.
    """
    matrix = qr_matrix(payload)
    count = len(matrix) + 2 * QR_BORDER
    module = size / count
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        top = y + size - (r + QR_BORDER + 1) * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            path.rect(x + (start + QR_BORDER) * module, top, (c - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
    return (len(matrix) - 17) // 4


def code128_modules(text: str) -> str:
    """The bar pattern of `text` in Code 128 ('1' a dark module), quiet zones excluded."""
    return Code128(text).build()[0]


def code128_width(text: str, bar: float = MIN_BAR_WIDTH) -> float:
    return (len(code128_modules(text)) + 20) * bar  # ten modules of quiet zone each side


def draw_code128(canvas: Canvas, text: str, x: float, y: float, width: float, height: float) -> bool:
    """Code 128 of `text` in the box, bars as wide as fit (at least MIN_BAR_WIDTH).

    Returns False and draws nothing when the box is too narrow: a barcode that does not scan
    is worse than none, and the QR next to it carries the same number.
    """
    modules = code128_modules(text)
    bar = width / (len(modules) + 20)
    if bar < MIN_BAR_WIDTH:
        return False
    bar = min(bar, 0.5 * mm)
    left = x + (width - len(modules) * bar) / 2
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    i = 0
    while i < len(modules):
        if modules[i] != "1":
            i += 1
            continue
        start = i
        while i < len(modules) and modules[i] == "1":
            i += 1
        path.rect(left + start * bar, y, (i - start) * bar, height)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
    return True


def fit(text: str, font: str, size: float, width: float, smallest: float | None = None) -> tuple[str, float]:
    """(text, font size) that fit `width`: shrink down to `smallest`, then cut with an ellipsis."""
    smallest = smallest or size
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    if stringWidth(text, font, size) <= width:
        return text, size
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def new_canvas(buffer: object, pagesize: tuple[float, float], title: str) -> Canvas:
    """A canvas with uncompressed, reproducible output (same input, same bytes; text greppable)."""
    canvas = Canvas(buffer, pagesize=pagesize, pageCompression=0, invariant=1)
    canvas.setTitle(title)
    canvas.setAuthor("Shopfloor")
    canvas.setCreator("Shopfloor")
    return canvas
