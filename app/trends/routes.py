"""The Trends page and its CSV: scores over time from the rollups, each figure linked to its responses."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from app.access import roles_required, staff_required
from app.models import Role
from app.spreadsheet import neutralise
from app.trends import bp, services
from app.trends.charts import annotation_marks, distribution, trend_chart
from app.trends.forms import AnnotationForm
from app.trends.queries import all_annotations, annotations_between
from app.trends.series import (
    GRAINS,
    KINDS,
    RANKS,
    SEGMENTS,
    TOP_CHOICES,
    TrendFilters,
    bucket_end,
    bucket_label,
    build_trend,
    every_account_rows,
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
    notes = annotations_between(filters.start, filters.end)
    return render_template(
        "trends/index.html",
        f=filters,
        trend=trend,
        marks=annotation_marks(trend, notes) if trend else [],
        can_annotate=current_user.has_role(Role.ADMIN),
        chart=trend_chart(trend, link) if trend else None,
        bars=distribution(trend) if trend else [],
        link=link,
        label=bucket_label,
        kinds=KINDS,
        grains=GRAINS,
        segments=SEGMENTS,
        top_choices=TOP_CHOICES,
        ranks=RANKS,
    ), 400 if filters.errors else 200


@bp.get("/trends.csv")
@staff_required
def export() -> ResponseReturnValue:
    """The numbers behind the chart, one row per bucket and series; split by account, every account (not
    only the chart's top N and the rest combined), ranked, streamed as it is read."""
    filters = _filters()
    trend = None if filters.unknown_segment else build_trend(filters)
    header = [
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

    def line(values: list) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(values)
        return out.getvalue()

    def row(bucket: date, label: str, score, counts, rate=("", "")) -> str:
        c = counts.nps_counts()
        return line(
            [
                bucket.isoformat(),
                neutralise(label),
                score.n,
                *("" if v is None else round(v, 2) for v in (score.value, score.low, score.high)),
                *((c.promoters, c.passives, c.detractors) if filters.kind == "nps" else ("", "", "")),
                *rate,
            ]
        )

    def lines():
        yield line(header)
        if trend is None:
            return
        if filters.segment == "account":
            for bucket, label, counts in every_account_rows(filters, trend.grain):
                yield row(bucket, label, counts.metric(filters.kind), counts)
            return
        for series in trend.series:
            for p in series.points:
                rate = trend.rates.get(p.bucket, ("", "")) if series.key == "" else ("", "")
                yield row(p.bucket, series.label, p.score, p.counts, rate)

    name = f"trends-{filters.kind}-{filters.grain}-{filters.start}-{filters.end}.csv"
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/trends/annotations", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def annotations() -> ResponseReturnValue:
    """Admins add the dated labels drawn on the Trends charts (a release, an incident, a price change)."""
    form = AnnotationForm()
    if form.validate_on_submit():
        note = services.add_annotation(
            form.day.data, form.label.data, form.segment.data, form.segment_value.data, current_user.id
        )
        flash(f"Annotation “{note.label}” added on {note.day.isoformat()}.", "success")
        return redirect(url_for("trends.annotations"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "trends/annotations.html", form=form, notes=all_annotations(), delete_form=FlaskForm()
    ), status


@bp.post("/trends/annotations/<int:annotation_id>/delete")
@roles_required(Role.ADMIN)
def delete_annotation(annotation_id: int) -> ResponseReturnValue:
    """Remove an annotation."""
    if not FlaskForm().validate_on_submit():
        abort(400, "The form expired; open the annotations page again.")
    if services.delete_annotation(annotation_id, current_user.id):
        flash("Annotation removed.", "success")
    else:
        flash("That annotation was already removed.", "error")
    return redirect(url_for("trends.annotations"), 303)
