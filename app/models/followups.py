"""Closing the loop: a follow-up on a response, and the history of its changes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from app.models.responses import Response


class FollowUpState(enum.StrEnum):
    """open → contacted → resolved."""

    OPEN = "open"
    CONTACTED = "contacted"
    RESOLVED = "resolved"


class FollowUp(TimestampMixin, Base):
    """Closing the loop on one response (a detractor, or a negative comment)."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[FollowUpState] = mapped_column(
        str_enum(FollowUpState, "followup_state"), default=FollowUpState.OPEN, index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(50))  # the rule that opened it
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    contacted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[Response] = relationship()
    events: Mapped[list[FollowUpEvent]] = relationship(
        back_populates="followup", cascade="all, delete-orphan", order_by="FollowUpEvent.id"
    )


class FollowUpEvent(Base):
    """One recorded change of a follow-up (state, assignee, note)."""

    __tablename__ = "followup_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(sa.ForeignKey("followups.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # opened, state, assigned, note
    from_value: Mapped[str | None] = mapped_column(sa.String(100))
    to_value: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    followup: Mapped[FollowUp] = relationship(back_populates="events")
