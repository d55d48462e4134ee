"""Surveys use cases, the feature's one entry: create and edit surveys; create, launch, deliver, cancel and
catch up sends (delegated to ``sending``). Read models are in ``queries``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Response,
    Send,
    Survey,
    SurveyKind,
    SurveyStatus,
)
from app.surveys.audience import AudienceError, emails_from_csv
from app.surveys.sending import (
    AudiencePreview,
    SendError,
    cancel_send,
    catch_up_sends,
    create_send,
    launch_send,
    preview_audience,
    send_one_batch,
)
from app.surveys.tokens import new_public_token, new_token

__all__ = [
    "AudienceError",
    "AudiencePreview",
    "SendError",
    "SurveyError",
    "cancel_send",
    "catch_up_sends",
    "create_send",
    "create_survey",
    "emails_from_csv",
    "form_data",
    "launch_send",
    "new_token",
    "preview_audience",
    "send_one_batch",
    "update_survey",
]

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
