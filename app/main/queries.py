"""The overview: the headline numbers of a period next to the previous one, and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.metrics import Score, mean, nps, score_aggregates, share
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


@dataclass(frozen=True)
class KindSummary:
    """One survey kind's score in the period and the period before."""

    kind: SurveyKind
    current: Score
    previous: Score
    bands: dict[str, int]

    @property
    def change(self) -> float | None:
        """Current minus previous, when both exist."""
        if self.current.value is None or self.previous.value is None:
            return None
        return self.current.value - self.previous.value


def _kind_scores(kind: SurveyKind, start: datetime, end: datetime) -> tuple[Score, dict[str, int]]:
    row = db.session.execute(
        sa.select(*score_aggregates(Response.score)).where(
            Response.kind == kind, Response.created_at >= start, Response.created_at < end
        )
    ).one()
    n = row.n or 0
    if kind == SurveyKind.NPS:
        bands = {
            "promoters": row.promoters or 0,
            "passives": row.passives or 0,
            "detractors": row.detractors or 0,
        }
        return nps(bands["promoters"], bands["passives"], bands["detractors"]), bands
    if kind == SurveyKind.CSAT:
        return share(row.csat_hits or 0, n), {"satisfied": row.csat_hits or 0, "total": n}
    return mean(float(row.total or 0), float(row.total_sq or 0), n), {"easy": row.ces_hits or 0, "total": n}


def kind_summaries(days: int) -> list[KindSummary]:
    """NPS, CSAT and CES for the last ``days`` days and the ``days`` before them."""
    now = utcnow()
    start, prev_start = now - timedelta(days=days), now - timedelta(days=2 * days)
    out = []
    for kind in (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES):
        current, bands = _kind_scores(kind, start, now)
        previous, _ = _kind_scores(kind, prev_start, start)
        out.append(KindSummary(kind, current, previous, bands))
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
