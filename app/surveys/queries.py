"""Surveys read models: the survey list, the staff response list and its filters, a send's progress, survey
texts in a language, and what a survey link's token points at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.metrics import Score, share
from app.models import (
    Account,
    Channel,
    Contact,
    DeliveryState,
    Invitation,
    Response,
    Survey,
    SurveyKind,
    SurveyStatus,
)
from app.surveys.audience import SKIP_REASONS, describe
from app.surveys.texts import SurveyTexts, followup_text, normalize_locale, survey_texts
from app.surveys.tokens import find_invitation, find_public_survey, is_expired, token_for

__all__ = [
    "BANDS",
    "SENTIMENTS",
    "SKIP_REASONS",
    "SurveyRow",
    "SurveyTexts",
    "clean_filters",
    "describe",
    "find_invitation",
    "find_public_survey",
    "followup_text",
    "is_expired",
    "normalize_locale",
    "responses_query",
    "state_counts",
    "survey_rows",
    "survey_texts",
    "token_for",
]


@dataclass(frozen=True)
class SurveyRow:
    """A line of the survey list."""

    survey: Survey
    responses: int
    delivered: int
    responded: int
    last_response: datetime | None

    @property
    def rate(self) -> Score:
        """Share of delivered invitations that were answered."""
        return share(self.responded, self.delivered)


def survey_rows(include_archived: bool = True) -> list[SurveyRow]:
    """Every survey with its response count and response rate, newest first."""
    query = sa.select(Survey).order_by(Survey.status, Survey.created_at.desc())
    if not include_archived:
        query = query.where(Survey.status == SurveyStatus.ACTIVE)
    surveys = list(db.session.execute(query).scalars())
    answers = {
        sid: (n, last)
        for sid, n, last in db.session.execute(
            sa.select(Response.survey_id, sa.func.count(), sa.func.max(Response.created_at)).group_by(
                Response.survey_id
            )
        ).all()
    }
    rates = {
        sid: (delivered, responded)
        for sid, delivered, responded in db.session.execute(
            sa.select(Invitation.survey_id, sa.func.count(), sa.func.count(Invitation.responded_at))
            .where(Invitation.state == DeliveryState.SENT)
            .group_by(Invitation.survey_id)
        ).all()
    }
    rows = []
    for s in surveys:
        n, last = answers.get(s.id, (0, None))
        delivered, responded = rates.get(s.id, (0, 0))
        rows.append(SurveyRow(s, n, delivered, responded, last))
    return rows


BANDS = {
    "promoter": lambda: sa.and_(Response.kind == SurveyKind.NPS, Response.score >= 9),
    "passive": lambda: sa.and_(Response.kind == SurveyKind.NPS, Response.score.between(7, 8)),
    "detractor": lambda: sa.and_(Response.kind == SurveyKind.NPS, Response.score <= 6),
    "positive": lambda: sa.or_(
        sa.and_(Response.kind == SurveyKind.CSAT, Response.score >= 4),
        sa.and_(Response.kind == SurveyKind.CES, Response.score >= 5),
    ),
    "neutral": lambda: sa.or_(
        sa.and_(Response.kind == SurveyKind.CSAT, Response.score == 3),
        sa.and_(Response.kind == SurveyKind.CES, Response.score == 4),
    ),
    "negative": lambda: sa.or_(
        sa.and_(Response.kind == SurveyKind.CSAT, Response.score <= 2),
        sa.and_(Response.kind == SurveyKind.CES, Response.score <= 3),
    ),
}
SENTIMENTS = ("positive", "neutral", "negative", "mixed")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def clean_filters(args: dict[str, str]) -> dict[str, Any]:
    """Allow-listed response filters from query arguments; unknown or malformed values are dropped."""
    out: dict[str, Any] = {}
    if (sid := args.get("survey", "")).isdigit():
        out["survey"] = int(sid)
    if args.get("kind") in {k.value for k in SurveyKind}:
        out["kind"] = args["kind"]
    if args.get("band") in BANDS:
        out["band"] = args["band"]
    if args.get("channel") in {c.value for c in Channel}:
        out["channel"] = args["channel"]
    if args.get("comment") in ("with", "without"):
        out["comment"] = args["comment"]
    if args.get("sentiment") in SENTIMENTS:
        out["sentiment"] = args["sentiment"]
    if q := (args.get("q") or "").strip()[:200]:
        out["q"] = q
    for name in ("start", "end"):
        if day := _day(args.get(name)):
            out[name] = day
    return out


def responses_query(filters: dict[str, Any]) -> sa.Select:
    """Responses matching the filters, newest first, with contact, account and survey loaded."""
    query = sa.select(Response).options(
        selectinload(Response.contact), selectinload(Response.account), selectinload(Response.survey)
    )
    conditions = []
    if "survey" in filters:
        conditions.append(Response.survey_id == filters["survey"])
    if "kind" in filters:
        conditions.append(Response.kind == SurveyKind(filters["kind"]))
    if "band" in filters:
        conditions.append(BANDS[filters["band"]]())
    if "channel" in filters:
        conditions.append(Response.channel == Channel(filters["channel"]))
    if filters.get("comment") == "with":
        conditions.append(sa.and_(Response.comment.is_not(None), Response.comment != ""))
    elif filters.get("comment") == "without":
        conditions.append(sa.or_(Response.comment.is_(None), Response.comment == ""))
    if "sentiment" in filters:
        conditions.append(Response.sentiment_label == filters["sentiment"])
    if "q" in filters:
        conditions.append(_search(filters["q"]))
    if "start" in filters:
        conditions.append(Response.created_at >= datetime.combine(filters["start"], time(), UTC))
    if "end" in filters:
        conditions.append(
            Response.created_at < datetime.combine(filters["end"], time(), UTC) + timedelta(days=1)
        )
    return query.where(*conditions).order_by(Response.created_at.desc(), Response.id.desc())


def _search(text: str) -> sa.ColumnElement[bool]:
    """Comment, contact email/name or account name containing ``text`` (LIKE wildcards escaped)."""
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    contact_ids = sa.select(Contact.id).where(
        sa.or_(
            sa.func.lower(Contact.email).like(pattern, escape="\\"),
            sa.func.lower(Contact.name).like(pattern, escape="\\"),
        )
    )
    account_ids = sa.select(Account.id).where(sa.func.lower(Account.name).like(pattern, escape="\\"))
    return sa.or_(
        sa.func.lower(Response.comment).like(pattern, escape="\\"),
        Response.contact_id.in_(contact_ids),
        Response.account_id.in_(account_ids),
    )


def state_counts(send_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per send: how many invitations are in each delivery state, plus responses."""
    out: dict[int, dict[str, int]] = {sid: {} for sid in send_ids}
    if not send_ids:
        return out
    rows = db.session.execute(
        sa.select(
            Invitation.send_id, Invitation.state, sa.func.count(), sa.func.count(Invitation.responded_at)
        )
        .where(Invitation.send_id.in_(send_ids))
        .group_by(Invitation.send_id, Invitation.state)
    ).all()
    for send_id, state, n, responded in rows:
        counts = out[send_id]
        counts[state.value] = n
        counts["total"] = counts.get("total", 0) + n
        counts["responded"] = counts.get("responded", 0) + responded
    return out
