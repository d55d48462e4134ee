"""Responses: a score and/or comment from a respondent, with the state of its analysis."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum, utcnow
from app.models.surveys import SurveyKind

if TYPE_CHECKING:
    from app.models.accounts import Account, Contact
    from app.models.surveys import Invitation, Survey
    from app.models.topics import Mention, ResponseIntent


class Channel(enum.StrEnum):
    """How a response reached us."""

    EMAIL = "email"
    LINK = "link"
    FORM = "form"
    API = "api"
    IMPORT = "import"


class AnalysisState(enum.StrEnum):
    """Where a response's comment stands in tagging. ``pending`` rows are what the sweeper re-enqueues."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing to analyse (no comment)


class FormCategory(enum.StrEnum):
    """Category a respondent picks on a feedback form."""

    BUG = "bug"
    FEATURE_REQUEST = "feature_request"
    QUESTION = "question"
    PRAISE = "praise"
    OTHER = "other"


# Scored kinds need a score in range; feedback forms have none. Enforced by the database.
SCORE_CHECK = (
    "(kind = 'nps' AND score IS NOT NULL AND score BETWEEN 0 AND 10)"
    " OR (kind = 'csat' AND score IS NOT NULL AND score BETWEEN 1 AND 5)"
    " OR (kind = 'ces' AND score IS NOT NULL AND score BETWEEN 1 AND 7)"
    " OR (kind = 'form' AND score IS NULL)"
)


class Response(TimestampMixin, Base):
    """One answer to a survey. At most one per invitation; a client submission id dedupes anonymous posts."""

    __tablename__ = "responses"
    __table_args__ = (
        sa.CheckConstraint(SCORE_CHECK, name="score_in_range"),
        sa.Index("ix_responses_survey_created", "survey_id", "created_at"),
        sa.Index("ix_responses_account_created", "account_id", "created_at"),
        # Covers "latest score of each account by kind" lookups (account lists, health) without the table,
        # the scanner-suspect filter every read carries included (migration faults_0003).
        sa.Index(
            "ix_responses_account_kind_counted",
            "account_id",
            "kind",
            "created_at",
            "score",
            "scanner_suspect",
        ),
        sa.Index("ix_responses_analysis_pending", "analysis_state", "analysis_requested_at"),
        # Keyset paging of the explorer, newest first (full-text search indexes: migration explorer_0001).
        sa.Index("ix_responses_created_id", "created_at", "id"),
        # Topic analytics' totals of a period (responses, analysed comments, NPS bands) from the index alone
        # (migration topics_0001).
        sa.Index(
            "ix_responses_created_counted",
            "created_at",
            "survey_id",
            "kind",
            "score",
            "analysis_state",
            "scanner_suspect",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"))
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, "response_kind"))  # copied from the survey
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "response_channel"), default=Channel.EMAIL)
    invitation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="SET NULL"), unique=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    submission_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    form_category: Mapped[FormCategory | None] = mapped_column(str_enum(FormCategory, "form_category"))
    respondent_email: Mapped[str | None] = mapped_column(sa.String(254))
    account_hint: Mapped[str | None] = mapped_column(sa.String(200))
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    edit_count: Mapped[int] = mapped_column(default=0)
    analysis_state: Mapped[AnalysisState] = mapped_column(
        str_enum(AnalysisState, "analysis_state"), default=AnalysisState.PENDING
    )
    analysis_requested_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    analysis_attempts: Mapped[int] = mapped_column(default=0)
    analysis_error: Mapped[str | None] = mapped_column(sa.Text)
    analyzed_at: Mapped[datetime | None]
    analyzer_version: Mapped[str | None] = mapped_column(sa.String(64))
    sentiment_label: Mapped[str | None] = mapped_column(sa.String(10))
    sentiment_score: Mapped[float | None]
    language: Mapped[str | None] = mapped_column(sa.String(8))
    analysis: Mapped[dict[str, Any]] = mapped_column(default=dict)  # sentences, keyphrases, explanation
    # Mail scanners (RELIABILITY 3): an automatic save the scanner rule suspects is kept but counted nowhere
    # (app/respond/suspect.py hides it from every read, the rollup triggers skip it) until a person's action
    # confirms it. ``auto_saved_at``: an automatic save no person's action has confirmed yet.
    scanner_suspect: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    auto_saved_at: Mapped[datetime | None]

    survey: Mapped[Survey] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    account: Mapped[Account | None] = relationship()
    mentions: Mapped[list[Mention]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )
    intents: Mapped[list[ResponseIntent]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def band(self) -> str | None:
        """The score band of this response (see ``score_band``)."""
        return score_band(self.kind, self.score)


def score_band(kind: SurveyKind | str, score: int | None) -> str | None:
    """Standard band of a score: NPS promoter/passive/detractor; CSAT and CES positive/neutral/negative."""
    if score is None:
        return None
    kind = SurveyKind(kind)
    if kind == SurveyKind.NPS:
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    if kind == SurveyKind.CSAT:
        return "positive" if score >= 4 else "neutral" if score == 3 else "negative"
    if kind == SurveyKind.CES:
        return "positive" if score >= 5 else "neutral" if score == 4 else "negative"
    return None
