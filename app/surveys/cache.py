"""Surveys cached per process for the answer path: a frozen snapshot of the columns that word and check
an answer, keyed by the survey's ``updated_at``.

Invalidation on edit needs no message between processes: every edit of a survey row bumps its
``updated_at`` (the ORM's and Core's ``onupdate``), the answer path reads that column in the same query
that finds the invitation, and a snapshot whose ``updated_at`` differs is reloaded. So no worker ever
answers with a survey older than the row it has just read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.database import read_only
from app.extensions import db
from app.models import Survey, SurveyKind, SurveyStatus
from app.surveys.texts import followup_text

MAX_ENTRIES = 1024  # surveys per process; past that the cache starts over (a few kB each)
_COLUMNS = (
    Survey.id,
    Survey.updated_at,
    Survey.kind,
    Survey.status,
    Survey.question,
    Survey.followup_question,
    Survey.followup_by_band,
    Survey.thank_you,
    Survey.translations,
)


@dataclass(frozen=True)
class SurveySnapshot:
    """What the answer path reads of a survey (``followup_text`` accepts it in place of a Survey)."""

    id: int
    updated_at: datetime
    kind: SurveyKind
    status: SurveyStatus
    question: str | None
    followup_question: str | None
    followup_by_band: dict[str, Any]
    thank_you: str | None
    translations: dict[str, Any]
    _followups: dict[tuple[str, int | None], str] = field(default_factory=dict, compare=False, repr=False)

    def followup(self, locale: str, score: int | None) -> str:
        """The follow-up question for a score in a language, worded once per process."""
        key = (locale, score)
        text = self._followups.get(key)
        if text is None:
            text = self._followups[key] = followup_text(self, locale, score)  # type: ignore[arg-type]
        return text


def _entries() -> dict[int, SurveySnapshot]:
    return current_app.extensions.setdefault("clearloop_survey_cache", {})


def survey_snapshot(survey_id: int, updated_at: datetime | None = None) -> SurveySnapshot | None:
    """The survey as of ``updated_at`` (loaded when not cached at that version); None if it is gone."""
    entries = _entries()
    snap = entries.get(survey_id)
    if snap is not None and updated_at is not None and snap.updated_at == updated_at:
        return snap
    with read_only(db.session):
        row = db.session.connection().execute(sa.select(*_COLUMNS).where(Survey.id == survey_id)).first()
    if row is None:
        entries.pop(survey_id, None)
        return None
    snap = SurveySnapshot(
        row.id,
        row.updated_at,
        row.kind,
        row.status,
        row.question,
        row.followup_question,
        dict(row.followup_by_band or {}),
        row.thank_you,
        dict(row.translations or {}),
    )
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    entries[survey_id] = snap
    return snap


def forget_survey(survey_id: int) -> None:
    """Drop a survey from this process's cache (other processes notice the new ``updated_at``)."""
    _entries().pop(survey_id, None)
