"""Supplier quality: reject rate per supplier and period, from receipts and their NCR dispositions.

Definition (issue 6, "supplier quality (reject rate per supplier)"):

- received = the stock-unit quantity of every receipt line posted from the supplier in the
  period (the ledger move of the line, so order units never mix with stock units);
- rejected = the quantity of those same receipt lines that NCR dispositions sent back
  ("return to supplier") or scrapped ("scrap"). Use as is (a concession: the material is
  accepted) and rework/repair (kept and fixed here) are not rejects;
- reject rate = rejected / received, and ppm = rate x 1,000,000.

A reject counts in the period of the receipt it came in, not of the day it was decided, so a
period's rate stays between 0 and 1 and a late disposition corrects the month it belongs to.
NCRs that name a supplier but no receipt line (e.g. found in an audit) cannot be set against
a received quantity and are left to the NCR count per supplier.

Alongside the quantities, the receiving inspections of the same lines give a lot view:
`lots` received, `lots_inspected` (decided receiving inspections) and `lots_failed`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast

from shopfloor.purchasing.models import ReceiptLine

from .models import Disposition, Inspection
from .yields import PERIODS, period_date

REJECT_KINDS = (Disposition.Kind.SCRAP, Disposition.Kind.RETURN_TO_SUPPLIER)
DECIDED = (Inspection.Status.PASSED, Inspection.Status.FAILED)
RECEIPT_LINE = "purchasing.receiptline"


def _in_range(rows: QuerySet[Any], field: str, start: date | None, end: date | None) -> QuerySet[Any]:
    if start is not None:
        rows = rows.filter(**{f"{field}__date__gte": start})
    if end is not None:
        rows = rows.filter(**{f"{field}__date__lte": end})
    return rows


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


def supplier_reject_rows(
    *, period: str = "month", start: date | None = None, end: date | None = None
) -> list[dict[str, Any]]:
    """One row per supplier and period (by receipt date): received, rejected, returned, scrapped,
    reject_rate, ppm, lots, lots_inspected, lots_failed. Raises ValueError for an unknown period."""
    if period not in PERIODS:
        raise ValueError(f"period: choose one of {', '.join(PERIODS)}.")
    trunc = PERIODS[period]
    inspections = Inspection.objects.filter(
        source_type=RECEIPT_LINE, source_id=Cast(OuterRef("pk"), output_field=CharField()), status__in=DECIDED
    )
    lines = (
        _in_range(ReceiptLine.objects.all(), "receipt__received_at", start, end)
        .annotate(
            period=trunc("receipt__received_at"),
            inspected=Exists(inspections),
            failed=Exists(inspections.filter(status=Inspection.Status.FAILED)),
        )
        .values("period", "receipt__supplier", "receipt__supplier__number", "receipt__supplier__name")
        .annotate(
            received=Sum("stock_move__quantity"),
            lots=Count("id"),
            lots_inspected=Count("id", filter=Q(inspected=True)),
            lots_failed=Count("id", filter=Q(failed=True)),
        )
    )
    receipt_at = "ncr__receipt_line__receipt__received_at"
    rejects = (
        _in_range(
            Disposition.objects.filter(kind__in=REJECT_KINDS, ncr__receipt_line__isnull=False), receipt_at, start, end
        )
        .annotate(period=trunc(receipt_at))
        .values("period", "ncr__receipt_line__receipt__supplier")
        .annotate(
            returned=Sum("quantity", filter=Q(kind=Disposition.Kind.RETURN_TO_SUPPLIER)),
            scrapped=Sum("quantity", filter=Q(kind=Disposition.Kind.SCRAP)),
        )
    )
    rejected = {
        (period_date(r["period"]), r["ncr__receipt_line__receipt__supplier"]): (
            r["returned"] or Decimal(0),
            r["scrapped"] or Decimal(0),
        )
        for r in rejects
    }
    result = []
    for row in lines:
        when = period_date(row["period"])
        received = row["received"] or Decimal(0)
        returned, scrapped = rejected.get((when, row["receipt__supplier"]), (Decimal(0), Decimal(0)))
        total = returned + scrapped
        rate = float(total / received) if received else None
        result.append(
            {
                "period": when.isoformat(),
                "supplier": row["receipt__supplier__number"],
                "supplier_name": row["receipt__supplier__name"],
                "received": _plain(received),
                "rejected": _plain(total),
                "returned": _plain(returned),
                "scrapped": _plain(scrapped),
                "reject_rate": rate,
                "ppm": round(rate * 1_000_000) if rate is not None else None,
                "lots": row["lots"],
                "lots_inspected": row["lots_inspected"],
                "lots_failed": row["lots_failed"],
            }
        )
    result.sort(key=lambda r: (r["supplier"], r["period"]))
    return result
