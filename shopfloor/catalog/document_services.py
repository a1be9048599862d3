"""Every write of drawings and documents (the catalog's services, split out by concept).

A revision's file goes through Django's default storage; its SHA-256 is computed here while
the upload is read in chunks and checked again before every download, so what a user gets is
provably what was uploaded. A released revision is frozen (edits and deletes are 409), and
releasing one supersedes the document's previously released revision in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import models, transaction
from django.utils import timezone

from shopfloor.core import access, audit, events, numbering
from shopfloor.core import services as core_services
from shopfloor.core.errors import Conflict
from shopfloor.workflows import registry as workflow_registry
from shopfloor.workflows import services as workflow_services

from .models import Document, DocumentLink, DocumentRevision

logger = logging.getLogger(__name__)

numbering.register("document", "DOC-")

FROZEN_STATES = frozenset({"released", "superseded"})
_CHUNK = 64 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_BYTES", 50 * 1024 * 1024))


# --- Documents -------------------------------------------------------------------------------------


@transaction.atomic
def create_document(*, actor: Any, data: dict[str, Any]) -> Document:
    """A new document gets the next DOC- number of the organization (no gaps, no duplicates)."""
    access.require(actor, "catalog.add_document")
    return core_services.create_object(
        actor=actor, model=Document, data={**data, "number": numbering.next_number("document")}
    )


def update_document(*, actor: Any, document: Document, data: dict[str, Any]) -> Document:
    data = {k: v for k, v in data.items() if k != "number"}
    return core_services.update_object(actor=actor, obj=document, data=data)


# --- Revisions -------------------------------------------------------------------------------------


def _digest(file: Any) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file read in chunks, never whole into memory."""
    sha = hashlib.sha256()
    size = 0
    if hasattr(file, "seek"):
        file.seek(0)
    chunks = file.chunks(_CHUNK) if hasattr(file, "chunks") else iter(lambda: file.read(_CHUNK), b"")
    for chunk in chunks:
        sha.update(chunk)
        size += len(chunk)
    if hasattr(file, "seek"):
        file.seek(0)
    return sha.hexdigest(), size


def _content_type(upload: Any) -> str:
    value = str(getattr(upload, "content_type", "") or "application/octet-stream")
    # Only a plain type/subtype is kept: parameters and odd characters never reach a header.
    value = value.split(";", 1)[0].strip().lower()
    if "/" not in value or len(value) > 100 or not all(c.isalnum() or c in "/.+-" for c in value):
        return "application/octet-stream"
    return value


