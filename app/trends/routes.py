"""The Trends page and its CSV: scores over time from the rollups, each figure linked to its responses."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask import Response, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.access import staff_required
from app.spreadsheet import neutralise
from app.trends import bp
from app.trends.charts import distribution, trend_chart
from app.trends.series import (
    GRAINS,
    KINDS,
    SEGMENTS,
    TrendFilters,
    bucket_end,
    bucket_label,
    build_trend,
)
from app.workspace_settings import workspace_timezone


def _filters() -> TrendFilters:
    today = datetime.now(workspace_timezone()).date()
    return TrendFilters.from_args(request.args, today)


def _explorer_link(filters: TrendFilters, grain: str):
    """A function (series arguments, bucket) -> the explorer's address for those responses."""

    def link(args: dict[str, str], bucket: date | None = None) -> str:
        start, end = (filters.start, filters.end)
        if bucket is not None:
            start, end = bucket_end(bucket, grain, filters.start, filters.end)
        return url_for("surveys.responses", **args, start=start.isoformat(), end=end.isoformat())

    return link


@bp.get("/trends")
@staff_required
def index() -> ResponseReturnValue:
    """NPS, CSAT or CES by day, week, month or quarter, overall or by segment."""
    filters = _filters()
    trend = None if filters.unknown_segment else build_trend(filters)
    link = _explorer_link(filters, trend.grain if trend else filters.grain)
    return render_template(
        "trends/index.html",
        f=filters,
        trend=trend,
        chart=trend_chart(trend, link) if trend else None,
        bars=distribution(trend) if trend else [],
        link=link,
        label=bucket_label,
        kinds=KINDS,
        grains=GRAINS,
        segments=SEGMENTS,
    ), 400 if filters.errors else 200


@bp.get("/trends.csv")
@staff_required
def export() -> ResponseReturnValue:
    """The numbers behind the chart, one row per bucket and series."""
    filters = _filters()
    trend = None if filters.unknown_segment else build_trend(filters)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "bucket",
            "segment",
            "answers",
            "value",
            "low",
            "high",
            "promoters",
            "passives",
            "detractors",
            "delivered",
            "answered",
        ]
    )
    for series in trend.series if trend else []:
        for p in series.points:
            c = p.counts.nps_counts()
            sent, answered = trend.rates.get(p.bucket, ("", "")) if series.key == "" else ("", "")
            writer.writerow(
                [
                    p.bucket.isoformat(),
                    neutralise(series.label),
                    p.score.n,
                    *("" if v is None else round(v, 2) for v in (p.score.value, p.score.low, p.score.high)),
                    *((c.promoters, c.passives, c.detractors) if filters.kind == "nps" else ("", "", "")),
                    sent,
                    answered,
                ]
            )
    name = f"trends-{filters.kind}-{filters.grain}-{filters.start}-{filters.end}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
