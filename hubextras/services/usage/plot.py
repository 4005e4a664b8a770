"""A plot over time as server-drawn SVG (pure): bars of GiB-hours per step, labelled, readable without JS."""

from __future__ import annotations

import datetime
from html import escape

from ...usage.aggregate import Totals

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 240, 56, 36, 12


def svg_bars(points: list[tuple[float, Totals]], resource: str = "memory_gib_hours", unit: str = "GiB-hours") -> str:
    """An accessible SVG bar chart of `resource` per point (title and a description of the largest bar)."""
    values = [t.of(resource) for _, t in points]
    peak = max(values, default=0.0) or 1.0
    inner_w, inner_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    count = max(len(values), 1)
    bar_w = inner_w / count
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="plot-title plot-desc" class="usage-plot" width="100%">',
        f'<title id="plot-title">{escape(unit)} per {"day" if count > 1 else "window"}</title>',
    ]
    if values:
        biggest = max(range(len(values)), key=lambda i: values[i])
        parts.append(
            f'<desc id="plot-desc">{len(values)} bars; the largest is {values[biggest]:.2f} {escape(unit)} '
            f"on {_day(points[biggest][0])}.</desc>"
        )
    else:
        parts.append('<desc id="plot-desc">No usage in this window.</desc>')
    base = TOP + inner_h
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - 8}" y2="{base}" stroke="currentColor"/>')
    for fraction in (0.5, 1.0):
        y = base - inner_h * fraction
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="currentColor">'
            f"{peak * fraction:.1f}</text>"
        )
    label_every = max(1, count // 10)
    for index, value in enumerate(values):
        height = inner_h * value / peak
        x = LEFT + index * bar_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{base - height:.1f}" width="{max(bar_w - 2, 1):.1f}" '
            f'height="{height:.1f}" fill="#1f6fb2"><title>{_day(points[index][0])}: {value:.2f} '
            f"{escape(unit)}</title></rect>"
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{base + 16}" text-anchor="middle" font-size="11" '
                f'fill="currentColor">{_day(points[index][0])[5:]}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _day(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%d")
