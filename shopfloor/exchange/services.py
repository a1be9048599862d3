"""Every write of the exchange app: upload an import, run it, commit a validated dry run.

An import runs in two steps. First every row is parsed and checked (types, lookups in the
current organization, checks across columns, duplicate keys), reporting each error with the
row number the user sees in the file (the header is row 1). Then, only if nothing was wrong,
every row is written through the owning app's services inside ONE transaction: any error,
including one that only the write finds (a constraint, a permission, a locked record), rolls
back every row. A dry run does the same and always rolls back, so a clean dry run predicts a
clean commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from shopfloor.core import access, audit, events, tenancy
from shopfloor.core.errors import Conflict

from . import registry, selectors
from .formats import UnreadableFile, read_table
from .models import ImportJob
from .registry import CellError, Dataset, RowError

logger = logging.getLogger(__name__)

# How many errors a job keeps (the count is exact): a wrong file can fail on every row.
MAX_STORED_ERRORS = 1000


def progress_every() -> int:
    """Progress is saved every N rows: often enough for a live bar, rarely enough to be cheap."""
    return max(1, int(getattr(settings, "EXCHANGE_PROGRESS_EVERY", 200)))


@dataclass
class ImportResult:
    total_rows: int = 0
    written_rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: int, column: str, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": message})

    @property
    def ok(self) -> bool:
        return not self.errors


class _RollBack(Exception):
    """Leaves the write transaction of a dry run (or of a failed commit) without keeping anything."""


def _messages(exc: Exception, columns: list[str]) -> list[tuple[str, str]]:
    """(column, message) pairs from whatever a service raised for one row."""
    if isinstance(exc, RowError):
        return list(exc.errors.items())
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            pairs = []
            for name, messages in exc.message_dict.items():
                column = name if name in columns else ""
                prefix = "" if column or name == NON_FIELD_ERRORS else f"{name}: "
                pairs.extend((column, prefix + str(m)) for m in messages)
            return pairs
        return [("", str(m)) for m in exc.messages]
    if isinstance(exc, Conflict):
        return [("", exc.message)]
    return [("", str(exc))]


def parse_rows(
    dataset: Dataset,
    header: list[str],
    data: list[tuple[int, list[Any]]],
    result: ImportResult,
    *,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Each row as {column: value}, checked; problems go to `result` and the row is dropped."""
    known = set(dataset.column_names)
    for name in header:
        if name and name not in known:
            result.add(
                1, name, f"Unknown column '{name}'. Columns of {dataset.name}: {', '.join(dataset.column_names)}."
            )
    for column in dataset.columns:
        if column.required and column.name not in header:
            result.add(1, column.name, "Required column is missing.")
    if result.errors:
        return []
    positions = {name: i for i, name in enumerate(header) if name}
    cache: dict[Any, Any] = {}
    seen: dict[tuple[Any, ...], int] = {}
    parsed: list[tuple[int, dict[str, Any]]] = []
    every = progress_every()
    for index, (number, cells) in enumerate(data, start=1):
        row: dict[str, Any] = {}
        bad = False
        for column in dataset.columns:
            position = positions.get(column.name)
            raw = cells[position] if position is not None and position < len(cells) else None
            try:
                row[column.name] = column.parse(raw, cache)
            except CellError as exc:
                result.add(number, column.name, str(exc))
                bad = True
        if not bad:
            try:
                dataset.validate(row)
                key = dataset.row_key(row)
                if key is not None:
                    if key in seen:
                        raise RowError(
                            {dataset.key[0]: f"Same {', '.join(dataset.key)} as row {seen[key]}: one row per record."}
                        )
                    seen[key] = number
            except RowError as exc:
                for column_name, message in exc.errors.items():
                    result.add(number, column_name, message)
                bad = True
        if not bad:
            parsed.append((number, row))
        if progress is not None and index % every == 0:
            progress(index)
    return parsed


