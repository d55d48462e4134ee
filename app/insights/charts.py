"""Geometry of the server-side SVG charts (the templates draw it with classes only: the CSP forbids
inline styles). Shares per week become a line with its 95 % Wilson band over bars of weekly volume."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.insights.periods import Period
from app.metrics import share

LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 28  # plot margins inside the viewBox


@dataclass(frozen=True)
class Bar:
    """One week's volume bar and its tooltip."""

    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class TrendChart:
    """A share line, its interval band, volume bars, y-axis ticks and week labels, in a viewBox."""

    width: int
    height: int
    line: str  # polyline points
    band: str  # polygon points
    dots: list[tuple[float, float, str]]
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    label: str  # the accessible summary


def _fmt(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def trend_chart(
    trend: Sequence[tuple[Period, int, int]], name: str, width: int = 640, height: int = 200
) -> TrendChart:
    """Weekly share of responses mentioning a topic, with its Wilson interval, over weekly volume bars."""
    top, plot_h = TOP, height - TOP - BOTTOM
    scores = [share(k, n) for _, k, n in trend]
    ceiling = _nice(max([s.high or 0 for s in scores] + [1.0]))
    most = max([k for _, k, _ in trend] + [1])
    step = (width - LEFT - RIGHT) / max(len(trend), 1)

    def y_of(pct: float) -> float:
        """The y coordinate of a percentage."""
        return top + plot_h * (1 - pct / ceiling)

    line, upper, lower, dots, bars = [], [], [], [], []
    for i, ((week, k, n), s) in enumerate(zip(trend, scores, strict=True)):
        x = LEFT + step * (i + 0.5)
        title = f"Week of {week.label()}: {k} of {n} responses" + (
            f" ({s.value:.1f} %)" if s.value is not None else ""
        )
        bar_h = 0.35 * plot_h * k / most
        bars.append(Bar(x - step * 0.3, top + plot_h - bar_h, step * 0.6, bar_h, title))
        if s.value is not None and s.low is not None and s.high is not None:
            line.append((x, y_of(s.value)))
            upper.append((x, y_of(s.high)))
            lower.append((x, y_of(s.low)))
            dots.append((x, y_of(s.value), title))
    ticks = [(y_of(ceiling * f), f"{ceiling * f:g} %") for f in (0, 0.5, 1)]
    latest = scores[-1].value if scores else None
    summary = f"{name}: share of responses by week" + (
        f", {latest:.1f} % in the latest week" if latest else ""
    )
    band = _fmt(upper + lower[::-1])
    return TrendChart(width, height, _fmt(line), band, dots, bars, ticks, _labels(trend, step), summary)


def _labels(trend: Sequence[tuple[Period, int, int]], step: float) -> list[tuple[float, str]]:
    """About six week labels under the chart, the last one only when it does not crowd its neighbour."""
    every = max(1, len(trend) // 6)
    return [
        (LEFT + step * (i + 0.5), f"{week.first.day} {week.first:%b}")
        for i, (week, _, _) in enumerate(trend)
        if i % every == 0 or (i == len(trend) - 1 and i % every >= every / 2)
    ]


def _nice(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5, 10, 20, 25, 50, 100)."""
    for nice in (1, 2, 5, 10, 20, 25, 50, 100):
        if value <= nice:
            return float(nice)
    return 100.0


def sparkline(trend: Sequence[tuple[Period, int, int]], width: int = 96, height: int = 24) -> str:
    """Polyline points of weekly shares for a table cell (weeks without analysed comments skipped)."""
    values = [(i, 100 * k / n) for i, (_, k, n) in enumerate(trend) if n]
    if not values:
        return ""
    top = max(v for _, v in values) or 1.0
    step = width / max(len(trend) - 1, 1)
    return _fmt([(i * step, height - 2 - (height - 4) * v / top) for i, v in values])
