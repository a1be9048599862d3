"""Reads of inspection plans and inspections, already joined for lists and pages."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Characteristic, Inspection, InspectionPlan, Measurement


def plans() -> QuerySet[InspectionPlan]:
    return (
        InspectionPlan.objects.select_related("item", "work_center")
        .prefetch_related(Prefetch("characteristics", queryset=Characteristic.objects.order_by("position", "id")))
        .order_by("-id")
    )


def characteristics() -> QuerySet[Characteristic]:
    return Characteristic.objects.select_related("plan").order_by("plan", "position", "id")


def inspections() -> QuerySet[Inspection]:
    return (
        Inspection.objects.select_related("plan", "item", "plant", "lot", "serial", "location", "work_order")
        .annotate(readings=Count("measurements"))
        .order_by("-id")
    )


def inspection_queue(*, status: str = "open") -> QuerySet[Inspection]:
    """What inspectors have to do: open inspections, oldest first."""
    rows = inspections().filter(status=status) if status else inspections()
    return rows.order_by("id") if status == "open" else rows


def measurements(*, inspection: Inspection) -> QuerySet[Measurement]:
    return Measurement.objects.filter(inspection=inspection).select_related("characteristic")


def entry_grid(inspection: Inspection) -> list[dict[str, object]]:
    """One row per sampled unit and characteristic, with the reading taken so far (for the entry page)."""
    chars = list(Characteristic.objects.filter(plan=inspection.plan_id).order_by("position", "id"))
    taken = {(m.characteristic_id, m.sample): m for m in Measurement.objects.filter(inspection=inspection)}
    return [
        {"sample": sample, "characteristic": ch, "measurement": taken.get((ch.pk, sample))}
        for sample in range(1, inspection.sample_size + 1)
        for ch in chars
    ]


def open_count() -> int:
    return Inspection.objects.filter(Q(status=Inspection.Status.OPEN)).count()
