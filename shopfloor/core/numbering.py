"""Human document numbers (WO-000123) per organization and document type.

The counter row is locked and incremented inside the caller's transaction: a rolled-back
document gives its number back (no gap), and concurrent creators queue on the row lock (no
duplicate). On SQLite the IMMEDIATE transaction serializes writers the same way.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from . import tenancy
from .models import NumberSequence

DEFAULT_PREFIXES: dict[str, str] = {}


def register(document_type: str, prefix: str) -> None:
    """Declare a document type's default prefix (`register("work_order", "WO-")`)."""
    DEFAULT_PREFIXES[document_type] = prefix


@transaction.atomic
def next_number(document_type: str, *, prefix: str | None = None, padding: int = 6) -> str:
    org = tenancy.require_organization()
    NumberSequence.objects.bulk_create(
        [
            NumberSequence(
                organization=org,
                document_type=document_type,
                prefix=prefix
                if prefix is not None
                else DEFAULT_PREFIXES.get(document_type, f"{document_type.upper()}-"),
                padding=padding,
            )
        ],
        ignore_conflicts=True,
    )
    seq = NumberSequence.objects.select_for_update().get(document_type=document_type)
    value = seq.next_value
    NumberSequence.objects.filter(pk=seq.pk).update(next_value=F("next_value") + 1)
    return f"{seq.prefix}{value:0{seq.padding}d}"
