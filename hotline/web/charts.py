"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable when printed.

Shapes are written with f-strings, every text escaped by hand (`escape`): Markup.format
escapes each argument through string.Formatter, which made the dashboard's hundreds of
shapes a third of its rendering time."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#2f6f9f", "#d9822b", "#3a9d5d", "#b8455a", "#7b5ea7", "#8c8c3c", "#5b8f99",
           "#a0522d")
ROW = 26  # px per bar in horizontal charts


def _svg(width: int, height: int, body: Sequence[Markup], title: str) -> Markup:
    """Wrap shapes in a scalable <svg> with an accessible title."""
    t = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{t}"><title>{t}</title>'
        f'{Markup("").join(body)}</svg>')


def _number(value: float) -> str:
    """Whole numbers without decimals, thousands separated."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def bar_chart(items: Sequence[tuple[str, float]], title: str, *, width: int = 480,
              colors: Sequence[str] = PALETTE) -> Markup:
    """Horizontal bars, one row per (label, value), longest bar = largest value."""
    if not items:
        return Markup('<p class="empty">—</p>')
    label_w, value_w = 150, 80
    top = max((v for _, v in items), default=0) or 1
    shapes = []
    for i, (label, value) in enumerate(items):
        y = i * ROW
        bar = (width - label_w - value_w) * (value / top)
        ty = y + 17
        shapes.append(Markup(
            f'<text x="{label_w - 6}" y="{ty}" text-anchor="end" class="lbl">'
            f'{escape(label[:24])}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="{ROW - 8}" '
            f'fill="{escape(colors[i % len(colors)])}" rx="2"/>'
            f'<text x="{label_w + bar + 4:.1f}" y="{ty}" class="val">{_number(value)}</text>'))
    return _svg(width, len(items) * ROW + 4, shapes, title)


def stacked_columns(days: Sequence[str], series: dict[str, Sequence[int]], title: str, *,
                    width: int = 640, height: int = 220) -> Markup:
    """One column per day, stacked by series (e.g. category), with a legend underneath."""
    if not days:
        return Markup('<p class="empty">—</p>')
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    top = max(totals) or 1
    left, bottom, legend_h = 30, 20, 22 * math.ceil(len(series) / 3)
    plot_h = height - bottom
    step = (width - left) / len(days)
    shapes = [Markup(f'<text x="0" y="12" class="axis">{top}</text>'),
              Markup(f'<line x1="{left}" y1="{plot_h}" x2="{width}" y2="{plot_h}" '
                     'class="base"/>')]
    bar_w = max(step - 2, 1)
    for i, day in enumerate(days):
        y = float(plot_h)
        x, d = left + i * step, escape(day)
        for k, values in enumerate(series.values()):
            h = plot_h * values[i] / top
            if h:
                y -= h
                shapes.append(Markup(
                    f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{d}: {int(values[i])}</title>'
                    '</rect>'))
        if i % max(1, len(days) // 6) == 0:
            shapes.append(Markup(
                f'<text x="{x:.1f}" y="{height - 4}" class="axis">{escape(day[5:])}</text>'))
    shapes.extend(_legend(list(series), height + 8, width))
    return _svg(width, height + legend_h + 8, shapes, title)


def _legend(names: Sequence[str], y0: int, width: int) -> list[Markup]:
    """Colour keys in rows of three."""
    col = width // 3
    return [Markup(f'<rect x="{(i % 3) * col}" y="{y0 + (i // 3) * 22}" width="12" '
                   f'height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{(i % 3) * col + 16}" y="{y0 + (i // 3) * 22 + 11}" '
                   f'class="lbl-l">{escape(name)}</text>')
            for i, name in enumerate(names)]


def donut(parts: Sequence[tuple[str, float]], title: str, *, size: int = 180) -> Markup:
    """A ring split by share, total in the middle, legend on the right."""
    total = sum(v for _, v in parts)
    r, cx, cy = size * 0.38, size / 2, size / 2
    circumference = 2 * math.pi * r
    shapes, offset = [], 0.0
    for i, (_label, value) in enumerate(parts):
        length = circumference * (value / total) if total else 0
        shapes.append(Markup(
            '<circle cx="{cx}" cy="{cy}" r="{r:.1f}" fill="none" stroke="{c}" stroke-width="{sw}"'
            ' stroke-dasharray="{a:.2f} {b:.2f}" stroke-dashoffset="{o:.2f}" '
            'transform="rotate(-90 {cx} {cy})"/>').format(
                cx=cx, cy=cy, r=r, c=PALETTE[i % len(PALETTE)], sw=size * 0.16, a=length,
                b=circumference - length, o=-offset))
        offset += length
    shapes.append(Markup('<text x="{cx}" y="{cy}" text-anchor="middle" class="big">{t}</text>')
                  .format(cx=cx, cy=cy + 8, t=_number(total)))
    shapes.extend(Markup('<rect x="{x}" y="{y}" width="12" height="12" fill="{c}"/>'
                         '<text x="{tx}" y="{ty}" class="lbl-l">{n}: {v}</text>').format(
                             x=size + 10, y=30 + i * 24, c=PALETTE[i % len(PALETTE)],
                             tx=size + 28, ty=41 + i * 24, n=label, v=_number(value))
                  for i, (label, value) in enumerate(parts))
    return _svg(size + 190, size, shapes, title)


def progress(done: int, total: int, label: str = "") -> Markup:
    """A progress bar (HTML <progress> so screen readers announce it) with its percentage."""
    pct = 100.0 * done / total if total else 0.0
    return Markup('<div class="progress"><progress max="{t}" value="{d}">{p:.0f}%</progress>'
                  '<span>{lbl} {d}/{t} ({p:.0f}%)</span></div>').format(
                      t=total, d=done, p=pct, lbl=escape(label))
