"""Account health: a daily snapshot of each account's score, band and the reasons behind it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, str_enum, utcnow


class HealthBand(enum.StrEnum):
    """Health band of an account."""

    HEALTHY = "healthy"
    WATCH = "watch"
    AT_RISK = "at_risk"
    INSUFFICIENT = "insufficient"  # under 50 % of the model's weight measured: never "healthy"


class HealthSnapshot(Base):
    """An account's health on one day. ``components`` and ``drivers`` explain the number."""

    __tablename__ = "health_snapshots"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "as_of"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date]
    score: Mapped[int]
    band: Mapped[HealthBand] = mapped_column(str_enum(HealthBand, "health_band"))
    components: Mapped[dict[str, Any]] = mapped_column(default=dict)
    drivers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_version: Mapped[str] = mapped_column(sa.String(40), default="1")
    coverage: Mapped[float | None] = mapped_column(sa.Float)  # share of the model's weight measured
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
