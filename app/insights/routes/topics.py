"""Topic analytics: every topic's figures for a period beside the previous one, and one topic in depth."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request

from app.access import staff_required
from app.extensions import db
from app.insights import bp, charts, links
from app.insights import queries as q
from app.insights.analytics import drivers, topic_analytics
from app.insights.forms import PERIOD_DAYS, SORTS, parse_filters
from app.insights.periods import days_ending, local_today
from app.models import Survey, Topic, utcnow
from app.workspace_settings import workspace_timezone

SORT_KEYS = {
    "volume": lambda t: -t.now.responses,
    "change": lambda t: -abs(t.share_change or 0),
    "impact": lambda t: t.impact.value if t.impact.value is not None else 0,
    "revenue": lambda t: -t.revenue,
}


def _filters():
    zone = workspace_timezone()
    filters = parse_filters(request.args.to_dict(), local_today(utcnow(), zone))
    period = days_ending(filters.end, filters.days, zone.key)
    return filters, period


def _surveys() -> list:
    return list(db.session.execute(sa.select(Survey.id, Survey.name).order_by(Survey.name)))


@bp.get("/insights/topics")
@staff_required
def topics():
    """Every topic's volume, share, trend, sentiment, NPS impact, driver and revenue at stake."""
    filters, period = _filters()
    # the driver fit in a second request (topic_drivers), or in this one when asked for (without script)
    fit = True if request.args.get("drivers") else "deferred"
    data = topic_analytics(
        period, filters.survey, trend_weeks=26 if filters.days > 28 else 12, with_driver=fit
    )
    rows = data.topics
    if filters.sort in SORT_KEYS:
        rows = sorted(rows, key=SORT_KEYS[filters.sort])
    emerging = sorted((t for t in data.topics if t.emerging and t.emerging.alarm), key=lambda t: t.emerging.q)
    return render_template(
        "insights/topics.html",
        data=data,
        rows=rows,
        emerging=emerging,
        filters=filters,
        periods=PERIOD_DAYS,
        sorts=SORTS,
        surveys=_surveys(),
        sparkline=charts.sparkline,
        links=links,
    )


@bp.get("/insights/topics/drivers")
@staff_required
def topic_drivers():
    """The Topics page's driver column for its period and survey: a fragment the page fetches, so its
    first response does not wait for the fit."""
    filters, period = _filters()
    fitted = drivers(period, filters.survey)
    return render_template("insights/_drivers.html", fitted=fitted, tree=q.topic_tree())


@bp.get("/insights/topics/<int:topic_id>")
@staff_required
def topic(topic_id: int):
    """One topic: its trend with intervals, sentiment, impact, driver, revenue at stake and the test."""
    node = db.get_or_404(Topic, topic_id)
    if not node.is_active:
        abort(404, "This topic was retired; its history is on the Topics page of the taxonomy.")
    filters, period = _filters()
    data = topic_analytics(period, filters.survey, trend_weeks=26)
    figures = data.by_id(topic_id)
    if figures is None:
        abort(404)
    children = [t for t in data.topics if t.node.parent_id == topic_id]
    revenue_accounts = q.negative_accounts(period, filters.survey, [topic_id]).get(topic_id, [])
    return render_template(
        "insights/topic.html",
        data=data,
        t=figures,
        topic=node,
        children=children,
        revenue_accounts=revenue_accounts,
        chart=charts.trend_chart(figures.trend, node.name),
        filters=filters,
        periods=PERIOD_DAYS,
        surveys=_surveys(),
        links=links,
    )
