"""Surveys, sends of a survey to an audience, and one contact's invitation within a send."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from app.models.accounts import Contact


class SurveyKind(enum.StrEnum):
    """The standard question a survey asks."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    FORM = "form"  # open feedback form: category + message, no score


# Inclusive score range of each scored kind.
SCORE_RANGES: dict[SurveyKind, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}


class SurveyStatus(enum.StrEnum):
    """Whether a survey accepts answers."""

    ACTIVE = "active"
    ARCHIVED = "archived"


class Survey(TimestampMixin, Base):
    """A survey: its kind, the texts it shows, and its settings. Null texts mean the standard wording."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[SurveyKind] = mapped_column(str_enum(SurveyKind, "survey_kind"), index=True)
    status: Mapped[SurveyStatus] = mapped_column(
        str_enum(SurveyStatus, "survey_status"), default=SurveyStatus.ACTIVE
    )
    question: Mapped[str | None] = mapped_column(sa.Text)
    followup_question: Mapped[str | None] = mapped_column(sa.Text)
    # Follow-up text by score band, e.g. {"detractor": "What should we fix first?"}
    followup_by_band: Mapped[dict[str, Any]] = mapped_column(default=dict)
    thank_you: Mapped[str | None] = mapped_column(sa.Text)
    # Staff-edited wording per language: {"de": {"question": "...", "thank_you": "..."}}
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    public_token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    public_link_enabled: Mapped[bool] = mapped_column(default=True)
    reminder_delay_days: Mapped[int | None]
    expiry_days: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    sends: Mapped[list[Send]] = relationship(back_populates="survey")

    def __repr__(self) -> str:
        return f"<Survey {self.id} {self.kind}>"


class SendStatus(enum.StrEnum):
    """Life of a send."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Send(TimestampMixin, Base):
    """A survey sent to an audience at a time. ``audience`` records how the audience was chosen."""

    __tablename__ = "sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    status: Mapped[SendStatus] = mapped_column(
        str_enum(SendStatus, "send_status"), default=SendStatus.SCHEDULED
    )
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    reminder_delay_days: Mapped[int | None]  # None: no reminder
    expires_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # An admin's override: people surveyed within the quarantine are mailed by this send (audited).
    ignore_quarantine: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    survey: Mapped[Survey] = relationship(back_populates="sends")
    invitations: Mapped[list[Invitation]] = relationship(back_populates="send")


class DeliveryState(enum.StrEnum):
    """Delivery of one email. A crash while ``sending`` leaves ``uncertain``: never an automatic resend."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    SKIPPED = "skipped"
    UNCERTAIN = "uncertain"


class Invitation(TimestampMixin, Base):
    """One contact's invitation to answer one send. Only a hash of its link token is stored."""

    __tablename__ = "invitations"
    __table_args__ = (sa.UniqueConstraint("send_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    send_id: Mapped[int] = mapped_column(sa.ForeignKey("sends.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    # The link token is HMAC(SECRET_KEY, token_salt); the database holds the salt and sha256(token).
    token_salt: Mapped[str] = mapped_column(sa.String(32))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState, "delivery_state"), default=DeliveryState.QUEUED, index=True
    )
    skip_reason: Mapped[str | None] = mapped_column(sa.String(30))
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    claimed_at: Mapped[datetime | None]
    # PostgreSQL: the server incarnation the claim was made in (migration sendtag_0001, app/mail/delivery.py)
    claim_epoch: Mapped[str | None] = mapped_column(sa.String(40))
    sent_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    reminder_state: Mapped[DeliveryState | None] = mapped_column(str_enum(DeliveryState, "reminder_state"))
    reminder_claimed_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    first_clicked_at: Mapped[datetime | None]
    last_clicked_at: Mapped[datetime | None]
    click_count: Mapped[int] = mapped_column(default=0)
    scanner_flagged_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]

    send: Mapped[Send] = relationship(back_populates="invitations")
    survey: Mapped[Survey] = relationship()
    contact: Mapped[Contact | None] = relationship()


class LinkClick(Base):
    """A GET of a link in an invitation email, kept to tell people from mail scanners."""

    __tablename__ = "link_clicks"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))  # score, open, unsubscribe, hidden
    score: Mapped[int | None]
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    suspected_scanner: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
