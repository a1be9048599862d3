"""First-pass yield (FPY) and rolled throughput yield (RTY) from completed operations and inspections.

FPY of an operation = good / (good + scrap) on production work orders; units made on repair
(rework) orders are never first-pass, so those orders are left out of the first-pass figures.
RTY of an item = the product of the FPY of its operation steps (by sequence): the share of
units that go through every step right the first time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from shopfloor.production.models import Operation, WorkOrder

from .models import Inspection
from .models.inspection import InspectionContext

GROUPS = {
    "item": ("work_order__item__number",),
    "operation": ("work_order__item__number", "sequence"),
    "work_center": ("work_center__code",),
}
PERIODS = {"week": TruncWeek, "month": TruncMonth}


def period_date(value: Any) -> date:
    """A truncated period (a datetime on PostgreSQL and SQLite alike) as its first day."""
    return value.date() if hasattr(value, "date") else value


def _fpy(good: Decimal, scrap: Decimal) -> float | None:
    total = good + scrap
    return float(good / total) if total else None


def _operations(start: date | None, end: date | None) -> QuerySet[Operation]:
    ops = Operation.objects.filter(completed_at__isnull=False).exclude(work_order__kind=WorkOrder.Kind.REPAIR)
    if start is not None:
        ops = ops.filter(completed_at__date__gte=start)
    if end is not None:
        ops = ops.filter(completed_at__date__lte=end)
    return ops


def yield_rows(
    *, group: str = "item", period: str = "month", start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    """One row per group and period: good, scrap, fpy; item rows also carry rty.

    For `item`, fpy is the pooled good/(good+scrap) over its steps and rty the product of
    the per-step FPYs. Raises ValueError for an unknown group or period.
    """
    if group not in GROUPS:
        raise ValueError(f"group: choose one of {', '.join(GROUPS)}.")
    if period not in PERIODS:
        raise ValueError(f"period: choose one of {', '.join(PERIODS)}.")
    keys = GROUPS[group]
    base = _operations(start, end).annotate(period=PERIODS[period]("completed_at"))
    step_keys = ("work_order__item__number", "sequence")
    steps = base.values("period", *step_keys).annotate(good=Sum("good_quantity"), scrap=Sum("scrap_quantity"))
    rows: dict[tuple, dict[str, Any]] = {}
    rty: dict[tuple, float] = defaultdict(lambda: 1.0)
    if group == "work_center":
        grouped = base.values("period", *keys).annotate(good=Sum("good_quantity"), scrap=Sum("scrap_quantity"))
        source = list(grouped)
    else:
        source = list(steps)
    for row in source:
        when = period_date(row["period"])
        key = (when, *(row[k] for k in keys))
        out = rows.setdefault(
            key,
            {"period": when.isoformat(), **{k.split("__")[-2] if "__" in k else k: row[k] for k in keys}},
        )
        out["good"] = out.get("good", Decimal(0)) + row["good"]
        out["scrap"] = out.get("scrap", Decimal(0)) + row["scrap"]
        if group == "item":
            step = _fpy(row["good"], row["scrap"])
            if step is not None:
                rty[key] *= step
    result = []
    for key in sorted(rows, key=lambda k: tuple(str(x) for x in k)):
        out = rows[key]
        out["fpy"] = _fpy(out["good"], out["scrap"])
        if group == "item":
            out["rty"] = rty[key] if out["fpy"] is not None else None
        out["good"], out["scrap"] = f"{out['good'].normalize():f}", f"{out['scrap'].normalize():f}"
        result.append(out)
    return result


# --- First-pass yield from inspections ----------------------------------------------------------

INSPECTION_GROUPS = ("item", "plan")


def _first_inspections(start: date | None, end: date | None) -> QuerySet[Inspection]:
    """Decided inspections, each flagged `again` when it re-inspects something already inspected.

    A re-inspection is a later decided inspection of the same source document (receipt line,
    operation), or for final inspections of the same work order (after a rework it enters
    QC again and gets a new inspection). Re-inspections are never first-pass.
    """
    decided = (Inspection.Status.PASSED, Inspection.Status.FAILED)
    earlier = Inspection.objects.filter(status__in=decided, pk__lt=OuterRef("pk"))
    same_source = earlier.filter(
        item=OuterRef("item"), source_type=OuterRef("source_type"), source_id=OuterRef("source_id")
    ).exclude(source_id="")
    same_order = earlier.filter(context=InspectionContext.FINAL, work_order=OuterRef("work_order"))
    rows = Inspection.objects.filter(status__in=decided, completed_at__isnull=False)
    if start is not None:
        rows = rows.filter(completed_at__date__gte=start)
    if end is not None:
        rows = rows.filter(completed_at__date__lte=end)
    return rows.annotate(
        again=Exists(same_source) | (Q(context=InspectionContext.FINAL, work_order__isnull=False) & Exists(same_order))
    )


def inspection_yield_rows(
    *, group: str = "item", period: str = "month", start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    """First-pass yield from inspection results, one row per item (or plan) and period.

    By lots: `lots` first inspections decided in the period, `lots_passed` of them passed,
    `lot_fpy` = lots_passed / lots. By quantity: `inspected` = the quantity those lots
    decide on, `accepted` = the quantity of the passed ones, `fpy` = accepted / inspected
    (a failed lot counts whole: the sample rejected it). `reinspections` counts the
    re-inspections of the period, which never count as first pass. Plan rows name the plan
    version and context; inspections without a plan (pass/fail only) group as plan None.
    Raises ValueError for an unknown group or period.
    """
    if group not in INSPECTION_GROUPS:
        raise ValueError(f"group: choose one of {', '.join(INSPECTION_GROUPS)}.")
    if period not in PERIODS:
        raise ValueError(f"period: choose one of {', '.join(PERIODS)}.")
    keys = ("item__number",) if group == "item" else ("item__number", "plan", "plan__version", "plan__context")
    rows = (
        _first_inspections(start, end)
        .annotate(period=PERIODS[period]("completed_at"))
        .values("period", "again", *keys)
        .annotate(
            n=Count("id"),
            n_passed=Count("id", filter=Q(status=Inspection.Status.PASSED)),
            qty=Sum("quantity"),
            passed_qty=Sum("quantity", filter=Q(status=Inspection.Status.PASSED)),
        )
    )
    out: dict[tuple, dict[str, Any]] = {}
    zero = Decimal(0)
    for row in rows:
        when = period_date(row["period"])
        key = (when.isoformat(), *(str(row[k]) for k in keys))
        entry = out.setdefault(
            key,
            {
                "period": when.isoformat(),
                "item": row["item__number"],
                **(
                    {"plan": row["plan"], "plan_version": row["plan__version"], "context": row["plan__context"]}
                    if group == "plan"
                    else {}
                ),
                "lots": 0,
                "lots_passed": 0,
                "inspected": zero,
                "accepted": zero,
                "reinspections": 0,
            },
        )
        if row["again"]:
            entry["reinspections"] += row["n"]
            continue
        entry["lots"] += row["n"]
        entry["lots_passed"] += row["n_passed"]
        entry["inspected"] += row["qty"] or zero
        entry["accepted"] += row["passed_qty"] or zero
    result = []
    for key in sorted(out):
        entry = out[key]
        entry["lot_fpy"] = entry["lots_passed"] / entry["lots"] if entry["lots"] else None
        entry["fpy"] = float(entry["accepted"] / entry["inspected"]) if entry["inspected"] else None
        entry["inspected"] = f"{entry['inspected'].normalize():f}" if entry["inspected"] else "0"
        entry["accepted"] = f"{entry['accepted'].normalize():f}" if entry["accepted"] else "0"
        result.append(entry)
    return result
