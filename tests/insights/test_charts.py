"""The SVG chart geometry: shares and their Wilson band in the viewBox, week labels, empty weeks."""

from __future__ import annotations

import itertools
from datetime import date

from app.insights import charts
from app.insights.periods import days_ending, weekly_buckets


def _trend(counts):
    weeks = weekly_buckets(days_ending(date(2026, 3, 29), 7, "UTC"), len(counts))
    return [(w, k, n) for w, (k, n) in zip(weeks, counts, strict=True)]


def _points(text: str) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in text.split()]


def test_the_band_surrounds_the_line_and_stays_in_the_plot():
    chart = charts.trend_chart(_trend([(5, 100), (0, 80), (20, 100), (3, 0)]), "Billing")
    line = _points(chart.line)
    assert len(line) == 3  # the week without analysed comments has no point
    band = _points(chart.band)
    upper, lower = band[:3], band[3:][::-1]
    for (_, y), (_, hi), (_, lo) in zip(line, upper, lower, strict=True):
        assert hi <= y <= lo  # SVG y grows downwards
        assert hi >= charts.TOP and lo <= chart.height - charts.BOTTOM + 1e-6
    assert upper[1][1] < line[1][1]  # 0 of 80: the line on 0, the band's top above it
    assert len(chart.bars) == 4 and chart.bars[2].height > chart.bars[0].height
    assert chart.label.startswith("Billing: share of responses by week")


def test_labels_do_not_crowd_and_sparklines_skip_empty_weeks():
    chart = charts.trend_chart(_trend([(1, 10)] * 13), "X")
    xs = [x for x, _ in chart.labels]
    assert all(b - a > 60 for a, b in itertools.pairwise(xs))
    assert len(_points(charts.sparkline(_trend([(1, 10), (0, 0), (2, 10)])))) == 2
    assert charts.sparkline(_trend([(0, 0)])) == ""
