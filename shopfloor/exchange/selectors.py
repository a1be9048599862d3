"""Reads of the exchange app: exports of a dataset and the job lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from shopfloor.core import access, tenancy

from . import registry
from .formats import CONTENT_TYPES, FORMATS, write_csv, write_xlsx
from .models import ImportJob


def import_jobs() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("run_by", "created_by")


def progress_key(job_id: int) -> str:
    """Where a running job's live count is kept (see services: rows written are not visible in the DB)."""
    return f"exchange:import-job:{job_id}:progress"


def live_progress(job: ImportJob) -> dict[str, Any]:
    """{"phase", "done", "total", "percent"}: queued, checking or writing while active, else the final status."""
    total = job.total_rows
    if not job.is_active:
        return {"phase": job.status, "done": job.processed_rows, "total": total, "percent": 100}
    if job.status == ImportJob.Status.QUEUED:
        return {"phase": "queued", "done": 0, "total": total, "percent": 0}
    live = cache.get(progress_key(job.pk)) or {"phase": "checking", "done": 0}
    phase, done = live["phase"], live["done"]
    if phase == "checking":
        done = max(done, job.processed_rows)
    percent = min(99, int(done * 100 / total)) if total else 0
    return {"phase": phase, "done": done, "total": total, "percent": percent}


def export(*, actor: object, dataset: str, fmt: str) -> tuple[Iterator[str] | bytes, str, str]:
    """(content, file name, content type) of every row of `dataset` in the current organization.

    The columns are the import columns, so the file imports back unchanged. CSV comes as an
    iterator of chunks (streamed); XLSX as bytes (a zip cannot be streamed row by row).
    """
    spec = registry.get(dataset)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'. Use one of: {', '.join(FORMATS)}.")
    access.require(actor, spec.view_permission)
    header = spec.column_names
    filename = f"{spec.name}.{fmt}"
    if fmt == "csv":
        return _in_tenant(lambda: write_csv(header, spec.export_rows())), filename, CONTENT_TYPES["csv"]
    return write_xlsx(header, spec.export_rows(), title=spec.name), filename, CONTENT_TYPES["xlsx"]


def _in_tenant(make: Callable[[], Iterator[str]]) -> Iterator[str]:
    """A streamed body is read after the view returned (and left the tenant): take the tenant along."""
    organization, user = tenancy.current_organization(), tenancy.current_user()

    def chunks() -> Iterator[str]:
        with tenancy.use(organization, user):
            yield from make()

    return chunks()
