"""Geometry of the Trends charts, drawn by the template with classes only (the CSP forbids inline styles):
a line per series with its 95 % interval band, axes with ticks, bucket labels, and a 0–10 distribution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.trends.series import CHART_SERIES, SEGMENTS, Trend, bucket_label, bucket_of, next_bucket

LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 30
Y_RANGES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}
Y_TICKS = {"nps": (-100, -50, 0, 50, 100), "csat": (0, 25, 50, 75, 100), "ces": (1, 2, 3, 4, 5, 6, 7)}


@dataclass
class Dot:
    """A point a person can hover (title) and click (the responses behind it)."""

    x: float
    y: float
    title: str
    href: str | None  # None: no explorer filter selects its responses ("all other accounts")


@dataclass
class Line:
    """One series: its css class index, polyline, band polygon and dots."""

    index: int
    label: str
    line: str
    band: str
    dots: list[Dot] = field(default_factory=list)


@dataclass
class Chart:
    """A whole chart in a viewBox."""

    width: int
    height: int
    lines: list[Line]
    ticks: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    summary: str


def _fmt(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def trend_chart(
    trend: Trend, link: Callable[[dict[str, str], date], str], width: int = 760, height: int = 260
) -> Chart:
    """Lines of the biggest series over the buckets; bands when at most three (more would hide each other)."""
    kind = trend.filters.kind
    low, high = Y_RANGES[kind]
    plot_h = height - TOP - BOTTOM
    step = (width - LEFT - RIGHT) / max(len(trend.buckets), 1)
    index = {b: i for i, b in enumerate(trend.buckets)}

    def y_of(value: float) -> float:
        clipped = min(max(value, low), high)
        return TOP + plot_h * (1 - (clipped - low) / (high - low))

    # split by account the series are the top N, the rest together and no account: all drawn
    drawn = trend.series if trend.accounts else trend.series[:CHART_SERIES]
    lines = []
    for n, series in enumerate(drawn):
        line, upper, lower, dots = [], [], [], []
        for p in series.points:
            if p.score.value is None or p.bucket not in index:
                continue
            x = LEFT + step * (index[p.bucket] + 0.5)
            line.append((x, y_of(p.score.value)))
            if p.score.low is not None and p.score.high is not None:
                upper.append((x, y_of(p.score.high)))
                lower.append((x, y_of(p.score.low)))
            moe = f" ± {p.score.moe:.1f}" if p.score.moe is not None else ""
            where = f"{series.label}, {bucket_label(p.bucket, trend.grain)}"
            title = f"{where}: {p.score.value:.1f}{moe} ({p.score.n} answers)"
            href = None if series.explorer is None else link(series.explorer, p.bucket)
            dots.append(Dot(x, y_of(p.score.value), title, href))
        band = _fmt(upper + lower[::-1]) if len(drawn) <= 3 and len(upper) > 1 else ""
        lines.append(Line(n, series.label, _fmt(line), band, dots))
    ticks = [(y_of(t), f"{t:+d}" if kind == "nps" and t else str(t)) for t in Y_TICKS[kind]]
    every = max(1, len(trend.buckets) // 8)
    labels = [
        (LEFT + step * (i + 0.5), _short(b, trend.grain))
        for i, b in enumerate(trend.buckets)
        if i % every == 0
    ]
    f = trend.filters
    summary = f"{kind.upper()} by {trend.grain} from {f.start} to {f.end}, {len(drawn)} series"
    return Chart(width, height, lines, ticks, labels, summary)


def _short(first: date, grain: str) -> str:
    if grain == "quarter":
        return f"Q{(first.month - 1) // 3 + 1} {first:%y}"
    if grain == "month":
        return f"{first:%b %y}"
    return f"{first.day} {first:%b}"


@dataclass
class DistBar:
    """One score value's bar in the distribution."""

    score: int
    x: float
    y: float
    width: float
    height: float
    count: int
    band: str  # good / warn / bad


def distribution(trend: Trend, width: int = 440, height: int = 150) -> list[DistBar]:
    """Bars of answers per score value over the whole range, coloured by band."""
    kind = trend.filters.kind
    values = {"nps": range(0, 11), "csat": range(1, 6), "ces": range(1, 8)}[kind]
    counts = trend.overall.scores
    most = max([counts[v] for v in values] + [1])
    step = (width - 20) / len(values)
    bars = []
    for i, v in enumerate(values):
        h = (height - 30) * counts[v] / most
        bars.append(DistBar(v, 10 + step * i + 2, height - 20 - h, step - 4, h, counts[v], _band(kind, v)))
    return bars


def _band(kind: str, value: int) -> str:
    if kind == "nps":
        return "good" if value >= 9 else "warn" if value >= 7 else "bad"
    if kind == "csat":
        return "good" if value >= 4 else "warn" if value == 3 else "bad"
    return "good" if value >= 5 else "warn" if value == 4 else "bad"


@dataclass
class Mark:
    """An annotation on the chart: a numbered vertical line at its day (``x`` None: listed only)."""

    number: int
    x: float | None
    day: date
    label: str
    scope: str  # "" for everything, else e.g. "Tier: enterprise"


def annotation_marks(trend: Trend, notes: list[Any], width: int = 760) -> list[Mark]:
    """Marks for the annotations in the range. One about a segment is drawn only when the chart is split by
    that segment (the table lists it either way)."""
    index = {b: i for i, b in enumerate(trend.buckets)}
    step = (width - LEFT - RIGHT) / max(len(trend.buckets), 1)
    marks = []
    for number, note in enumerate(notes, start=1):
        first = bucket_of(note.day, trend.grain)
        scope = f"{SEGMENTS.get(note.segment, note.segment)}: {note.segment_value}" if note.segment else ""
        x = None
        if first in index and (not note.segment or note.segment == trend.filters.segment):
            length = (next_bucket(first, trend.grain) - first).days
            x = LEFT + step * (index[first] + (note.day - first).days / length)
        marks.append(Mark(number, x, note.day, note.label, scope))
    return marks
