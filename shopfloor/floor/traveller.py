"""The work order traveller: the paper that goes with the parts, A4, one QR per operation.

The order's QR (its number) opens it on the /floor/ terminal; each operation's QR
(`WO-000123/20`) opens that job card, so an operator scans the line of the step in front of
them. Materials, work instructions and the drawings to work to are printed with it, with
space to write good and scrap quantities when the terminal is out of reach.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shopfloor.production.models import WorkOrder

from . import codes, selectors
from .pdf import draw_qr

BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#374151"))
HEAD = ParagraphStyle("head", parent=BODY, fontName="Helvetica-Bold", fontSize=10.5, leading=13)
TITLE = ParagraphStyle("title", parent=BODY, fontName="Helvetica-Bold", fontSize=20, leading=24)
SECTION = ParagraphStyle("section", parent=HEAD, fontSize=12, leading=15, spaceBefore=4 * mm, spaceAfter=2 * mm)


class QrFlowable(Flowable):
    """A QR code square in a platypus layout (tables, frames)."""

    def __init__(self, payload: str, size: float) -> None:
        super().__init__()
        self.payload = payload
        self.width = self.height = size

    def draw(self) -> None:
        draw_qr(self.canv, self.payload, 0, 0, self.width)


def _p(text: Any, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _q(value: Any) -> str:
    """A quantity as people write it (12, 0.5)."""
    return format(value.normalize(), "f") if value is not None else ""


def _docs(docs: list[dict[str, Any]]) -> str:
    parts = []
    for entry in docs:
        doc, rev = entry["document"], entry["released"]
        parts.append(
            f"{doc.number} rev {rev.revision} {doc.title}" if rev else f"{doc.number} {doc.title} (not released)"
        )
    return "; ".join(parts)


def render(work_order: WorkOrder) -> bytes:
    """The traveller of `work_order` as PDF bytes (uncompressed, reproducible but for the print time)."""
    wo = work_order
    ops = selectors.operation_lines(wo)
    materials = selectors.material_lines(wo)
    documents = selectors.documents_for(wo, ops)
    unit = wo.item.stock_unit.code
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"Traveller {wo.number}",
        author="Shopfloor",
        creator="Shopfloor",
        pageCompression=0,
        invariant=1,
    )
    width = doc.width
    story: list[Any] = []

    facts = [
        f"Item: {wo.item.number} rev {wo.item.revision} - {wo.item.name}",
        f"Quantity: {_q(wo.quantity)} {unit}    Due: {wo.due_date:%Y-%m-%d}    Plant: {wo.plant.code}",
        f"Kind: {wo.get_kind_display()}    Status: {wo.status}",
    ]
    if wo.serial_id:
        facts.append(f"Unit under repair: SN {wo.serial.serial}")
    if wo.parent_id:
        facts.append(f"For: {wo.parent.number}")
    if wo.issue_location_id:
        facts.append(f"Pick from: {wo.issue_location.code}")
    if wo.output_location_id:
        facts.append(f"Deliver to: {wo.output_location.code}")
    left = [_p("Work order traveller", SMALL), _p(wo.number, TITLE), *(_p(f) for f in facts)]
    if wo.notes:
        left.append(_p(f"Notes: {wo.notes}", SMALL))
    if documents["item"]:
        left.append(_p(f"Drawings: {_docs(documents['item'])}", SMALL))
    header = Table(
        [[left, QrFlowable(codes.work_order_code(wo.number), 34 * mm)]], colWidths=[width - 38 * mm, 38 * mm]
    )
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    story.append(header)

    if materials:
        story.append(_p("Materials", SECTION))
        rows = [[_p(h, HEAD) for h in ("Pos", "Component", "Required", "Issued", "From", "Note")]]
        for m in materials:
            note = "backflush" if m.backflush else ""
            if m.operation_id:
                note = f"{note + ', ' if note else ''}at op {m.operation.sequence}"
            rows.append(
                [
                    _p(m.position),
                    _p(f"{m.component.number} {m.component.name}"),
                    _p(f"{_q(m.required_quantity)} {m.component.stock_unit.code}"),
                    _p(_q(m.issued_quantity)),
                    _p(m.issue_location.code if m.issue_location_id else ""),
                    _p(note, SMALL),
                ]
            )
        table = Table(rows, colWidths=[12 * mm, width - 104 * mm, 24 * mm, 18 * mm, 24 * mm, 26 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9ca3af")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)

    story.append(_p("Operations", SECTION))
    if not ops:
        story.append(_p("No operations: the order has no routing (or is not released yet).", SMALL))
    qr = 26 * mm
    for op in ops:
        details = [
            _p(f"{op.sequence}  {op.description}", HEAD),
            _p(
                f"Work center {op.work_center.code}    Setup {_q(op.setup_time_minutes)} min    "
                f"Run {_q(op.run_time_per_unit_minutes)} min/{unit}"
                + (f"    Skill: {op.required_skill}" if op.required_skill else ""),
                SMALL,
            ),
        ]
        if op.work_instructions:
            details.append(_p(op.work_instructions))
        docs = documents["operations"].get(op.pk, [])
        if docs:
            details.append(_p(f"Drawings: {_docs(docs)}", SMALL))
        code = codes.operation_code(wo.number, op.sequence)
        details.append(_p(code, SMALL))
        done = op.status == "completed"
        sign = [
            _p(f"Good: {_q(op.good_quantity)}" if done else "Good: ________", BODY),
            _p(f"Scrap: {_q(op.scrap_quantity)}" if done else "Scrap: ________", BODY),
            _p("Operator: ________", BODY),
            _p("Date: ________", BODY),
        ]
        block = Table(
            [[QrFlowable(code, qr), details, sign]],
            colWidths=[qr + 4 * mm, width - qr - 4 * mm - 40 * mm, 40 * mm],
        )
        block.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                    ("LINEBEFORE", (2, 0), (2, 0), 0.4, colors.HexColor("#9ca3af")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(KeepTogether([block, Spacer(0, 2.5 * mm)]))

    # The command strip: a scanner-only operator (no keyboard at the machine) scans these.
    words = [codes.START, codes.PAUSE, codes.RESUME, codes.COMPLETE]
    cell = width / len(words)
    strip = Table(
        [
            [QrFlowable(codes.encode(codes.COMMAND, w), 16 * mm) for w in words],
            [_p(w, SMALL) for w in words],
        ],
        colWidths=[cell] * len(words),
    )
    strip.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(KeepTogether([_p("Commands (scan after the operation's code)", SECTION), strip]))

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(doc.leftMargin, 9 * mm, f"{wo.number} - {wo.item.number} - printed {printed}")
        canvas.drawRightString(doc.leftMargin + width, 9 * mm, f"Page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