def upload_revision(*, actor: Any, document: Document, revision: str, file: Any, notes: str = "") -> DocumentRevision:
    """Store a new draft revision of `document` with its file, SHA-256, size and uploader.

    Refuses (400) a missing or empty file, one over DOCUMENT_MAX_BYTES and a revision label
    the document already has; nothing is stored then, neither the row nor the file.
    """
    access.require(actor, "catalog.add_documentrevision")
    if file is None:
        raise ValidationError({"file": ["Choose a file to upload."]})
    limit = max_upload_bytes()
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise ValidationError({"file": [f"The file is {declared} bytes; the limit is {limit} bytes."]})
    sha256, size = _digest(file)
    if size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    if size > limit:
        raise ValidationError({"file": [f"The file is {size} bytes; the limit is {limit} bytes."]})
    revision = (revision or "").strip()
    if not revision:
        raise ValidationError({"revision": ["Give the revision a label (A, B, 02...)."]})
    if DocumentRevision.objects.filter(document=document, revision=revision).exists():
        raise ValidationError({"revision": [f"{document.number} already has a revision {revision}."]})
    name = str(getattr(file, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1][:200] or "file"
    storage = DocumentRevision._meta.get_field("file").storage
    stored: list[str] = []
    try:
        with transaction.atomic():
            obj = DocumentRevision(
                document=document,
                revision=revision,
                original_name=name,
                sha256=sha256,
                size=size,
                content_type=_content_type(file),
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
                uploaded_at=timezone.now(),
                status=workflow_services.initial_state(DocumentRevision),
                notes=notes,
            )
            obj.full_clean(exclude=["file"])
            obj.file.save(name, File(file), save=False)
            stored.append(obj.file.name)
            obj.save()
            audit.record(actor, obj, action="create", changes=audit.diff({}, audit.snapshot(obj)))
            events.emit(
                "catalog.documentrevision.created",
                {"id": obj.pk, "document": document.pk, "revision": revision, "sha256": sha256},
            )
    except BaseException:
        for path in stored:
            storage.delete(path)  # the row is gone with the transaction; so is its file
        raise
    return obj


def revision_edit_refusal(obj: models.Model) -> str | None:
    """Edit guard (core.services): a released or superseded revision never changes."""
    if isinstance(obj, DocumentRevision) and obj.status in FROZEN_STATES:
        return f"Revision {obj.revision} of {obj.document.number} is {obj.status}: it cannot be changed or deleted."
    return None


core_services.register_edit_guard(revision_edit_refusal)


def update_revision(*, actor: Any, revision: DocumentRevision, data: dict[str, Any]) -> DocumentRevision:
    """Change a draft revision's label or notes (the file itself is replaced by a new revision)."""
    allowed = {k: v for k, v in data.items() if k in {"revision", "notes"}}
    if "revision" in allowed:
        label = str(allowed["revision"]).strip()
        clash = DocumentRevision.objects.filter(document_id=revision.document_id, revision=label)
        if clash.exclude(pk=revision.pk).exists():
            raise ValidationError({"revision": [f"{revision.document.number} already has a revision {label}."]})
        allowed["revision"] = label
    return core_services.update_object(actor=actor, obj=revision, data=allowed)


def delete_revision(*, actor: Any, revision: DocumentRevision) -> None:
    """Delete a draft revision and its file once the deletion has committed."""
    path, storage = revision.file.name, revision.file.storage
    core_services.delete_object(actor=actor, obj=revision)
    transaction.on_commit(lambda: storage.delete(path))


@workflow_registry.on_enter("catalog.documentrevision", "released")
def _supersede_previous(revision: DocumentRevision, actor: Any) -> None:
    """Releasing a revision supersedes the one released before it, in the same transaction.

    The document row is locked first, so two releases of one document queue instead of both
    finding nothing to supersede; the partial unique index keeps one released revision anyway.
    """
    Document.objects.select_for_update().filter(pk=revision.document_id).first()
    previous = (
        DocumentRevision.objects.select_for_update()
        .filter(document_id=revision.document_id, status="released")
        .exclude(pk=revision.pk)
    )
    for old in previous:
        workflow_services.transition(old, "superseded", actor, comment=f"Superseded by revision {revision.revision}.")


def verified_chunks(revision: DocumentRevision) -> Iterator[bytes]:
    """The stored file's bytes, after checking them against the recorded SHA-256.

    The whole file is hashed before the first byte is sent: a file altered or damaged on disk
    raises Conflict (409) and is logged, instead of being served as the released drawing.
    """
    storage, name = revision.file.storage, revision.file.name
    if not name or not storage.exists(name):
        logger.error("Document file missing: %s (revision %s)", name, revision.pk)
        raise Conflict(f"The file of {revision} is missing from storage.", code="file_missing")
    with storage.open(name, "rb") as handle:
        actual, size = _digest(handle)
    if actual != revision.sha256 or size != revision.size:
        logger.error(
            "Document file altered: revision %s (%s) expected sha256 %s, found %s",
            revision.pk,
            revision,
            revision.sha256,
            actual,
        )
        raise Conflict(
            f"The stored file of {revision} does not match its recorded SHA-256; it was altered after upload.",
            code="hash_mismatch",
        )

    def stream() -> Iterator[bytes]:
        with storage.open(name, "rb") as handle:
            yield from iter(lambda: handle.read(_CHUNK), b"")

    return stream()


# --- Links -----------------------------------------------------------------------------------------


def _check_target(object_type: str, object_id: Any) -> None:
    """The target must exist in the organization in context (its model's tenant-scoped manager)."""
    if object_type not in DocumentLink.TARGET_TYPES:
        choices = ", ".join(DocumentLink.TARGET_TYPES)
        raise ValidationError({"object_type": [f"Documents link to {choices}; not to '{object_type}'."]})
    try:
        model = apps.get_model(object_type)
    except LookupError:
        raise ValidationError({"object_type": [f"'{object_type}' is not installed here."]}) from None
    try:
        pk = int(object_id)
    except (TypeError, ValueError):
        raise ValidationError({"object_id": ["Give the id of the record to link to."]}) from None
    if not model._default_manager.filter(pk=pk).exists():
        raise ValidationError({"object_id": [f"No {model._meta.verbose_name} with id {pk} in this organization."]})


def link_document(*, actor: Any, document: Document, object_type: str, object_id: Any) -> DocumentLink:
    """Attach a document to an item, a BOM version or an operation of the same organization."""
    access.require(actor, "catalog.add_documentlink")
    _check_target(object_type, object_id)
    if DocumentLink.objects.filter(document=document, object_type=object_type, object_id=int(object_id)).exists():
        raise ValidationError({"__all__": [f"{document.number} is already linked to this {object_type}."]})
    return core_services.create_object(
        actor=actor,
        model=DocumentLink,
        data={"document": document, "object_type": object_type, "object_id": int(object_id)},
    )


def unlink_document(*, actor: Any, link: DocumentLink) -> None:
    core_services.delete_object(actor=actor, obj=link)
