"""Reading and writing the two file formats: CSV (UTF-8, any of , ; tab) and XLSX.

Reading gives the header and the data rows with their row number as a spreadsheet shows it
(the header is row 1), so an error message points at the line the user sees.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ZIP_MAGIC = b"PK\x03\x04"


class UnreadableFile(ValueError):
    """The file is neither a UTF-8 CSV nor an XLSX workbook."""


def detect_format(content: bytes, filename: str = "") -> str:
    """XLSX is a zip; anything else is read as CSV (the extension is a hint, the bytes decide)."""
    if content.startswith(_ZIP_MAGIC):
        return "xlsx"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile("The file is named .xlsx but is not an Excel workbook.")
    return "csv"


def read_table(content: bytes, filename: str = "") -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """(header, [(row number, cells)]): empty rows are skipped but keep their numbers counted."""
    fmt = detect_format(content, filename)
    rows = _read_xlsx(content) if fmt == "xlsx" else _read_csv(content)
    header: list[str] | None = None
    data: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, start=1):
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = [str(c).strip().lower() if c is not None else "" for c in cells]
            while header and header[-1] == "":
                header.pop()
            continue
        data.append((number, list(cells)))
    if header is None:
        raise UnreadableFile("The file is empty: the first row must name the columns.")
    return header, data


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _read_csv(content: bytes) -> Iterator[list[Any]]:
    try:
        text = content.decode("utf-8-sig")  # Excel writes a byte-order mark; tolerate it
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"The file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8.") from None
    if "\x00" in text:
        raise UnreadableFile("The file holds binary data; upload a CSV or XLSX file.")
    first_line = text.split("\n", 1)[0]
    try:
        dialect: Any = csv.Sniffer().sniff(first_line or text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return iter(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _read_xlsx(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  (openpyxl raises many kinds for a damaged zip or workbook)
        raise UnreadableFile(f"The Excel workbook cannot be read ({exc.__class__.__name__}).") from None
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return iter(rows)


# --- Writing --------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """How a value is written to CSV: decimals without trailing zeros, dates ISO, booleans true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _xlsx_cell(value: Any) -> Any:
    # A float holds 15 significant digits exactly; longer decimals are written as text so the
    # round trip never loses a digit.
    if isinstance(value, Decimal):
        normal = value.normalize()
        digits = len(normal.as_tuple().digits)
        if digits <= 15:
            return int(normal) if normal == normal.to_integral_value() else float(normal)
        return cell_text(value)
    return value


def write_csv(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV text in chunks (one per row), for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield flush()
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
        yield flush()


def write_xlsx(header: list[str], rows: Iterable[list[Any]], *, title: str = "data") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
