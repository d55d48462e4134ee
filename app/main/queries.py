"""The overview: the headline numbers of a period next to the previous one (from the day rollup, in local
days of the workspace), and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.metrics import Change, NpsCounts, Score, nps_change, share
from app.models import (
    AnalysisState,
    DeliveryState,
    Invitation,
    Mention,
    Response,
    SurveyKind,
    Topic,
    utcnow,
)
from app.trends.queries import kind_counts
from app.workspace_settings import workspace_timezone


@dataclass(frozen=True)
class KindSummary:
    """One survey kind's score in the period and the period before."""

    kind: SurveyKind
    current: Score
    previous: Score
    bands: dict[str, int]
    noise: Change | None = None  # NPS: the change tested against sampling noise

    @property
    def change(self) -> float | None:
        """Current minus previous, when both exist."""
        if self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value


def _kind_scores(kind: SurveyKind, start: date, end: date) -> tuple[Score, dict[str, int], NpsCounts]:
    """The kind's figure over local days start..end from the rollups, its band counts, its NPS counts."""
    counts = kind_counts(kind, start, end)
    c = counts.nps_counts()
    if kind == SurveyKind.NPS:
        bands = {"promoters": c.promoters, "passives": c.passives, "detractors": c.detractors}
    elif kind == SurveyKind.CSAT:
        bands = {"satisfied": counts.scores[4] + counts.scores[5], "total": counts.scored}
    else:
        bands = {"easy": sum(counts.scores[5:8]), "total": counts.scored}
    return counts.metric(kind), bands, c


def period(days: int, today: date | None = None) -> tuple[date, date, date]:
    """(first day of the period, today, first day of the period before), in local days."""
    today = today or datetime.now(workspace_timezone()).date()
    start = today - timedelta(days=days - 1)
    return start, today, start - timedelta(days=days)


def kind_summaries(days: int) -> list[KindSummary]:
    """NPS, CSAT and CES of the last ``days`` local days and the ``days`` before them, from the day rollup
    (a few hundred rows instead of every response)."""
    start, today, prev_start = period(days)
    out = []
    for kind in (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES):
        current, bands, now_counts = _kind_scores(kind, start, today)
        previous, _, before_counts = _kind_scores(kind, prev_start, start - timedelta(days=1))
        noise = nps_change(before_counts, now_counts) if kind == SurveyKind.NPS else None
        out.append(KindSummary(kind, current, previous, bands, noise))
    return out


def response_rate(days: int) -> Score:
    """Share of invitations delivered in the period that were answered."""
    since = utcnow() - timedelta(days=days)
    row = db.session.execute(
        sa.select(
            sa.func.count(Invitation.id),
            sa.func.count(Invitation.responded_at),
        ).where(Invitation.state == DeliveryState.SENT, Invitation.sent_at >= since)
    ).one()
    return share(row[1], row[0])


def top_topics(days: int, limit: int = 8) -> list[dict[str, Any]]:
    """Most mentioned topics in the period, with their negative share."""
    since = utcnow() - timedelta(days=days)
    negative = sa.func.sum(sa.case((Mention.sentiment_label == "negative", 1), else_=0))
    rows = db.session.execute(
        sa.select(
            Topic.id,
            Topic.name,
            sa.func.count(sa.distinct(Mention.response_id)).label("n"),
            negative.label("neg"),
        )
        .join(Mention, Mention.topic_id == Topic.id)
        .join(Response, Response.id == Mention.response_id)
        .where(Response.created_at >= since, Mention.rejected.is_(False))
        .group_by(Topic.id, Topic.name)
        .order_by(sa.desc("n"))
        .limit(limit)
    ).all()
    return [{"id": r.id, "name": r.name, "count": r.n, "negative": r.neg or 0} for r in rows]


def recent_comments(limit: int = 8) -> list[Response]:
    """The newest responses that carry a comment."""
    return list(
        db.session.execute(
            sa.select(Response)
            .where(Response.comment.is_not(None), Response.comment != "")
            .order_by(Response.created_at.desc())
            .limit(limit)
        ).scalars()
    )


def analysis_backlog() -> dict[str, int]:
    """How many responses wait for tagging or failed it."""
    rows = db.session.execute(
        sa.select(Response.analysis_state, sa.func.count())
        .where(Response.analysis_state.in_([AnalysisState.PENDING, AnalysisState.FAILED]))
        .group_by(Response.analysis_state)
    ).all()
    counts = {state.value: n for state, n in rows}
    return {"pending": counts.get("pending", 0), "failed": counts.get("failed", 0)}
