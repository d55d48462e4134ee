"""Staff use cases for surveys: create and edit, the survey list with response rates, and the
filtered response list. Every filter value is checked against an allow-list; queries are always bound."""

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
    Send,
    Survey,
    SurveyKind,
    SurveyStatus,
)
from app.surveys.tokens import new_public_token

TEXT_FIELDS = ("name", "question", "followup_question", "thank_you")
BAND_SLOTS = {  # form slot -> band, by kind
    SurveyKind.NPS: {"low": "detractor", "mid": "passive", "high": "promoter"},
    SurveyKind.CSAT: {"low": "negative", "mid": "neutral", "high": "positive"},
    SurveyKind.CES: {"low": "negative", "mid": "neutral", "high": "positive"},
    SurveyKind.FORM: {},
}


class SurveyError(ValueError):
    """A survey change that cannot be made; the message says why."""


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def apply_survey_data(survey: Survey, data: dict[str, Any]) -> None:
    """Copy allow-listed form values onto a survey (texts, band follow-ups, translations, settings)."""
    survey.name = data["name"].strip()
    for name in ("question", "followup_question", "thank_you"):
        setattr(survey, name, _blank_to_none(data.get(name)))
    slots = BAND_SLOTS[survey.kind]
    survey.followup_by_band = {
        band: text for slot, band in slots.items() if (text := _blank_to_none(data.get(f"followup_{slot}")))
    }
    translations: dict[str, dict[str, str]] = {}
    for lang, fields in (data.get("translations") or {}).items():
        kept = {key: text for key, value in fields.items() if (text := _blank_to_none(value))}
        if kept:
            translations[lang] = kept
    survey.translations = translations
    survey.reminder_delay_days = data.get("reminder_delay_days")
    survey.expiry_days = data.get("expiry_days")
    survey.public_link_enabled = bool(data.get("public_link_enabled"))
    survey.status = SurveyStatus(data.get("status") or "active")


def create_survey(data: dict[str, Any], user_id: int | None) -> Survey:
    """A new survey with its own public-link token."""
    survey = Survey(kind=SurveyKind(data["kind"]), public_token=new_public_token(), created_by_id=user_id)
    apply_survey_data(survey, data)
    db.session.add(survey)
    db.session.commit()
    return survey


def update_survey(survey: Survey, data: dict[str, Any]) -> None:
    """Save edits; the kind may change only while nothing was sent or answered."""
    kind = SurveyKind(data["kind"])
    if kind != survey.kind:
        used = db.session.execute(sa.select(Send.id).where(Send.survey_id == survey.id).limit(1)).first()
        answered = db.session.execute(
            sa.select(Response.id).where(Response.survey_id == survey.id).limit(1)
        ).first()
        if used or answered:
            raise SurveyError(
                "The kind cannot change once the survey was sent or answered; make a new survey."
            )
        survey.kind = kind
    apply_survey_data(survey, data)
    db.session.commit()


def form_data(survey: Survey) -> dict[str, Any]:
    """A survey's values in the shape of the edit form."""
    data: dict[str, Any] = {name: getattr(survey, name) for name in TEXT_FIELDS}
    data.update(kind=survey.kind.value, status=survey.status.value)
    data.update(reminder_delay_days=survey.reminder_delay_days, expiry_days=survey.expiry_days)
    data["public_link_enabled"] = survey.public_link_enabled
    for slot, band in BAND_SLOTS[survey.kind].items():
        data[f"followup_{slot}"] = (survey.followup_by_band or {}).get(band)
    data["translations"] = survey.translations or {}
    return data


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
    # Per-kind names of the explorer URL contract (positive/negative above span CSAT and CES together).
    "satisfied": lambda: sa.and_(Response.kind == SurveyKind.CSAT, Response.score >= 4),
    "dissatisfied": lambda: sa.and_(Response.kind == SurveyKind.CSAT, Response.score <= 2),
    "easy": lambda: sa.and_(Response.kind == SurveyKind.CES, Response.score >= 5),
    "difficult": lambda: sa.and_(Response.kind == SurveyKind.CES, Response.score <= 3),
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
