"""Exchange API contracts for the shared contract suite (uploads are multipart)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from shopfloor.core.tests.contract import Contract, unique

from .factories import ImportJobFactory


def _upload_payload() -> dict:
    content = f"name,description\n{unique('Area ')},Base: m2\n".encode()
    return {"dataset": "unit-categories", "dry_run": "true", "file": SimpleUploadedFile("categories.csv", content)}


CONTRACTS: dict[str, Contract] = {
    "exchange/import-jobs": Contract(
        factory=ImportJobFactory,
        payload=_upload_payload,
        operations=frozenset({"list", "retrieve", "create"}),
        actions={"commit": 200},
        note="Jobs are records of what happened: created by an upload, changed only by processing and commit.",
    ),
}

NOT_EXPOSED: dict[str, str] = {}
