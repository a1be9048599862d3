"""Server-side SVG of a control chart: no JavaScript, prints as it shows, works offline.

`render_control_chart(result)` draws the plotted statistic with its center line and limits
(a step line when limits vary per point), flagged points in red with the rules they broke as a
tooltip, excluded points hollow, and a dotted line where phase II (monitoring) starts. A
variables chart gets its R, S or moving-range chart underneath.
"""

from __future__ import annotations

import math

import numpy as np
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .spc import RULES, ChartResult, Limits

WIDTH = 760
LEFT, RIGHT, TOP, BOTTOM = 56, 84, 16, 28
FLAG = "#dc2626"
LINE = "#2563eb"
LIMIT = "#b45309"
CENTER = "#16a34a"


def _fmt(v: float) -> str:
    if v == 0 or not math.isfinite(v):
        return "0"
    digits = max(0, 4 - int(math.floor(math.log10(abs(v)))))
    return f"{v:.{min(digits, 8)}f}"


def _panel(
    lim: Limits, flags: dict[int, list[str]], excluded: np.ndarray, phase: np.ndarray, y0: int, h: int
) -> list[str]:
    m = len(lim.points)
    finite = lim.points[np.isfinite(lim.points)]
    values = np.concatenate([finite, lim.lcl, lim.ucl, [lim.center]])
    lo, hi = float(values.min()), float(values.max())
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = h - TOP - BOTTOM

    def sx(i: float) -> float:
        return LEFT + (plot_w * (i + 0.5) / m if m else 0)

    def sy(v: float) -> float:
        return y0 + TOP + plot_h * (hi - v) / (hi - lo)

    out = [
        f'<g class="panel" aria-label="{escape(lim.name)} chart">',
        f'<rect x="{LEFT}" y="{y0 + TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="currentColor" stroke-opacity="0.25"/>',
        f'<text x="{LEFT}" y="{y0 + TOP - 4}" font-size="12" fill="currentColor">{escape(lim.name)}</text>',
    ]
    # Phase II starts here.
    starts = np.flatnonzero(phase == 2)
    if starts.size:
        x = sx(starts[0] - 0.5)
        out.append(
            f'<line x1="{x:.1f}" y1="{y0 + TOP}" x2="{x:.1f}" y2="{y0 + TOP + plot_h}" stroke="currentColor" '
            f'stroke-opacity="0.5" stroke-dasharray="2 3"/><text x="{x + 3:.1f}" y="{y0 + TOP + 12}" font-size="10" '
            f'fill="currentColor" fill-opacity="0.7">phase II</text>'
        )

    def limit_path(arr: np.ndarray) -> str:
        if m == 0:
            return ""
        pts = []
        for i in range(m):
            pts.append(f"{sx(i - 0.5):.1f},{sy(arr[i]):.1f}")
            pts.append(f"{sx(i + 0.5):.1f},{sy(arr[i]):.1f}")
        return " ".join(pts)

    out.append(
        f'<line class="center" x1="{LEFT}" y1="{sy(lim.center):.1f}" x2="{LEFT + plot_w}" y2="{sy(lim.center):.1f}" '
        f'stroke="{CENTER}" stroke-width="1.2"/>'
    )
    for name, arr in (("ucl", lim.ucl), ("lcl", lim.lcl)):
        out.append(
            f'<polyline class="{name}" points="{limit_path(arr)}" fill="none" stroke="{LIMIT}" stroke-width="1.2" stroke-dasharray="6 4"/>'
        )
    label_x = LEFT + plot_w + 4
    for text, v, colour in (
        (f"UCL {_fmt(lim.ucl[-1])}", lim.ucl[-1], LIMIT),
        (f"CL {_fmt(lim.center)}", lim.center, CENTER),
        (f"LCL {_fmt(lim.lcl[-1])}", lim.lcl[-1], LIMIT),
    ):
        out.append(f'<text x="{label_x}" y="{sy(v) + 4:.1f}" font-size="10" fill="{colour}">{escape(text)}</text>')
    for frac in (0.0, 0.5, 1.0):
        v = lo + (hi - lo) * frac
        out.append(
            f'<text x="{LEFT - 4}" y="{sy(v) + 3:.1f}" font-size="10" text-anchor="end" fill="currentColor" '
            f'fill-opacity="0.7">{v:.4g}</text>'
        )
    segments: list[list[str]] = [[]]
    for i, v in enumerate(lim.points):
        if math.isfinite(v):
            segments[-1].append(f"{sx(i):.1f},{sy(v):.1f}")
        elif segments[-1]:
            segments.append([])
    for seg in segments:
        if len(seg) > 1:
            out.append(
                f'<polyline class="series" points="{" ".join(seg)}" fill="none" stroke="{LINE}" stroke-width="1.2"/>'
            )
    r = 3 if m <= 200 else 1.6
    for i, v in enumerate(lim.points):
        if not math.isfinite(v):
            continue
        rules = flags.get(i, [])
        colour = FLAG if rules else LINE
        fill = "none" if excluded[i] else colour
        cls = "point flagged" if rules else "point"
        tip = f"Sample {i + 1}: {_fmt(float(v))}"
        if excluded[i]:
            tip += " (excluded from the limits)"
        if rules:
            tip += " - " + "; ".join(f"{rule}: {RULES.get(rule, 'beyond the limits')}" for rule in rules)
        out.append(
            f'<circle class="{cls}" data-sample="{i + 1}" cx="{sx(i):.1f}" cy="{sy(float(v)):.1f}" r="{r + (1 if rules else 0)}" '
            f'fill="{fill}" stroke="{colour}" stroke-width="1.2"><title>{escape(tip)}</title></circle>'
        )
    step = max(1, math.ceil(m / 12))
    for i in range(0, m, step):
        out.append(
            f'<text x="{sx(i):.1f}" y="{y0 + h - 10}" font-size="10" text-anchor="middle" fill="currentColor" '
            f'fill-opacity="0.7">{i + 1}</text>'
        )
    out.append("</g>")
    return out


def render_control_chart(result: ChartResult) -> SafeString:
    """The chart as an inline SVG document (a string safe to put in a page as is)."""
    flags: dict[int, list[str]] = {}
    for rule, idx in result.violations.items():
        for i in idx.tolist():
            flags.setdefault(i, []).append(rule)
    main_h = 300
    sub_h = 190 if result.secondary is not None else 0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="control-chart" viewBox="0 0 {WIDTH} {main_h + sub_h}" '
        f'width="100%" role="img" aria-label="{escape(result.primary.name)} control chart, '
        f'{len(flags)} flagged point{"s" if len(flags) != 1 else ""}" font-family="system-ui, sans-serif">'
    ]
    parts += _panel(result.primary, flags, result.excluded, result.phase, 0, main_h)
    if result.secondary is not None:
        beyond = {int(i): ["beyond_limits"] for i in np.flatnonzero(result.secondary.beyond)}
        parts += _panel(result.secondary, beyond, result.excluded, result.phase, main_h, sub_h)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