def import_rows(
    dataset: Dataset,
    header: list[str],
    data: list[tuple[int, list[Any]]],
    *,
    actor: Any,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
    write_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check every row, then write all of them in one transaction, or none (see module docstring).

    `progress(n)` is called every N rows checked, `write_progress(n)` every N rows written.
    """
    result = ImportResult(total_rows=len(data))
    access.require(actor, dataset.permission)
    rows = parse_rows(dataset, header, data, result, progress=progress)
    if result.errors:
        return result
    columns = dataset.column_names
    written = 0
    every = progress_every()
    try:
        with transaction.atomic():
            # Existing records are read once for the whole file, inside the transaction that writes.
            known = dataset.prefetch([row for _, row in rows])
            extra = {} if known is None else {"known": known}
            for index, (number, row) in enumerate(rows, start=1):
                try:
                    with transaction.atomic():
                        dataset.write(actor=actor, row=row, **extra)
                    written += 1
                except (ValidationError, Conflict, RowError, IntegrityError, PermissionDenied, CellError) as exc:
                    for column, message in _messages(exc, columns):
                        result.add(number, column, message)
                    if isinstance(exc, PermissionDenied):
                        break  # the same for every row; once is enough
                if write_progress is not None and index % every == 0:
                    write_progress(index)
            if result.errors or dry_run:
                raise _RollBack
    except _RollBack:
        written = 0
    result.written_rows = written
    return result


# --- Jobs -------------------------------------------------------------------------------------


def _dataset_or_400(name: str) -> Dataset:
    try:
        return registry.get(name)
    except KeyError as exc:
        raise ValidationError({"dataset": [str(exc.args[0])]}) from None


@transaction.atomic
def start_import(
    *, actor: Any, dataset: str, upload: UploadedFile, dry_run: bool = True, queue: bool = True
) -> ImportJob:
    """Store the uploaded file and queue its processing (after commit, so the worker sees the job).

    `queue=False` leaves it to the caller to `run_job` in its own process (the import_data command).
    """
    access.require(actor, "exchange.add_importjob")
    spec = _dataset_or_400(dataset)
    access.require(actor, spec.permission)
    if not upload or not getattr(upload, "name", ""):
        raise ValidationError({"file": ["Upload a CSV or XLSX file."]})
    limit = int(getattr(settings, "IMPORT_MAX_BYTES", 50 * 1024 * 1024))
    if upload.size is not None and upload.size > limit:
        raise ValidationError({"file": [f"The file is {upload.size} bytes; imports take at most {limit} bytes."]})
    job = ImportJob(
        organization=tenancy.require_organization(),
        dataset=spec.name,
        original_name=upload.name[-255:],
        dry_run=dry_run,
        run_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    job.file.save(upload.name, upload, save=False)
    job.save()
    audit.record(actor, job, action="create", changes=audit.diff({}, audit.snapshot(job)))
    if queue:
        _queue(job)
    return job


@transaction.atomic
def commit_import(*, actor: Any, job: ImportJob) -> ImportJob:
    """Write a validated dry run for real, from the same stored file (the rows are checked again)."""
    access.require(actor, "exchange.add_importjob")
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    access.require(actor, _dataset_or_400(job.dataset).permission)
    if not (job.dry_run and job.status == ImportJob.Status.VALIDATED):
        state = "a dry run that is " if job.dry_run else "an import that is "
        raise Conflict(f"Only a validated dry run can be committed; this is {state}{job.get_status_display().lower()}.")
    before = audit.snapshot(job)
    job.dry_run = False
    job.status = ImportJob.Status.QUEUED
    job.processed_rows = job.written_rows = job.error_count = 0
    job.errors = []
    job.run_by = actor
    job.started_at = job.finished_at = None
    job.save()
    audit.record(actor, job, action="update", changes=audit.diff(before, audit.snapshot(job)), reason="commit")
    _queue(job)
    return job


def _queue(job: ImportJob) -> None:
    from . import tasks

    job_id = job.pk
    transaction.on_commit(lambda: tasks.schedule(job_id))


# --- Live progress -----------------------------------------------------------------------------
# Rows are checked outside any transaction, so that count is saved on the job itself. Rows are
# written inside the one import transaction, where an update of the job would stay invisible
# until the end (and on SQLite a second connection would wait for the write lock); so the write
# count goes to the cache, which workers and web processes share (Redis) in production.


def set_live_progress(job_id: int, phase: str, done: int) -> None:
    cache.set(selectors.progress_key(job_id), {"phase": phase, "done": done}, timeout=6 * 3600)


def run_job(job_id: int) -> ImportJob | None:
    """Process a queued job (the Celery task calls this). Runs once: a redelivered task finds it taken.

    Progress is saved every N rows while the rows are checked, outside the write transaction,
    so a page polling the job sees it move; the write itself is all-or-nothing.
    """
    claimed = ImportJob.objects.unscoped().filter(pk=job_id, status=ImportJob.Status.QUEUED)
    if not claimed.update(status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed_rows=0):
        return None
    job = ImportJob.objects.unscoped().select_related("organization", "run_by").get(pk=job_id)
    with tenancy.use(job.organization, job.run_by):
        try:
            result = _run(job)
        except Exception:
            logger.exception("Import job %s failed unexpectedly.", job_id)
            result = ImportResult()
            result.add(
                0, "", "The import stopped on an unexpected error; nothing was written. Support has the details."
            )
        status = ImportJob.Status.FAILED
        if result.ok:
            status = ImportJob.Status.VALIDATED if job.dry_run else ImportJob.Status.COMMITTED
        with transaction.atomic():
            _finish(job, status, result)
        job.refresh_from_db()
    return job


def _finish(job: ImportJob, status: str, result: ImportResult) -> None:
    """The outcome and, for a commit, the event others listen to, in one transaction."""
    cache.delete(selectors.progress_key(job.pk))
    ImportJob.objects.unscoped().filter(pk=job.pk).update(
        status=status,
        total_rows=result.total_rows,
        processed_rows=result.total_rows,
        written_rows=result.written_rows,
        errors=result.errors[:MAX_STORED_ERRORS],
        error_count=len(result.errors),
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if status == ImportJob.Status.COMMITTED:
        events.emit(
            "exchange.import.committed",
            {"id": job.pk, "dataset": job.dataset, "rows": result.written_rows},
        )


def _run(job: ImportJob) -> ImportResult:
    dataset = registry.get(job.dataset)
    try:
        with job.file.open("rb") as handle:
            content = handle.read()
        header, data = read_table(content, job.original_name)
    except (UnreadableFile, OSError) as exc:
        result = ImportResult()
        result.add(0, "", str(exc) if isinstance(exc, UnreadableFile) else "The uploaded file is no longer stored.")
        return result
    ImportJob.objects.unscoped().filter(pk=job.pk).update(total_rows=len(data))

    def progress(done: int) -> None:
        ImportJob.objects.unscoped().filter(pk=job.pk).update(processed_rows=done, updated_at=timezone.now())
        set_live_progress(job.pk, "checking", done)

    def write_progress(done: int) -> None:
        set_live_progress(job.pk, "writing", done)

    actor = job.run_by
    if actor is None:
        result = ImportResult(total_rows=len(data))
        result.add(0, "", "The user who started this import no longer exists.")
        return result
    try:
        return import_rows(
            dataset,
            header,
            data,
            actor=actor,
            dry_run=job.dry_run,
            progress=progress,
            write_progress=write_progress,
        )
    except PermissionDenied as exc:
        result = ImportResult(total_rows=len(data))
        result.add(0, "", str(exc))
        return result
