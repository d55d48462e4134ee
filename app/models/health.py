"""Account health: a daily snapshot of each account's score, band and the reasons behind it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from app.models.users import User


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


class HealthModelVersion(Base):
    """One saved version of the admin-edited health model. Saving makes a new row; rows are never edited.

    ``weights`` {component: weight of 100}, ``anchors`` {component: [[raw, points], ...]}, ``profiles``
    {lifecycle stage: weights}; ``changes`` lists what differs from the version before, in words.
    """

    __tablename__ = "health_model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    anchors: Mapped[dict[str, Any]] = mapped_column(default=dict)
    profiles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    changes: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()


class HealthOverride(Base):
    """A CS manager's manual band for an account, with a reason, until an expiry (at most 90 days).

    Active while ``ended_at`` is empty and ``expires_on`` is after today; ended early (removed), by a newer
    override (replaced) or by the daily job once expired. The computed snapshots are never changed.
    """

    __tablename__ = "health_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    band: Mapped[HealthBand] = mapped_column(str_enum(HealthBand, "override_band"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    expires_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    end_reason: Mapped[str | None] = mapped_column(sa.String(20))  # removed, replaced, expired

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
