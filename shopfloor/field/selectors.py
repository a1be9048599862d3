"""Reads of field assets, already joined: the asset list, and the whole life of one serial."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from shopfloor.inventory.models import StockMove
from shopfloor.workflows.models import TransitionRecord

from .models import Assignment, BitRun, DullGrade, FieldAsset, FieldRepair


def assets() -> QuerySet[FieldAsset]:
    """Assets with their serial, item, plant and current site, and their run totals."""
    return FieldAsset.objects.select_related("serial", "item", "plant", "customer", "rig").annotate(
        run_count=Count("runs", distinct=True),
        total_footage=Sum("runs__footage"),
        total_hours=Sum("runs__hours_on_bottom"),
    )


def assignments() -> QuerySet[Assignment]:
    return Assignment.objects.select_related("asset", "customer", "rig", "well", "ship_move", "return_move")


def runs() -> QuerySet[BitRun]:
    return BitRun.objects.select_related("asset", "well", "assignment__rig")


def dull_grades() -> QuerySet[DullGrade]:
    return DullGrade.objects.select_related("asset", "run", "assignment")


def repairs() -> QuerySet[FieldRepair]:
    return FieldRepair.objects.select_related("asset", "dull_grade", "work_order")


def moves_of(asset: FieldAsset) -> QuerySet[StockMove]:
    """Every ledger line of the asset's serial, oldest first."""
    return (
        StockMove.objects.filter(serial_id=asset.serial_id)
        .select_related("from_location", "to_location", "actor")
        .order_by("posted_at", "id")
    )


def status_history(asset: FieldAsset) -> QuerySet[TransitionRecord]:
    """Every workflow transition of the asset, oldest first."""
    return (
        TransitionRecord.objects.filter(object_type="field.fieldasset", object_id=str(asset.pk))
        .select_related("actor", "transition")
        .order_by("created_at", "id")
    )


@dataclass
class Life:
    """Everything that happened to one serial, for the life page and the API's `life` view."""

    asset: FieldAsset
    receipts: list[StockMove] = field(default_factory=list)
    moves: list[StockMove] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    runs: list[BitRun] = field(default_factory=list)
    dull_grades: list[DullGrade] = field(default_factory=list)
    repairs: list[FieldRepair] = field(default_factory=list)
    transitions: list[TransitionRecord] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)


def life(asset: FieldAsset) -> Life:
    """The whole life of a serial: receipts, assignments, runs (footage/ROP), gradings, repairs,
    status history and ledger moves, each list in the order it happened."""
    moves = list(moves_of(asset))
    run_rows = list(runs().filter(asset=asset).order_by("run_number"))
    by_unit: dict[str, dict[str, Decimal]] = {}
    for run in run_rows:
        totals = by_unit.setdefault(run.depth_unit, {"footage": Decimal(0), "hours": Decimal(0)})
        totals["footage"] += run.footage
        totals["hours"] += run.hours_on_bottom
    summary = [
        {
            "unit": unit,
            "footage": t["footage"],
            "hours": t["hours"],
            "rop": (t["footage"] / t["hours"]).quantize(Decimal("0.01")) if t["hours"] else None,
        }
        for unit, t in sorted(by_unit.items())
    ]
    return Life(
        asset=asset,
        receipts=[m for m in moves if m.kind == StockMove.Kind.RECEIVE],
        moves=moves,
        assignments=list(assignments().filter(asset=asset).order_by("assigned_at", "id")),
        runs=run_rows,
        dull_grades=list(dull_grades().filter(asset=asset).order_by("graded_at", "id")),
        repairs=list(repairs().filter(asset=asset).order_by("started_at", "id")),
        transitions=list(status_history(asset)),
        totals={"runs": len(run_rows), "by_unit": summary},
    )


def assets_at(*, customer: Any = None, status: str = "") -> QuerySet[FieldAsset]:
    """The asset list's filter: by current customer and by status."""
    qs = assets()
    if customer is not None:
        qs = qs.filter(Q(customer=customer))
    if status:
        qs = qs.filter(status=status)
    return qs
