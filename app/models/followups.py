"""Closing the loop: the rules that open follow-ups, a follow-up on a contact's responses, the history of
its changes, and the emails it sends (alerts and escalations to staff, replies to the respondent)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum, utcnow
from app.models.surveys import DeliveryState

if TYPE_CHECKING:
    from app.models.accounts import Account, Contact
    from app.models.responses import Response
    from app.models.topics import Topic
    from app.models.users import User


class FollowUpState(enum.StrEnum):
    """open → contacted → resolved → reopened (→ contacted → resolved ...)."""

    OPEN = "open"
    CONTACTED = "contacted"
    RESOLVED = "resolved"
    REOPENED = "reopened"


OPEN_STATES = (FollowUpState.OPEN, FollowUpState.CONTACTED, FollowUpState.REOPENED)


class FollowUpRule(TimestampMixin, Base):
    """A rule admins edit: every condition set must hold for a response to open (or join) a follow-up.

    ``conditions`` keys (each optional, at least one set): ``bands`` (score bands, e.g. ["detractor"]),
    ``sentiment`` ("negative"), ``topic_ids``, ``intents``, ``tiers``, ``min_arr``, ``survey_ids``.
    """

    __tablename__ = "followup_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    position: Mapped[int] = mapped_column(default=0)
    conditions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


followup_responses = sa.Table(
    "followup_responses",
    Base.metadata,
    sa.Column("followup_id", sa.ForeignKey("followups.id", ondelete="CASCADE"), primary_key=True),
    # a response belongs to at most one follow-up
    sa.Column(
        "response_id", sa.ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True, unique=True
    ),
    sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
)


class FollowUp(TimestampMixin, Base):
    """Closing the loop with one contact: the responses that matched a rule, at most one open per contact."""

    __tablename__ = "followups"
    __table_args__ = (
        sa.Index(
            "uq_followups_open_contact",
            "contact_id",
            unique=True,
            sqlite_where=sa.text("state != 'resolved' AND contact_id IS NOT NULL"),
            postgresql_where=sa.text("state != 'resolved' AND contact_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the response that opened it (later matching responses of the contact join through followup_responses)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("followup_rules.id", ondelete="SET NULL"))
    state: Mapped[FollowUpState] = mapped_column(
        str_enum(FollowUpState, "followup_state"), default=FollowUpState.OPEN, index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(50))  # the name of the rule that opened it
    due_at: Mapped[datetime | None] = mapped_column(index=True)  # resolve by (SLA in business days)
    contacted_at: Mapped[datetime | None]  # the first contact
    resolved_at: Mapped[datetime | None]  # the latest resolution
    resolution_code: Mapped[str | None] = mapped_column(sa.String(30))
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    loop: Mapped[str | None] = mapped_column(sa.String(10))  # "inner" (this customer) or "outer" (root cause)
    root_topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id", ondelete="SET NULL"))
    escalation_level: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    reopen_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))

    response: Mapped[Response] = relationship()
    contact: Mapped[Contact | None] = relationship()
    account: Mapped[Account | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    root_topic: Mapped[Topic | None] = relationship()
    rule: Mapped[FollowUpRule | None] = relationship()
    responses: Mapped[list[Response]] = relationship(
        secondary=followup_responses, order_by="Response.id", viewonly=True
    )
    events: Mapped[list[FollowUpEvent]] = relationship(
        back_populates="followup", cascade="all, delete-orphan", order_by="FollowUpEvent.id"
    )

    @property
    def is_open(self) -> bool:
        """Not resolved (open, contacted or reopened)."""
        return self.state in OPEN_STATES


class FollowUpEvent(Base):
    """One recorded change of a follow-up (opened, attached, state, assigned, note, escalated, reply)."""

    __tablename__ = "followup_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(sa.ForeignKey("followups.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    from_value: Mapped[str | None] = mapped_column(sa.String(100))
    to_value: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    followup: Mapped[FollowUp] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class FollowUpMessage(Base):
    """One email of a follow-up, delivered at most once (RELIABILITY 6): the assignee's alert, an
    escalation to one person, or a reply to the respondent. ``key`` makes each one unique."""

    __tablename__ = "followup_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(sa.ForeignKey("followups.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(
        sa.String(80), unique=True
    )  # "alert:7:3", "escalation:7:1:4", "reply:7:12"
    kind: Mapped[str] = mapped_column(sa.String(20))  # alert, escalation, reply
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    to_email: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)  # plain text; the HTML part is made from it, escaped
    reply_to: Mapped[str | None] = mapped_column(sa.String(254))
    state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState, "followup_message_state"), default=DeliveryState.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(sa.String(255))  # set just before sending: in flight
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
