"""Helpers of the exchange tests: files from rows, running a job as the worker would."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook


def csv_bytes(rows: list[list[Any]], delimiter: str = ",", bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "data.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def content_of(export: Any) -> bytes:
    """The bytes of an export (CSV comes as an iterator of text chunks)."""
    body, _, _ = export
    return body if isinstance(body, bytes) else "".join(body).encode()
