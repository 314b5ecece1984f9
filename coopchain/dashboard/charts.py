"""Small charts as server-rendered SVG: no script, readable by a screen reader (a title, a
description, and each mark's value in its own <title>), and they print.

Pure functions from plain data to markup; every number shown is formatted by the caller's
`fmt` (coopchain/formatting.py), so a chart reads like the page around it.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

WIDTH, HEIGHT = 520, 260
#: Room for the y-axis labels (left), the x labels (bottom) and the axis titles.
LEFT, RIGHT, TOP, BOTTOM = 76, 14, 14, 54
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    #: Under the bar (shown only for some bars when they are many).
    label: str
    value: Decimal
    #: What a screen reader and a hover read: the label with its figures.
    text: str


@dataclass(frozen=True)
class Point:
    x: date
    y: Decimal
    text: str
    #: A CSS class for the mark (e.g. its SCA band).
    kind: str = ""


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) giving about `ticks` intervals up to `top`."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def _decimal(value: float) -> Decimal:
    """A tick value as a plain Decimal: 1000, not 1E+3 or 1000.0."""
    rounded = round(value, 6)
    return Decimal(int(rounded)) if rounded == int(rounded) else Decimal(str(rounded))


def _open(title: str, desc: str, css_class: str) -> tuple[list[str], str]:
    n = next(_ids)
    title_id, desc_id = f"chart-{n}-title", f"chart-{n}-desc"
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
    ]
    return head, title_id


def _empty(title: str, desc: str, css_class: str, message: str) -> Markup:
    parts, _title_id = _open(title, desc, css_class)
    parts.append(
        f'<text class="empty" x="{WIDTH / 2:.0f}" y="{HEIGHT / 2:.0f}" text-anchor="middle" '
        f'fill="#555">{escape(message)}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def _axes(parts: list[str], y_ticks, y_of, fmt, x_title: str, y_title: str) -> None:
    for value in y_ticks:
        y = y_of(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="14" fill="#333">{escape(fmt(value))}</text>'
        )
    bottom = TOP + PLOT_H
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" '
        'stroke="#333" stroke-width="1"/>'
        f'<text class="axis-title" x="{LEFT + PLOT_W / 2:.0f}" y="{HEIGHT - 4}" '
        f'text-anchor="middle" font-size="14" fill="#333">{escape(x_title)}</text>'
        f'<text class="axis-title" x="16" y="{TOP + PLOT_H / 2:.0f}" text-anchor="middle" '
        f'font-size="14" fill="#333" transform="rotate(-90 16 {TOP + PLOT_H / 2:.0f})">'
        f"{escape(y_title)}</text>"
    )


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    desc: str,
    x_title: str,
    y_title: str,
    empty: str,
    fmt: Callable[[Decimal], str],
    css_class: str = "bars",
    max_labels: int = 6,
) -> Markup:
    """Vertical bars from zero; "empty" is said in place of the chart when every bar is 0."""
    if not bars or all(bar.value <= 0 for bar in bars):
        return _empty(title, desc, css_class, empty)
    top = float(max(bar.value for bar in bars))
    step = nice_step(top)
    axis_top = step * math.ceil(top / step)
    y_of = lambda v: TOP + PLOT_H - float(v) / axis_top * PLOT_H  # noqa: E731
    ticks = [_decimal(step * i) for i in range(round(axis_top / step) + 1)]
    parts, _title_id = _open(title, desc, css_class)
    _axes(parts, ticks, y_of, fmt, x_title, y_title)
    slot = PLOT_W / len(bars)
    every = max(1, math.ceil(len(bars) / max_labels))
    for i, bar in enumerate(bars):
        x = LEFT + i * slot + slot * 0.15
        y = y_of(bar.value)
        height = TOP + PLOT_H - y
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height:.1f}" fill="#2f6f4f" data-value="{bar.value}">'
            f"<title>{escape(bar.text)}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text class="label" x="{x + slot * 0.35:.1f}" y="{TOP + PLOT_H + 18}" '
                f'text-anchor="middle" font-size="14" fill="#333">{escape(bar.label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def dot_chart(
    points: Sequence[Point],
    *,
    title: str,
    desc: str,
    x_range: tuple[date, date],
    x_ticks: Sequence[tuple[date, str]],
    y_range: tuple[Decimal, Decimal],
    threshold: tuple[Decimal, str] | None,
    x_title: str,
    y_title: str,
    empty: str,
    fmt: Callable[[Decimal], str],
    css_class: str = "dots",
) -> Markup:
    """One dot per point on a date axis, with an optional labelled threshold line (e.g. the
    specialty score)."""
    if not points:
        return _empty(title, desc, css_class, empty)
    low = min([y_range[0], *(p.y for p in points)])
    high = max([y_range[1], *(p.y for p in points)])
    span = float(high - low) or 1.0
    y_of = lambda v: TOP + PLOT_H - float(Decimal(v) - low) / span * PLOT_H  # noqa: E731
    days = max(1, (x_range[1] - x_range[0]).days)
    x_of = lambda d: LEFT + 8 + (d - x_range[0]).days / days * (PLOT_W - 16)  # noqa: E731
    step = _decimal(nice_step(span, 5))
    first = (low / step).to_integral_value(rounding="ROUND_CEILING") * step
    ticks = []
    while first <= high:
        ticks.append(first)
        first += step
    parts, _title_id = _open(title, desc, css_class)
    _axes(parts, ticks, y_of, fmt, x_title, y_title)
    for day, label in x_ticks:
        parts.append(
            f'<text class="label" x="{x_of(day):.1f}" y="{TOP + PLOT_H + 18}" '
            f'text-anchor="middle" font-size="14" fill="#333">{escape(label)}</text>'
        )
    if threshold and low <= threshold[0] <= high:
        y = y_of(threshold[0])
        parts.append(
            f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#b26b00" stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text class="threshold-label" x="{WIDTH - RIGHT - 4}" y="{y - 4:.1f}" '
            f'text-anchor="end" font-size="14" fill="#7a4a00">{escape(threshold[1])}</text>'
        )
    for point in points:
        parts.append(
            f'<circle class="dot {escape(point.kind)}" cx="{x_of(point.x):.1f}" '
            f'cy="{y_of(point.y):.1f}" r="6" fill="#2f6f4f" stroke="#fff" stroke-width="1" '
            f"data-value={quoteattr(str(point.y))}><title>{escape(point.text)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)
