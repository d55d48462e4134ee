"""Surveys read models: the survey list, score bands (the explorer filters on them), a send's progress,
survey texts in a language, and what a survey link's token points at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.metrics import Score, share
from app.models import (
    DeliveryState,
    Invitation,
    Response,
    Survey,
    SurveyKind,
    SurveyStatus,
)
from app.surveys.audience import SKIP_REASONS, describe
from app.surveys.cache import SurveySnapshot, survey_snapshot
from app.surveys.texts import SurveyTexts, followup_text, normalize_locale, survey_texts
from app.surveys.tokens import (
    InvitationRef,
    find_invitation,
    find_invitation_ref,
    find_public_survey,
    invitation_ref,
    is_expired,
    token_for,
)
from nlp.types import LABELS as SENTIMENT_LABELS

__all__ = [
    "BANDS",
    "SENTIMENTS",
    "SKIP_REASONS",
    "InvitationRef",
    "SurveyRow",
    "SurveySnapshot",
    "SurveyTexts",
    "describe",
    "find_invitation",
    "find_invitation_ref",
    "find_public_survey",
    "followup_text",
    "invitation_ref",
    "is_expired",
    "normalize_locale",
    "state_counts",
    "survey_rows",
    "survey_snapshot",
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
    # Per-kind names of the explorer URL contract (positive/negative above span CSAT and CES together).
    "satisfied": lambda: sa.and_(Response.kind == SurveyKind.CSAT, Response.score >= 4),
    "dissatisfied": lambda: sa.and_(Response.kind == SurveyKind.CSAT, Response.score <= 2),
    "easy": lambda: sa.and_(Response.kind == SurveyKind.CES, Response.score >= 5),
    "difficult": lambda: sa.and_(Response.kind == SurveyKind.CES, Response.score <= 3),
}
# Exactly the labels the analyser gives a comment: a filter value it never produces would never match.
SENTIMENTS = tuple(SENTIMENT_LABELS)


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
