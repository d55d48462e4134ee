"""Annotations admins put on the Trends charts: a release, an incident, a price change."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow

if TYPE_CHECKING:
    from app.models.users import User


class TrendAnnotation(Base):
    """A dated label on the Trends charts; with a segment (e.g. tier = enterprise) it concerns only that."""

    __tablename__ = "trend_annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(sa.String(120))
    segment: Mapped[str | None] = mapped_column(sa.String(20))  # a Trends segment key: tier, plan, stage…
    segment_value: Mapped[str | None] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()
