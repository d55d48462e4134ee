"""Read models of the digest: a team's scope in one count, representative verbatims, revenue, closed loops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.insights.periods import Period
from app.insights.queries import period_responses
from app.models import Account, Contact, FollowUp, FollowUpState, Mention, Response, SurveyKind

MAX_CANDIDATES = 200  # negative mentions read per theme to choose its verbatims from


def _mentions_scope(topic_ids: Sequence[int] | None) -> list:
    conditions = [Mention.rejected.is_(False)]
    if topic_ids is not None:
        conditions.append(Mention.topic_id.in_(list(topic_ids) or [-1]))
    return conditions


def _mentions_any(response_id: sa.ColumnElement[int], topic_ids: Sequence[int]) -> sa.Exists:
    """The response mentions one of the topics (by the mentions' response index, not a scan of them)."""
    return sa.exists().where(Mention.response_id == response_id, *_mentions_scope(topic_ids))


@dataclass(frozen=True)
class ScopeCounts:
    """Responses mentioning any of a team's topics, and their NPS bands."""

    responses: int
    promoters: int
    passives: int
    detractors: int

    @property
    def nps_counts(self) -> tuple[int, int, int]:
        """(promoters, passives, detractors)."""
        return self.promoters, self.passives, self.detractors


def scope_counts(period: Period, topic_ids: Sequence[int] | None) -> ScopeCounts:
    """Distinct responses in the period that mention the team's topics (all responses for every topic)."""
    in_period = [Response.created_at >= period.start, Response.created_at < period.end]
    rows = sa.select(Response.id, Response.kind, Response.score).where(*in_period)
    if topic_ids is not None:
        rows = rows.where(_mentions_any(Response.id, topic_ids))
    sub = rows.subquery()
    score = sa.case((sub.c.kind == SurveyKind.NPS, sub.c.score))
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((score >= 9, 1), else_=0)),
            sa.func.sum(sa.case((score.between(7, 8), 1), else_=0)),
            sa.func.sum(sa.case((score <= 6, 1), else_=0)),
        )
    ).one()
    return ScopeCounts(*(int(v or 0) for v in row))


@dataclass(frozen=True)
class Candidate:
    """A negative mention that may become a digest verbatim."""

    response_id: int
    account_id: int | None
    account_name: str | None
    comment: str
    start: int | None
    end: int | None
    score: int | None
    kind: str
    sentiment: float | None
    names: tuple[str | None, ...]  # what redaction must hide: the contact's name and email


def mention_candidates(
    period: Period, topic_ids: Sequence[int], sentiment: str | None = "negative"
) -> list[Candidate]:
    """Mentions of these topics in the period (of one sentiment), most negative first (≤ MAX_CANDIDATES)."""
    r = period_responses(period.start, period.end)
    rows = db.session.execute(
        sa.select(
            Response.id,
            Response.account_id,
            Account.name,
            Response.comment,
            Mention.start,
            Mention.end,
            Response.score,
            Response.kind,
            Mention.sentiment_score,
            Contact.name,
            Contact.email,
            Response.respondent_email,
        )
        .select_from(Response)
        .join(Mention, Mention.response_id == Response.id)
        .outerjoin(Account, Account.id == Response.account_id)
        .outerjoin(Contact, Contact.id == Response.contact_id)
        .where(
            Response.id.in_(sa.select(r.c.id)),
            *_mentions_scope(topic_ids),
            Mention.sentiment_label == sentiment if sentiment else sa.true(),
            Response.comment.is_not(None),
        )
        .order_by(sa.func.coalesce(Mention.sentiment_score, 0), Response.id.desc())
        .limit(MAX_CANDIDATES)
    )
    return [
        Candidate(r[0], r[1], r[2], r[3] or "", r[4], r[5], r[6], str(r[7]), r[8], (r[9], r[10], r[11]))
        for r in rows
    ]


def negative_revenue(period: Period, topic_ids: Sequence[int] | None) -> list[tuple[int, str, int, int]]:
    """Accounts with a negative mention of the team's topics: (id, name, ARR, negative responses), by ARR."""
    r = period_responses(period.start, period.end)
    rows = db.session.execute(
        sa.select(Account.id, Account.name, Account.arr, sa.func.count(sa.distinct(r.c.id)))
        .select_from(r)
        .join(Mention, Mention.response_id == r.c.id)
        .join(Account, Account.id == r.c.account_id)
        .where(*_mentions_scope(topic_ids), Mention.sentiment_label == "negative")
        .group_by(Account.id, Account.name, Account.arr)
    )
    return sorted(((a, n, int(arr or 0), k) for a, n, arr, k in rows), key=lambda r: (-r[2], r[1]))


@dataclass(frozen=True)
class Closed:
    """A follow-up resolved since the last digest."""

    followup_id: int
    response_id: int
    account_id: int | None
    account_name: str | None
    resolved_at: datetime
    score: int | None
    kind: str


def closed_followups(since: datetime, until: datetime, topic_ids: Sequence[int] | None) -> list[Closed]:
    """Follow-ups resolved in [since, until), on responses in the team's scope, latest first."""
    query = (
        sa.select(
            FollowUp.id,
            FollowUp.response_id,
            Response.account_id,
            Account.name,
            FollowUp.resolved_at,
            Response.score,
            Response.kind,
        )
        .join(Response, Response.id == FollowUp.response_id)
        .outerjoin(Account, Account.id == Response.account_id)
        .where(
            FollowUp.state == FollowUpState.RESOLVED,
            FollowUp.resolved_at >= since,
            FollowUp.resolved_at < until,
        )
        .order_by(FollowUp.resolved_at.desc(), FollowUp.id.desc())
    )
    if topic_ids is not None:
        query = query.where(_mentions_any(FollowUp.response_id, topic_ids))
    return [Closed(r[0], r[1], r[2], r[3], r[4], r[5], str(r[6])) for r in db.session.execute(query)]
