"""The editable topic taxonomy, topics found in responses (mentions), and re-tagging runs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from app.models.responses import Response


class Topic(TimestampMixin, Base):
    """A node of the taxonomy. ``phrases`` and ``patterns`` are what the tagger matches."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)  # stable slug, e.g. "billing.invoices"
    name: Mapped[str] = mapped_column(sa.String(120))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id", ondelete="SET NULL"), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    phrases: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    patterns: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Topic | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    def __repr__(self) -> str:
        return f"<Topic {self.key}>"


class MentionSource(enum.StrEnum):
    """Who found a mention. Manual mentions survive re-tagging; a manual ``rejected`` row vetoes a topic."""

    PHRASE = "phrase"
    MODEL = "model"
    MANUAL = "manual"


class Mention(Base):
    """A topic found in a response, with the evidence span and that span's own sentiment."""

    __tablename__ = "mentions"
    __table_args__ = (
        sa.Index("ix_mentions_topic_response", "topic_id", "response_id"),
        # A response's mentions of some topics, not rejected, from the index alone (explorer, insights).
        sa.Index("ix_mentions_response_topic", "response_id", "topic_id", "rejected"),
        sa.Index(
            "uq_mentions_manual_response_topic",
            "response_id",
            "topic_id",
            unique=True,
            sqlite_where=sa.text("source = 'manual'"),
            postgresql_where=sa.text("source = 'manual'"),
        ),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="confidence_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"))
    source: Mapped[MentionSource] = mapped_column(str_enum(MentionSource, "mention_source"))
    rejected: Mapped[bool] = mapped_column(default=False)
    sentiment_label: Mapped[str | None] = mapped_column(sa.String(10))
    sentiment_score: Mapped[float | None]
    start: Mapped[int | None]
    end: Mapped[int | None]
    confidence: Mapped[float | None]
    intent: Mapped[str | None] = mapped_column(sa.String(20))  # the strongest intent of its sentence
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[Response] = relationship(back_populates="mentions")
    topic: Mapped[Topic] = relationship()


class RetagState(enum.StrEnum):
    """Progress of a backfill re-tag."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RetagRun(Base):
    """A backfill that re-tags history after the taxonomy or topic model changed; staff watch its progress."""

    __tablename__ = "retag_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[RetagState] = mapped_column(str_enum(RetagState, "retag_state"), default=RetagState.QUEUED)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    last_response_id: Mapped[int] = mapped_column(default=0)  # resume point: re-runs continue, not restart
    # The newest response the run covers (fixed when it starts or restarts; newer ones are tagged anyway).
    upto_response_id: Mapped[int | None]
    # Heartbeat and compare-and-set token: bumped on every committed batch and on a restart.
    updated_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))  # failed jobs in a row
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


INTENTS = ("bug_report", "feature_request", "question", "praise", "complaint", "churn_risk")


class ResponseIntent(Base):
    """What a sentence of a comment is doing (a bug report, a churn threat, ...), with its evidence.

    Written by tagging together with the response's automatic mentions, and replaced with them.
    """

    __tablename__ = "response_intents"
    __table_args__ = (
        sa.Index("ix_response_intents_label_response", "label", "response_id"),
        sa.CheckConstraint(
            "label IN ('bug_report', 'feature_request', 'question', 'praise', 'complaint', 'churn_risk')",
            name="label_known",
        ),
        sa.CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(20))
    score: Mapped[float]  # calibrated probability
    sentence_index: Mapped[int] = mapped_column(default=0)
    start: Mapped[int | None]  # evidence span (character offsets in the comment)
    end: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    response: Mapped[Response] = relationship(back_populates="intents")
