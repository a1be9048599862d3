"""Reading back the PDFs we write (uncompressed, see `floor.pdf.new_canvas`), without a PDF library.

Enough of the file format to check what a printer and a person get: the pages, their size in
millimetres, and the strings drawn on each page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

POINT_MM = 25.4 / 72

_MEDIABOX = re.compile(rb"/MediaBox \[ *([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) *\]")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_RECT = re.compile(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re")
_TEXT = re.compile(rb"\(((?:\\.|[^\\)])*)\) *Tj")


@dataclass
class Page:
    width_mm: float
    height_mm: float
    texts: list[str]
    rects: list[tuple[float, float, float, float]]

    def dark_cells(self, x: float, y: float, size: float, count: int) -> set[tuple[int, int]]:
        """(row, column) of the QR modules filled inside the square (x, y, size) of `count` modules
        a side (border included), in points: the QR as a scanner sees it."""
        module = size / count
        cells = set()
        for rx, ry, rw, _rh in self.rects:
            if not (x - 0.01 <= rx < x + size and y - 0.01 <= ry < y + size):
                continue
            row = count - 1 - round((ry - y) / module)
            first = round((rx - x) / module)
            for column in range(first, first + round(rw / module)):
                cells.add((row, column))
        return cells


def _unescape(raw: bytes) -> str:
    out = re.sub(rb"\\([()\\])", rb"\1", raw)
    out = re.sub(rb"\\(\d{3})", lambda m: bytes([int(m[1], 8)]), out)
    return out.decode("cp1252")


def read(pdf: bytes) -> list[Page]:
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    assert b"/FlateDecode" not in pdf, "expected an uncompressed PDF"
    boxes = _MEDIABOX.findall(pdf)
    streams = [s for s in _STREAM.findall(pdf) if b" Tj" in s or b" re" in s]
    assert len(boxes) == len(streams), (len(boxes), len(streams))
    pages = []
    for box, stream in zip(boxes, streams, strict=True):
        x0, y0, x1, y1 = (float(v) for v in box)
        pages.append(
            Page(
                width_mm=round((x1 - x0) * POINT_MM, 1),
                height_mm=round((y1 - y0) * POINT_MM, 1),
                texts=[_unescape(t) for t in _TEXT.findall(stream)],
                rects=[tuple(float(v) for v in r) for r in _RECT.findall(stream)],
            )
        )
    return pages
