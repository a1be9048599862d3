"""Read-side queries for NCRs and CAPA: the rows the API and pages list, with what they show."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Capa, Disposition, Ncr


def ncrs() -> QuerySet[Ncr]:
    """NCRs with the item, plant and links their lists and details name."""
    return Ncr.objects.select_related(
        "item", "plant", "location", "supplier", "customer", "work_order"
    ).prefetch_related("affected__lot", "affected__serial", "dispositions")


def dispositions() -> QuerySet[Disposition]:
    return Disposition.objects.select_related("ncr", "lot", "serial", "work_order", "concession_approved_by")


def capas() -> QuerySet[Capa]:
    """CAPAs, soonest due first, with their owner and NCR."""
    return Capa.objects.select_related("owner", "ncr")
