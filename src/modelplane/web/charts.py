"""Charts as inline SVG, drawn on the server: no script, no CDN, readable without CSS.

Each chart is an ``<svg role="img">`` with a ``<title>`` and one ``<title>`` per mark, so
screen readers and hover tooltips both get the numbers. Pages show the same numbers in a
table beside the chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

Formatter = Callable[[float], str]

_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def plain(value: float) -> str:
    """``1234.0 -> "1,234"``, ``0.25 -> "0.25"``."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.4g}"


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (the axis top).

    >>> nice_max(0), nice_max(7), nice_max(130), nice_max(0.0031)
    (1.0, 10.0, 200.0, 0.005)
    """
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value * (1 - 1e-12):
            return float(round(step * power, 12))
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 64
    right: int = 12
    top: int = 26
    bottom: int = 46

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    def y(self, value: float, top: float) -> float:
        return self.top + self.plot_height * (1 - value / top)


def _open(frame: _Frame, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
        f'<text x="{frame.left}" y="16" {_FONT} font-weight="600">{escape(title)}</text>',
    ]


def _y_axis(frame: _Frame, top: float, fmt: Formatter, ticks: int = 4) -> list[str]:
    parts = []
    for i in range(ticks + 1):
        value = top * i / ticks
        y = frame.y(value, top)
        parts.append(
            f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>'
            f"{escape(fmt(value))}</text>"
        )
    base = frame.top + frame.plot_height
    parts.append(
        f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{base}" y2="{base}" '
        'stroke="#555" stroke-width="1"/>'
    )
    parts.append(
        f'<line x1="{frame.left}" x2="{frame.left}" y1="{frame.top}" y2="{base}" '
        'stroke="#555" stroke-width="1"/>'
    )
    return parts


def _x_label(frame: _Frame, x: float, text: str, below: int = 14) -> str:
    y = frame.top + frame.plot_height + below
    return f'<text x="{x:.1f}" y="{y}" text-anchor="middle" {_FONT}>{escape(text)}</text>'


def _short(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


CHAR_WIDTH = 6.5
"""Width in px of one character of an axis label (11px sans-serif), with room to spare."""


def label_step(labels: Sequence[str], slot: float) -> int:
    """Label every n-th bar so that no two labels overlap: n is how many bar slots the
    widest (shortened) label needs, with a gap of one character."""
    widest = max((len(_short(label)) for label in labels), default=0)
    return max(1, math.ceil((widest + 1) * CHAR_WIDTH / max(slot, 1.0)))


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    fmt: Formatter = plain,
    width: int = 560,
    height: int = 240,
) -> Markup:
    """Vertical bars, one per label, on a y axis from zero to a round maximum."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    frame = _Frame(width, height)
    top = nice_max(max(values, default=0))
    parts = [*_open(frame, title), *_y_axis(frame, top, fmt)]
    if not values:
        parts.append(_empty(frame))
    slot = frame.plot_width / max(len(values), 1)
    every = label_step(labels, slot)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = frame.left + i * slot + slot * 0.15
        y = frame.y(value, top)
        bar_height = frame.top + frame.plot_height - y
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_height:.1f}" fill="#3b6fb6"><title>{escape(label)}: '
            f"{escape(fmt(value))}</title></rect>"
        )
        if i % every == 0:
            parts.append(_x_label(frame, x + slot * 0.35, _short(label)))
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    fmt: Formatter = plain,
    width: int = 560,
    height: int = 240,
    max_labels: int = 8,
) -> Markup:
    """A line through one point per label (days, say), labelling at most ``max_labels``."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    frame = _Frame(width, height)
    top = nice_max(max(values, default=0))
    parts = [*_open(frame, title), *_y_axis(frame, top, fmt)]
    if not values:
        parts.append(_empty(frame))
    step = frame.plot_width / max(len(values) - 1, 1)
    points = [
        (
            frame.left + i * step if len(values) > 1 else frame.left + frame.plot_width / 2,
            frame.y(v, top),
        )
        for i, v in enumerate(values)
    ]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#3b6fb6" stroke-width="2"/>')
    every = max(1, math.ceil(len(labels) / max_labels))
    for i, ((x, y), label, value) in enumerate(zip(points, labels, values, strict=True)):
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#3b6fb6">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></circle>"
        )
        last = len(labels) - 1
        if i == last or (i % every == 0 and last - i >= max(every // 2, 1)):
            parts.append(_x_label(frame, x, _short(label)))  # the last label, never crowded
    parts.append("</svg>")
    return Markup("".join(parts))


_SERIES_STYLES = (
    ("#3b6fb6", ""),
    ("#c77d12", ' stroke-dasharray="6 3"'),
    ("#b23b3b", ' stroke-dasharray="2 3"'),
    ("#4b8b3b", ' stroke-dasharray="8 3 2 3"'),
)
"""Each line's colour and dash pattern: told apart without colour too."""


