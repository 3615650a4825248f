"""Geometry for the small server-side SVG charts (drawn by templates/dashboard/_charts.html). Pure.

We draw our own: a horizontal bar chart and a column sparkline are a few rectangles each, so a charting package
(and its JavaScript, CSP exceptions or CDN) would add weight without adding anything a manager needs. The SVG is
server-rendered, needs no script, scales with the viewBox on a phone, and carries a <title> per bar and a text
alternative for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    summary: str


def bar_chart(rows, *, width: int = 320, bar_h: int = 18, gap: int = 8, label_w: int = 110,
              fmt=lambda v: f"{v:,.2f}") -> Chart:
    """Horizontal bars, one per (label, value), scaled to the largest value (negative values count as 0)."""
    rows = [(str(label), float(value)) for label, value in rows]
    top = max((v for _, v in rows), default=0.0)
    span = width - label_w - 70
    bars = []
    for i, (label, value) in enumerate(rows):
        w = 0.0 if top <= 0 else max(0.0, value) / top * span
        bars.append(Bar(label, fmt(value), label_w, i * (bar_h + gap), round(w, 1), bar_h))
    summary = "; ".join(f"{b.label}: {b.text}" for b in bars)
    return Chart(bars, width, max(1, len(bars) * (bar_h + gap) - gap), summary)


def columns(values, *, labels=None, width: int = 320, height: int = 60, gap: int = 2) -> Chart:
    """A column sparkline of counts: one column per value, scaled to the largest, baseline at the bottom."""
    values = [float(v) for v in values]
    labels = list(labels) if labels is not None else [str(i) for i in range(len(values))]
    n = max(1, len(values))
    col_w = (width - gap * (n - 1)) / n
    top = max(values, default=0.0)
    bars = []
    for i, v in enumerate(values):
        h = 0.0 if top <= 0 else v / top * (height - 2)
        h = max(h, 1.0)  # a hairline shows the day exists even with nothing on it
        bars.append(Bar(labels[i], f"{v:g}", round(i * (col_w + gap), 1), round(height - h, 1), round(col_w, 1),
                        round(h, 1)))
    summary = ", ".join(f"{b.label}: {b.text}" for b in bars)
    return Chart(bars, width, height, summary)
