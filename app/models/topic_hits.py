"""Topic hits: one row per (response, topic) where the topic or a subtopic has a mention of the response
that is not rejected, with what topic analytics counts (time, survey, account, kind, score, mention
sentiment). Kept by database triggers on mentions, responses and topics (migration topics_0001;
``app/insights/hits_sql.py``); never written by the application. Scanner-suspect answers have no rows.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class TopicHit(Base):
    """A response counted under a topic (itself or one of its ancestors)."""

    __tablename__ = "topic_hits"
    # a period's rows by time; the distinct and negative accounts per topic from the index alone
    __table_args__ = (
        sa.Index("ix_topic_hits_created_topic", "created_at", "topic_id", "account_id", "negative"),
    )

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    created_at: Mapped[datetime]
    survey_id: Mapped[int]
    account_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(sa.String(4))
    score: Mapped[int | None]
    own_mentions: Mapped[int]  # mentions of this very topic (not of a subtopic)
    positive: Mapped[int]  # mentions under this topic by sentiment label (none counts as neutral)
    neutral: Mapped[int]
    negative: Mapped[int]
