"""A grouped bar chart written as SVG by hand (standard library only, no matplotlib).

``grouped_bars([(group, series, value), ...], title)``: one group of bars per distinct group
(in first-seen order), one colour per series with a legend, values on a log10 axis (the suite's
rates span 30 to 300,000 certificates per second).
"""

from __future__ import annotations

import math
from html import escape
from typing import Dict, List, Sequence, Tuple

PALETTE = ["#08306b", "#2171b5", "#6baed6", "#9ecae1", "#41ab5d", "#c6dbef", "#e6550d", "#31a354",
           "#756bb1", "#d6616b", "#636363", "#bcbd22", "#8c564b", "#e377c2", "#17becf", "#000000"]


def grouped_bars(items: Sequence[Tuple[str, str, float]], title: str) -> str:
    groups: List[str] = []
    series: List[str] = []
    values: Dict[Tuple[str, str], float] = {}
    for group, name, value in items:
        if group not in groups:
            groups.append(group)
        if name not in series:
            series.append(name)
        values[(group, name)] = max(values.get((group, name), 0.0), value)
    if not values:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n'

    bar, gap, left, top, plot_h = 16, 28, 70, 50, 320
    per_group = [[s for s in series if (g, s) in values] for g in groups]
    width = max(760, left + sum(len(p) * bar + gap for p in per_group) + 20)
    legend_h = 18 * len(series) + 10
    height = top + plot_h + 70 + legend_h
    lo = math.floor(math.log10(min(values.values())))
    hi = math.ceil(math.log10(max(values.values())))
    hi = max(hi, lo + 1)

    def y(v: float) -> float:
        return top + plot_h - (math.log10(v) - lo) / (hi - lo) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="13" font-weight="bold">{escape(title)}</text>']
    for e in range(lo, hi + 1):
        yy = y(10 ** e)
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{10 ** e:,}</text>')
    x = left + gap / 2
    for g, present in zip(groups, per_group):
        start = x
        for s in present:
            v = values[(g, s)]
            color = PALETTE[series.index(s) % len(PALETTE)]
            yy = y(v)
            out.append(f'<rect x="{x:.1f}" y="{yy:.1f}" width="{bar - 2}" height="{top + plot_h - yy:.1f}" '
                       f'fill="{color}"><title>{escape(s)}: {v:,.0f}/s</title></rect>')
            x += bar
        mid = (start + x) / 2
        out.append(f'<text x="{mid:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{escape(g)}</text>')
        x += gap
    out.append(f'<line x1="{left}" x2="{width - 10}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    ly = top + plot_h + 40
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{left}" y="{ly + 18 * i - 10}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{left + 18}" y="{ly + 18 * i}">{escape(s)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
