"""Product teams, the weekly digest each receives, the alerts they get, and each email sent to a member."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum, utcnow
from app.models.surveys import DeliveryState

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
    """A product team: its members and the topics it follows (all of them when ``all_topics``)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="")  # "" = the workspace's zone
    digest_weekday: Mapped[int] = mapped_column(default=0)  # Monday
    digest_hour: Mapped[int] = mapped_column(default=8)
    all_topics: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    alerts_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    description: Mapped[str | None] = mapped_column(sa.String(500))

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
    built_at: Mapped[datetime | None]
    # Set when the build started: a build left "building" long after it is taken over by the next run.
    claimed_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship()


class Alert(Base):
    """An alarm mailed to a team: at most one per team, kind, subject (topic or account) and local day."""

    __tablename__ = "alerts"
    __table_args__ = (sa.UniqueConstraint("team_id", "kind", "subject", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # emerging, detractor
    subject: Mapped[str] = mapped_column(sa.String(40))  # "topic:12" or "account:7"
    day: Mapped[date]  # the team's local day
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responses.id", ondelete="SET NULL"))
    state: Mapped[DigestState] = mapped_column(
        str_enum(DigestState, "alert_state"), default=DigestState.READY
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    team: Mapped[Team] = relationship()


class TeamMessage(Base):
    """One email of a digest or an alert to one team member, delivered at most once (RELIABILITY 6)."""

    __tablename__ = "team_messages"
    __table_args__ = (
        sa.UniqueConstraint("digest_id", "user_id"),
        sa.UniqueConstraint("alert_id", "user_id"),
        sa.CheckConstraint("(digest_id IS NULL) <> (alert_id IS NULL)", name="one_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    to_email: Mapped[str] = mapped_column(sa.String(254))
    state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState, "team_message_state"), default=DeliveryState.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(sa.String(255))  # set just before sending: in flight
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
