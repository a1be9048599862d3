"""First-pass yield (FPY) and rolled throughput yield (RTY) from completed operations.

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

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from shopfloor.production.models import Operation, WorkOrder

GROUPS = {
    "item": ("work_order__item__number",),
    "operation": ("work_order__item__number", "sequence"),
    "work_center": ("work_center__code",),
}
PERIODS = {"week": TruncWeek, "month": TruncMonth}


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
        when = row["period"].date() if hasattr(row["period"], "date") else row["period"]
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
