"""Reading SPC data from CSV text (the `spc` command, the web page's paste box).

Formats, chosen by the header row:

* variables charts (xbar_r, xbar_s, imr): one column of measurements (header optional), cut in
  order into subgroups of ``--subgroup-size``; or columns ``subgroup,value`` (rows of one
  subgroup need not be adjacent; subgroups keep the order in which they first appear);
* p and np charts: columns ``defectives,sample_size``;
* c and u charts: columns ``defects,units`` (``units`` optional for c: one unit per sample).

Other columns are ignored, so exported files with a sample number or date column still read.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from .spc import ATTRIBUTE_CHARTS, CHARTS, SpcError


def _number(text: str, line: int, column: str) -> float:
    raw = text.strip()
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")  # a decimal comma, from a semicolon-separated export
    try:
        value = float(raw)
    except ValueError:
        raise SpcError(f"Line {line}: '{text.strip()}' in column '{column}' is not a number.", "values") from None
    if not math.isfinite(value):
        raise SpcError(f"Line {line}: '{text.strip()}' in column '{column}' is not a finite number.", "values")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv(text: str, chart: str) -> dict[str, Any]:
    """Keyword arguments for `spc.compute` (values / subgroups / counts / sizes) from CSV text."""
    if chart not in CHARTS:
        raise SpcError(f"Unknown chart '{chart}'; choose one of {', '.join(CHARTS)}.", "chart")
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t") if text.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    rows = [
        (n, [c.strip() for c in row])
        for n, row in enumerate(csv.reader(io.StringIO(text), dialect), 1)
        if any(c.strip() for c in row)
    ]
    if not rows:
        raise SpcError("The file holds no data.", "values")
    first_line, first = rows[0]
    has_header = not all(_is_number(c) for c in first if c)
    header = [c.lower() for c in first] if has_header else []
    body = rows[1:] if has_header else rows
    if not body:
        raise SpcError("The file has a header but no data rows.", "values")

    def column(name: str) -> list[float]:
        i = header.index(name)
        out = []
        for line, row in body:
            if i >= len(row) or row[i] == "":
                raise SpcError(f"Line {line}: the '{name}' column is empty.", "values")
            out.append(_number(row[i], line, name))
        return out

    if chart in ATTRIBUTE_CHARTS:
        count_col, size_col = ("defectives", "sample_size") if chart in ("p", "np") else ("defects", "units")
        if count_col not in header:
            raise SpcError(f"The {chart} chart reads columns '{count_col},{size_col}' (header row required).", "values")
        if size_col not in header and chart != "c":
            raise SpcError(f"The {chart} chart needs a '{size_col}' column.", "values")
        return {"counts": column(count_col), "sizes": column(size_col) if size_col in header else None}

    if "subgroup" in header and "value" in header:
        groups: dict[str, list[float]] = {}
        i = header.index("subgroup")
        for (_, row), value in zip(body, column("value"), strict=True):
            groups.setdefault(row[i], []).append(value)
        return {"subgroups": list(groups.values())}
    if header and len(header) > 1:
        raise SpcError("A variables chart reads one column of measurements or the columns 'subgroup,value'.", "values")
    values = []
    for line, row in body:
        for cell in row:
            if cell:
                values.append(_number(cell, line, header[0] if header else "1"))
    return {"values": values}


def parse_numbers(text: str) -> list[float]:
    """Numbers pasted from a spreadsheet: separated by new lines, spaces, tabs, commas or semicolons."""
    tokens = [t for t in text.replace(";", " ").replace(",", " ").replace("\t", " ").split() if t]
    out = []
    for i, t in enumerate(tokens, 1):
        try:
            value = float(t)
        except ValueError:
            raise SpcError(f"Value {i} ('{t}') is not a number.", "values") from None
        if not math.isfinite(value):
            raise SpcError(f"Value {i} ('{t}') is not a finite number.", "values")
        out.append(value)
    return out


def parse_sample_numbers(text: str | None, field: str = "exclude") -> list[int]:
    """'15, 23' -> [14, 22]: 1-based sample numbers from people, 0-based indices for the engine."""
    if not text:
        return []
    out = []
    for t in text.replace(";", ",").replace(" ", ",").split(","):
        if not t:
            continue
        if not t.isdigit() or int(t) < 1:
            raise SpcError(f"'{t}' is not a sample number (1, 2, ...).", field)
        out.append(int(t) - 1)
    return out
