"""Product teams and the periodic digest each receives."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum, utcnow

team_members = sa.Table(
    "team_members",
    Base.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

team_topics = sa.Table(
    "team_topics",
    Base.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Team(TimestampMixin, Base):
    """A product team: its members and the topics it follows."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    digest_weekday: Mapped[int] = mapped_column(default=0)  # Monday
    digest_hour: Mapped[int] = mapped_column(default=8)

    members = relationship("User", secondary=team_members)
    topics = relationship("Topic", secondary=team_topics)


class DigestState(enum.StrEnum):
    """Life of a digest. At most one per team and period, whatever the retries."""

    BUILDING = "building"
    READY = "ready"
    SENDING = "sending"
    SENT = "sent"
    EMPTY = "empty"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


class Digest(Base):
    """A team's digest for one period."""

    __tablename__ = "digests"
    __table_args__ = (sa.UniqueConstraint("team_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    state: Mapped[DigestState] = mapped_column(
        str_enum(DigestState, "digest_state"), default=DigestState.BUILDING
    )
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
