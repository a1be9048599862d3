"""The purchase order as the supplier receives it: an A4 PDF with the header, the supplier, the
lines and totals, where the order stands in its approval, and "page n of m" on every page.

The output is uncompressed and reproducible but for the print time (same order, same bytes), so
its text can be searched without a PDF library, as the floor's travellers are.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shopfloor.core.quantities import plain
from shopfloor.workflows import services as workflow_services
from shopfloor.workflows.models import ApprovalRequest, TransitionRecord

from . import selectors
from .models import PurchaseOrder

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#374151"))
HEAD = ParagraphStyle("head", parent=BODY, fontName="Helvetica-Bold", fontSize=10.5, leading=13)
TITLE = ParagraphStyle("title", parent=BODY, fontName="Helvetica-Bold", fontSize=20, leading=24)
MONEY_PLACES = Decimal("0.01")


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _money(value: Decimal) -> str:
    return f"{value.quantize(MONEY_PLACES):,.2f}"


def _who(user: Any) -> str:
    if user is None:
        return "the system"
    return user.get_full_name() or user.get_username()


def approval_status(order: PurchaseOrder) -> str:
    """Where the order stands in its approval, in words (who approved it and when, or who is awaited)."""
    label = order.status.replace("_", " ")
    if order.status == "draft":
        return "Draft: not submitted for approval."
    if order.status == "pending_approval":
        # The request opens with the first approver's decision; until then none is given.
        needed = (
            workflow_services.definition_for(PurchaseOrder)
            .transitions.filter(source__key="pending_approval", target__key="approved")
            .values_list("approvals_required", flat=True)
            .first()
        )
        pending = ApprovalRequest.objects.filter(
            object_type=order._meta.label_lower, object_id=str(order.pk), status=ApprovalRequest.Status.PENDING
        ).first()
        given = pending.decisions.filter(decision="approve").count() if pending is not None else 0
        return f"Pending approval ({given} of {needed or 1} approvals given)."
    approved = (
        TransitionRecord.objects.filter(
            object_type=order._meta.label_lower, object_id=str(order.pk), to_state="approved"
        )
        .select_related("actor")
        .order_by("-id")
        .first()
    )
    if approved is None:
        return f"Status: {label}."
    when = timezone.localtime(approved.created_at).strftime("%Y-%m-%d %H:%M")
    return f"Approved by {_who(approved.actor)} on {when}; status: {label}."


class NumberedCanvas(Canvas):
    """A canvas that knows the page count when it writes each page's footer ("Page 2 of 3")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int) -> None:
        self.setFont("Helvetica", 8)
        self.setFillColor(colors.HexColor("#374151"))
        self.drawString(14 * mm, 8 * mm, getattr(self, "footer_text", ""))
        self.drawRightString(A4[0] - 14 * mm, 8 * mm, f"Page {self._pageNumber} of {total}")


def render(order: PurchaseOrder) -> bytes:
    """The order as PDF bytes (A4, uncompressed)."""
    order = selectors.purchase_orders().get(pk=order.pk)
    lines = list(selectors.order_lines().filter(order=order).order_by("position", "id"))
    supplier = order.supplier
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"Purchase order {order.number}",
        author="Shopfloor",
        creator="Shopfloor",
        pageCompression=0,
        invariant=1,
    )
    story: list[Any] = [
        _p(f"Purchase order {order.number}", TITLE),
        Spacer(1, 3 * mm),
    ]
    supplier_lines = [supplier.name, f"Supplier no. {supplier.number}"]
    for attr in ("address", "email", "phone"):
        value = getattr(supplier, attr, "")
        if value:
            supplier_lines.append(str(value))
    header = [
        [_p("Supplier", HEAD), _p("Order", HEAD)],
        [
            _p("\n".join(supplier_lines)),
            _p(
                "\n".join(
                    [
                        f"Order date: {order.order_date:%Y-%m-%d}",
                        f"Expected: {order.expected_date:%Y-%m-%d}" if order.expected_date else "Expected: -",
                        f"Deliver to: {order.plant.name} ({order.plant.code})",
                        f"Currency: {order.currency}",
                        f"Your reference: {order.supplier_reference or '-'}",
                    ]
                )
            ),
        ],
    ]
    header_table = Table(header, colWidths=[91 * mm, 91 * mm])
    header_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [header_table, Spacer(1, 3 * mm), _p(f"Approval: {approval_status(order)}", HEAD), Spacer(1, 4 * mm)]

    rows: list[list[Any]] = [
        [_p(h, HEAD) for h in ("Pos", "Item", "Due", "Quantity", f"Unit price ({order.currency})", "Amount")]
    ]
    for line in lines:
        description = line.description or line.item.name
        rows.append(
            [
                _p(line.position),
                _p(f"{line.item.number}\n{description}"),
                _p(f"{line.due_date:%Y-%m-%d}" if line.due_date else "-"),
                _p(f"{plain(line.quantity)} {line.unit.code}"),
                _p(_money(line.unit_price)),
                _p(_money(line.amount)),
            ]
        )
    rows.append(["", _p("Total", HEAD), "", "", "", _p(f"{_money(order.total)} {order.currency}", HEAD)])
    table = Table(rows, colWidths=[12 * mm, 70 * mm, 22 * mm, 26 * mm, 26 * mm, 26 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#f3f4f6")]),
            ]
        )
    )
    story.append(table)
    if order.notes:
        story += [Spacer(1, 4 * mm), _p("Notes", HEAD), _p(order.notes)]

    def footer(canvas: Canvas, _doc: Any) -> None:
        canvas.footer_text = f"{order.number} - printed {printed}"

    doc.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=NumberedCanvas)
    return buffer.getvalue()
