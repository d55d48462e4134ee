"""Response rollups: counts per local day × survey × account × kind (``response_rollups``), per local
day × survey × kind (``response_day_rollups``), per kind × local month × account
(``response_month_rollups``) and per account attribute × kind × local day × its value
(``response_segment_rollups``), one column per score value.

Kept current by database triggers on ``responses`` and ``accounts`` (app/trends/rollup_sql.py), so every
write path — the ORM, Core inserts, bulk loads, cascades from deleted accounts and surveys — updates them
in the same transaction as the answer. ``account_key`` is 0 for responses with no account: a real key, because
SQLite (and PostgreSQL by default) treat NULLs as distinct in unique indexes.

The local day is the response's UTC time shifted by the workspace time zone's offset in force then,
read from ``rollup_tz_offsets`` (one row per offset change; no rows means UTC). Changing the workspace
time zone rewrites that table and rebuilds the rollups (``app.trends.services.timezone_changed``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

SCORE_VALUES = tuple(range(11))  # NPS 0–10 covers CSAT 1–5 and CES 1–7 too
NO_ACCOUNT = 0


class ScoreCounts:
    """The counts both rollups keep per cell: responses (``n``) and each score value (``s0``…``s10``);
    declared after the key columns of the table that uses them."""

    n: Mapped[int] = mapped_column(default=0)
    s0: Mapped[int] = mapped_column(default=0)
    s1: Mapped[int] = mapped_column(default=0)
    s2: Mapped[int] = mapped_column(default=0)
    s3: Mapped[int] = mapped_column(default=0)
    s4: Mapped[int] = mapped_column(default=0)
    s5: Mapped[int] = mapped_column(default=0)
    s6: Mapped[int] = mapped_column(default=0)
    s7: Mapped[int] = mapped_column(default=0)
    s8: Mapped[int] = mapped_column(default=0)
    s9: Mapped[int] = mapped_column(default=0)
    s10: Mapped[int] = mapped_column(default=0)


class ResponseRollup(ScoreCounts, Base):
    """How many responses (``n``) and how many of each score (``s0``…``s10``) in one cell of the grain."""

    __tablename__ = "response_rollups"
    __table_args__ = (sa.Index("ix_response_rollups_account_day", "account_key", "day"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(4), primary_key=True)


class ResponseDayRollup(ScoreCounts, Base):
    """The same counts without the account: what charts and figures not split by account read (a row
    per day, survey and kind: years of answers in a few thousand rows). Kept by the same triggers
    (migration rollup_0001); on SQLite a WITHOUT ROWID table (one b-tree to write, not two)."""

    __tablename__ = "response_day_rollups"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[date] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(4), primary_key=True)


class ResponseMonthRollup(ScoreCounts, Base):
    """The counts by local month (its first day), account and kind, without the survey: what charts split
    by account read in months or quarters (a row per account and month, not per account, day and survey).
    Kept by the same triggers (migration rollup_0002); WITHOUT ROWID on SQLite, clustered on the key."""

    __tablename__ = "response_month_rollups"
    __table_args__ = (
        # a few accounts' months (the split by account's page and top N; migration trends_0001)
        sa.Index("ix_response_month_rollups_account", "kind", "account_key", "month"),
        {"sqlite_with_rowid": False},
    )

    kind: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    account_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class ResponseMonthTotal(Base):
    """Running totals by month: an account's answers of a kind in every local month up to and including
    ``month`` (``n`` only), a row wherever the month rollup has one. A range of whole months is the
    total at its last month less the one before its first: two rows an account, read as two contiguous
    slices (month first), which is what the split by account ranks accounts on. Kept by triggers on
    ``response_month_rollups`` (migration trends_0002, app/trends/rollup_sql.py); WITHOUT ROWID on SQLite."""

    __tablename__ = "response_month_totals"
    __table_args__ = (
        # an account's totals from a month on (the triggers), the latest before a month (the reads)
        sa.Index("ix_response_month_totals_account", "kind", "account_key", "month"),
        {"sqlite_with_rowid": False},
    )

    kind: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    account_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(default=0)


class ResponseSegmentRollup(ScoreCounts, Base):
    """The counts by segment (``tier``, ``plan``, ``stage``, ``csm``), kind, local day and the account's
    *current* value of that attribute as text ('' for none or no account; the CSM's user id): what charts
    split by an account attribute read. Kept by the triggers on responses and, when an account's
    attribute changes or the account is deleted, by the triggers on accounts, which move its counts to
    the new value (migration rollup_0002); WITHOUT ROWID on SQLite, clustered on the key."""

    __tablename__ = "response_segment_rollups"
    __table_args__ = ({"sqlite_with_rowid": False},)

    segment: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(50), primary_key=True)


class RollupTzOffset(Base):
    """From ``since`` (UTC) on, local time is UTC + ``minutes``: the workspace zone's offset history."""

    __tablename__ = "rollup_tz_offsets"

    since: Mapped[datetime] = mapped_column(primary_key=True)
    minutes: Mapped[int]
