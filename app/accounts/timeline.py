"""The account page's history: health over time, the contacts' answers over time, the account's topics
with their sentiment, and its follow-ups. Charts are geometry for server-side SVG (classes only: the CSP
forbids inline styles)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.followups.queries import is_overdue
from app.models import (
    OPEN_STATES,
    Contact,
    FollowUp,
    HealthSnapshot,
    Mention,
    Response,
    SurveyKind,
    Topic,
    utcnow,
)
from app.workspace_settings import workspace_timezone

ANSWER_MONTHS = 24
TOPIC_DAYS = 365
AT_RISK_BELOW, HEALTHY_FROM = 40, 70  # the band lines drawn on the health chart (app/health/model.py)


@dataclass
class ChartPoint:
    """A dot with its hover title."""

    x: float
    y: float
    title: str
    css: str = ""
    href: str | None = None


@dataclass
class HealthChart:
    """An account's health over time: a line, its dots, band lines, y ticks and date labels."""

    width: int
    height: int
    line: str
    dots: list[ChartPoint]
    ticks: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    bands: list[tuple[float, str]]  # (y, css) of the at-risk and healthy thresholds
    summary: str


LEFT, RIGHT, TOP, BOTTOM = 34, 10, 10, 24


def _x_scale(first: date, last: date, width: int):
    span = max((last - first).days, 1)
    plot = width - LEFT - RIGHT

    def x_of(day: date) -> float:
        return LEFT + plot * (day - first).days / span

    return x_of