def lines_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    *,
    x_title: str,
    y_title: str,
    fmt: Formatter = plain,
    width: int = 560,
    height: int = 260,
) -> Markup:
    """Several lines over the same labels (p50, p95 and p99 per day, say), with a legend,
    both axes titled, and x labels thinned so that no two overlap. A ``None`` value leaves
    a gap in its line."""
    if len(series) > len(_SERIES_STYLES):
        raise ValueError(f"at most {len(_SERIES_STYLES)} lines")
    if any(len(values) != len(labels) for _, values in series):
        raise ValueError("one value per label in every line")
    frame = _Frame(width, height, left=76, top=44, bottom=52)
    found = [v for _, values in series for v in values if v is not None]
    top = nice_max(max(found, default=0))
    parts = [*_open(frame, title), *_legend(frame, [name for name, _ in series])]
    parts += [*_y_axis(frame, top, fmt), *_axis_titles(frame, x_title, y_title)]
    if not found:
        parts.append(_empty(frame))
    step = frame.plot_width / max(len(labels) - 1, 1)

    def x_of(i: int) -> float:
        return frame.left + i * step if len(labels) > 1 else frame.left + frame.plot_width / 2

    for (name, values), (colour, dash) in zip(series, _SERIES_STYLES, strict=False):
        parts += _line(
            [
                (x_of(i), frame.y(v, top), label, v)
                for i, (label, v) in enumerate(zip(labels, values, strict=True))
                if v is not None
            ],
            name,
            colour,
            dash,
            fmt,
        )
    every = label_step(labels, step) if len(labels) > 1 else 1
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(_x_label(frame, x_of(i), _short(label), below=20))  # under "0"
    parts.append("</svg>")
    return Markup("".join(parts))


def _line(
    points: list[tuple[float, float, str, float]], name: str, colour: str, dash: str, fmt: Formatter
) -> list[str]:
    parts = []
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        parts.append(
            f'<polyline class="series" data-series="{escape(name)}" points="{path}" fill="none" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
        )
    for x, y, label, value in points:
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
            f"<title>{escape(name)}, {escape(label)}: {escape(fmt(value))}</title></circle>"
        )
    return parts


def _legend(frame: _Frame, names: Sequence[str]) -> list[str]:
    """One swatch and name per line, in a row under the title."""
    parts, x, y = [], float(frame.left), 32
    for name, (colour, dash) in zip(names, _SERIES_STYLES, strict=False):
        parts.append(
            f'<line x1="{x:.1f}" x2="{x + 18:.1f}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
        )
        parts.append(f'<text class="legend" x="{x + 22:.1f}" y="{y}" {_FONT}>{escape(name)}</text>')
        x += 22 + (len(name) + 3) * CHAR_WIDTH
    return parts


def _axis_titles(frame: _Frame, x_title: str, y_title: str) -> list[str]:
    x = frame.left + frame.plot_width / 2
    y = frame.top + frame.plot_height / 2
    return [
        f'<text class="axis-title" x="{x:.1f}" y="{frame.height - 8}" text-anchor="middle" '
        f"{_FONT}>{escape(x_title)}</text>",
        f'<text class="axis-title" x="14" y="{y:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {y:.1f})" {_FONT}>{escape(y_title)}</text>',
    ]


def _empty(frame: _Frame) -> str:
    x = frame.left + frame.plot_width / 2
    y = frame.top + frame.plot_height / 2
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" {_FONT}>no data</text>'


__all__ = ["bar_chart", "line_chart", "lines_chart", "nice_max", "plain"]
