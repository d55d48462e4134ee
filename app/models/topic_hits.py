"""Topic hits: one row per (response, topic) where the topic or a subtopic has a mention of the response
that is not rejected, with what topic analytics counts (time, survey, account, kind, score, mention
sentiment). Kept by database triggers on mentions, responses and topics (migration topics_0001;
``app/insights/hits_sql.py``); never written by the application. Scanner-suspect answers have no rows.
"""

from __future__ import annotations

from datetime import date, datetime

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

    # no foreign keys (migration tagw_0001): the triggers that write the rows also remove them with the
    # response's mentions, so a constraint only cost two checks per row of every refresh (SQLite keeps the
    # ones topics_0001 made; migrations/env.py leaves them out of the comparison)
    response_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    topic_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime]
    survey_id: Mapped[int]
    account_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(sa.String(4))
    score: Mapped[int | None]
    own_mentions: Mapped[int]  # mentions of this very topic (not of a subtopic)
    positive: Mapped[int]  # mentions under this topic by sentiment label (none counts as neutral)
    neutral: Mapped[int]
    negative: Mapped[int]


class TopicDay(Base):
    """Per local day × topic × survey, the additive figures of its topic hits: responses (a parent counts
    a response once), NPS bands of its NPS responses, mentions by sentiment label. Kept by triggers on
    ``topic_hits`` (migration topics_0002; ``app/insights/days_sql.py``); never written by the application."""

    __tablename__ = "topic_days"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    survey_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    responses: Mapped[int]
    promoters: Mapped[int]
    passives: Mapped[int]
    detractors: Mapped[int]
    positive: Mapped[int]
    neutral: Mapped[int]
    negative: Mapped[int]


class TopicDayTotal(Base):
    """Per local day × survey, the counted responses (scanner suspects nowhere) as topic analytics' totals
    count them: responses, analysed comments, NPS bands. Kept by triggers on ``responses`` (topics_0002)."""

    __tablename__ = "topic_day_totals"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    responses: Mapped[int]
    analysed: Mapped[int]
    promoters: Mapped[int]
    passives: Mapped[int]
    detractors: Mapped[int]
