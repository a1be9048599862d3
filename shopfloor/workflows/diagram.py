"""A workflow drawn as inline SVG, laid out on the server (no JS library).

Layered layout: a state's column is its breadth-first distance from the initial state, its row
the order within that column; states nothing reaches go into one last column. Forward moves
are curves from the right edge to the left edge; moves back (or within a column) arc below.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import WorkflowState, WorkflowTransition

NODE_W, NODE_H = 150, 46
COL_GAP, ROW_GAP = 110, 64
MARGIN = 24


def _text_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on the state's colour."""
    try:
        r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#ffffff"
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111827" if luminance > 0.6 else "#ffffff"


def layout(states: Sequence[WorkflowState], transitions: Sequence[WorkflowTransition]) -> dict[int, tuple[int, int]]:
    """(column, row) of every state by its pk."""
    depth: dict[int, int] = {}
    initial = next((s for s in states if s.is_initial), None)
    if initial is not None:
        depth[initial.pk] = 0
        queue = deque([initial.pk])
        while queue:
            current = queue.popleft()
            for t in transitions:
                if t.source_id == current and t.target_id not in depth:
                    depth[t.target_id] = depth[current] + 1
                    queue.append(t.target_id)
    stray_column = max(depth.values(), default=-1) + 1
    positions: dict[int, tuple[int, int]] = {}
    rows: dict[int, int] = {}
    for s in sorted(states, key=lambda s: (depth.get(s.pk, stray_column), s.position, s.key)):
        column = depth.get(s.pk, stray_column)
        positions[s.pk] = (column, rows.get(column, 0))
        rows[column] = rows.get(column, 0) + 1
    return positions


def _xy(position: tuple[int, int]) -> tuple[float, float]:
    column, row = position
    return MARGIN + column * (NODE_W + COL_GAP), MARGIN + row * (NODE_H + ROW_GAP)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def render_svg(
    states: Sequence[WorkflowState], transitions: Sequence[WorkflowTransition], *, ident: str = "wf"
) -> SafeString:
    """The state diagram as an `<svg>` element, sized to its content."""
    positions = layout(states, transitions)
    columns = max((c for c, _ in positions.values()), default=0) + 1
    rows = max((r for _, r in positions.values()), default=0) + 1
    width = 2 * MARGIN + columns * NODE_W + (columns - 1) * COL_GAP
    height = 2 * MARGIN + rows * NODE_H + (rows - 1) * ROW_GAP + 70  # room for arcs below
    marker = f"{ident}-arrow"
    parts: list[str] = [
        f'<svg class="wf-diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">State diagram</title>',
        f'<desc id="{ident}-desc">'
        + escape("; ".join(f"{t.label}: {t.source.label} to {t.target.label}" for t in transitions))
        + "</desc>",
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="wf-arrowhead"/></marker></defs>',
    ]
    by_pk = {s.pk: s for s in states}
    labels: list[str] = []
    arc = 0
    for t in transitions:
        if t.source_id not in positions or t.target_id not in positions:
            continue
        (sx, sy), (tx, ty) = _xy(positions[t.source_id]), _xy(positions[t.target_id])
        forward = positions[t.target_id][0] > positions[t.source_id][0]
        if forward:
            p0 = (sx + NODE_W, sy + NODE_H / 2)
            p3 = (tx, ty + NODE_H / 2)
            bend = (p3[0] - p0[0]) / 2
            p1, p2 = (p0[0] + bend, p0[1]), (p3[0] - bend, p3[1])
        else:
            arc += 1
            drop = 34 + 14 * arc
            p0 = (sx + NODE_W / 2 - 12, sy + NODE_H)
            p3 = (tx + NODE_W / 2 + 12, ty + NODE_H)
            low = max(p0[1], p3[1]) + drop
            p1, p2 = (p0[0], low), (p3[0], low)
        mid_x = (p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8
        mid_y = (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8
        d = "M{} {} C{} {} {} {} {} {}".format(*(_fmt(v) for v in (*p0, *p1, *p2, *p3)))
        parts.append(
            f'<path class="wf-edge" d="{d}" marker-end="url(#{marker})" '
            f'data-source="{escape(t.source.key)}" data-target="{escape(t.target.key)}"/>'
        )
        text = t.label + (" ✎" if t.signature_required else "")
        label_w = 7 * len(text) + 10
        labels.append(
            f'<g class="wf-edge-label"><rect x="{_fmt(mid_x - label_w / 2)}" y="{_fmt(mid_y - 10)}" '
            f'width="{label_w}" height="20" rx="4"/>'
            f'<text x="{_fmt(mid_x)}" y="{_fmt(mid_y + 4)}" text-anchor="middle">{escape(text)}</text></g>'
        )
    for pk, position in positions.items():
        s = by_pk[pk]
        x, y = _xy(position)
        kind = " initial" if s.is_initial else (" final" if s.is_final else "")
        stroke = ' stroke-width="3"' if s.is_final else ""
        parts.append(
            f'<g class="wf-node{kind}" data-state="{escape(s.key)}">'
            f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{NODE_W}" height="{NODE_H}" rx="12" '
            f'fill="{escape(s.colour)}"{stroke}/>'
            f'<text x="{_fmt(x + NODE_W / 2)}" y="{_fmt(y + NODE_H / 2 + 5)}" text-anchor="middle" '
            f'fill="{_text_colour(s.colour)}">{escape(s.label)}</text></g>'
        )
        if s.is_initial:
            parts.append(
                f'<circle class="wf-start" cx="{_fmt(x - 12)}" cy="{_fmt(y + NODE_H / 2)}" r="6"><title>initial</title></circle>'
            )
    parts.extend(labels)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