def _date_labels(first: date, last: date, x_of, count: int = 6) -> list[tuple[float, str]]:
    span = (last - first).days
    if span <= 0:
        return [(x_of(first), f"{first:%d %b %y}")]
    step = max(span // (count - 1), 1)
    days = [first + timedelta(days=i) for i in range(0, span + 1, step)]
    return [(x_of(d), f"{d:%d %b %y}") for d in days]


def health_chart(history: list[HealthSnapshot], width: int = 640, height: int = 180) -> HealthChart | None:
    """The history chart of the account page (None without snapshots)."""
    if not history:
        return None
    first, last = history[0].as_of, history[-1].as_of
    x_of = _x_scale(first, last, width)
    plot_h = height - TOP - BOTTOM

    def y_of(score: float) -> float:
        return TOP + plot_h * (1 - min(max(score, 0), 100) / 100)

    shown = [s for s in history if s.band.value != "insufficient"]
    line = " ".join(f"{x_of(s.as_of):.1f},{y_of(s.score):.1f}" for s in shown)
    dots = [
        ChartPoint(
            x_of(s.as_of),
            y_of(s.score) if s.band.value != "insufficient" else y_of(0),
            f"{s.as_of.isoformat()}: "
            + (
                f"{s.score} ({s.band.value.replace('_', ' ')})"
                if s.band.value != "insufficient"
                else "insufficient data"
            ),
            f"band-{s.band.value}",
        )
        for s in history
    ]
    ticks = [(y_of(v), str(v)) for v in (0, 25, 50, 75, 100)]
    bands = [(y_of(AT_RISK_BELOW), "line-at_risk"), (y_of(HEALTHY_FROM), "line-healthy")]
    summary = f"Health from {first.isoformat()} to {last.isoformat()}, {len(history)} daily snapshots"
    return HealthChart(width, height, line, dots, ticks, _date_labels(first, last, x_of), bands, summary)


@dataclass
class ContactAnswers:
    """One contact's scored answers of one kind, oldest first."""

    contact_id: int | None
    name: str
    answers: list[tuple[datetime, int, int]]  # (when, score, response id)

    @property
    def latest(self) -> int:
        """The newest score."""
        return self.answers[-1][1]

    @property
    def first(self) -> int:
        """The oldest score in the window."""
        return self.answers[0][1]


@dataclass
class AnswersChart:
    """Every NPS answer of the account's contacts over the window: x time, y score 0–10, one row per
    contact in the table below."""

    width: int
    height: int
    dots: list[ChartPoint]
    ticks: list[tuple[float, str]]
    labels: list[tuple[float, str]]
    contacts: list[ContactAnswers] = field(default_factory=list)
    summary: str = ""


def _nps_css(score: int) -> str:
    return "good" if score >= 9 else "warn" if score >= 7 else "bad"


def contact_answers(
    account_id: int, link, months: int = ANSWER_MONTHS, width: int = 640, height: int = 160
) -> AnswersChart | None:
    """The NPS answers of the account's contacts over ``months`` months (None without any)."""
    now = utcnow()
    since = now - timedelta(days=round(months * 30.44))
    rows = db.session.execute(
        sa.select(
            Response.id, Response.created_at, Response.score, Response.contact_id, Contact.name, Contact.email
        )
        .outerjoin(Contact, Contact.id == Response.contact_id)
        .where(
            Response.account_id == account_id,
            Response.kind == SurveyKind.NPS,
            Response.score.is_not(None),
            Response.created_at >= since,
        )
        .order_by(Response.created_at, Response.id)
        .limit(2000)
    ).all()
    if not rows:
        return None
    tz = workspace_timezone()
    first, last = since.astimezone(tz).date(), now.astimezone(tz).date()
    x_of = _x_scale(first, last, width)
    plot_h = height - TOP - BOTTOM

    def y_of(score: int) -> float:
        return TOP + plot_h * (1 - score / 10)

    by_contact: dict[int | None, ContactAnswers] = {}
    dots = []
    for rid, created_at, score, contact_id, name, email in rows:
        who = (name or email or "Contact") if contact_id else "Anonymous"
        entry = by_contact.setdefault(contact_id, ContactAnswers(contact_id, who, []))
        entry.answers.append((created_at, score, rid))
        day = created_at.astimezone(tz).date()
        dots.append(
            ChartPoint(
                x_of(day), y_of(score), f"{who}, {day.isoformat()}: {score}", _nps_css(score), link(rid)
            )
        )
    ticks = [(y_of(v), str(v)) for v in (0, 6, 8, 10)]
    contacts = sorted(by_contact.values(), key=lambda c: (-len(c.answers), c.name))
    summary = f"{len(rows)} NPS answers from {len(contacts)} people over {months} months"
    return AnswersChart(width, height, dots, ticks, _date_labels(first, last, x_of), contacts, summary)


@dataclass
class TopicRow:
    """A topic the account's people mention, with the sentiment of those mentions."""

    id: int
    name: str
    count: int
    negative: int
    positive: int
    mean_sentiment: float | None

    @property
    def neutral(self) -> int:
        """Mentions neither negative nor positive."""
        return self.count - self.negative - self.positive


def account_topics(account_id: int, days: int = TOPIC_DAYS, limit: int = 12) -> list[TopicRow]:
    """Topics mentioned in the account's answers of the last ``days`` days, most mentioned first."""
    since = utcnow() - timedelta(days=days)
    neg = sa.func.sum(sa.case((Mention.sentiment_label == "negative", 1), else_=0))
    pos = sa.func.sum(sa.case((Mention.sentiment_label == "positive", 1), else_=0))
    rows = db.session.execute(
        sa.select(
            Topic.id, Topic.name, sa.func.count(Mention.id), neg, pos, sa.func.avg(Mention.sentiment_score)
        )
        .select_from(Mention)
        .join(Topic, Topic.id == Mention.topic_id)
        .join(Response, Response.id == Mention.response_id)
        .where(Response.account_id == account_id, Response.created_at >= since, Mention.rejected.is_(False))
        .group_by(Topic.id, Topic.name)
        .order_by(sa.func.count(Mention.id).desc(), Topic.name)
        .limit(limit)
    ).all()
    return [
        TopicRow(
            r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0), float(r[5]) if r[5] is not None else None
        )
        for r in rows
    ]


@dataclass
class FollowUpRow:
    """A follow-up of the account."""

    followup: FollowUp
    overdue: bool


def account_followups(account_id: int, limit: int = 20) -> tuple[list[FollowUpRow], int]:
    """The account's follow-ups, open ones first then the newest; and how many are open."""
    is_open = FollowUp.state.in_(OPEN_STATES)
    found = db.session.execute(
        sa.select(FollowUp)
        .options(
            selectinload(FollowUp.assignee), selectinload(FollowUp.contact), selectinload(FollowUp.response)
        )
        .where(FollowUp.account_id == account_id)
        .order_by(sa.case((is_open, 0), else_=1), FollowUp.created_at.desc(), FollowUp.id.desc())
        .limit(limit)
    ).scalars()
    open_count = db.session.execute(
        sa.select(sa.func.count()).select_from(FollowUp).where(FollowUp.account_id == account_id, is_open)
    ).scalar_one()
    now = utcnow()
    return [FollowUpRow(f, is_overdue(f.state, f.due_at, now)) for f in found], open_count
