"""Read models over the response rollups: score counts by any grouping, turned into the standard metrics.

Every figure is derived from the counts per score value (``n``, ``s0``…``s10``) through app.metrics, so a
dashboard reads thousands of rollup rows instead of millions of responses. Two rollups have the same
columns: ``ResponseDayRollup`` (day × survey × kind, the default: charts and figures not split by account)
and ``ResponseRollup`` (the same by account too: health, accounts, segments by account attributes); pass
``table=ResponseRollup`` with its columns when grouping or filtering by account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.metrics import NpsCounts, Score, mean, nps, share
from app.models import ResponseDayRollup, ResponseRollup, RollupTzOffset, SurveyKind, TrendAnnotation
from app.trends.rollup_sql import offset_history

R = ResponseRollup
D = ResponseDayRollup
RollupTable = type[ResponseRollup] | type[ResponseDayRollup]


def count_columns(table: RollupTable = D) -> list[sa.ColumnElement]:
    """SUM of n and of each score column of ``table``, labelled n, s0…s10."""
    return [
        sa.func.sum(table.n).label("n"),
        *[sa.func.sum(getattr(table, f"s{k}")).label(f"s{k}") for k in range(11)],
    ]


@dataclass(frozen=True)
class Counts:
    """How many answers of each score value (index 0–10) and responses in all."""

    n: int
    scores: tuple[int, ...]

    @classmethod
    def of(cls, row: Any) -> Counts:
        """From a row ending in n, s0…s10 (``count_columns``; None counts as 0). By position: a Row's
        attribute lookup by name costs more than the query itself over a thousand rows."""
        values = [int(v or 0) for v in tuple(row)[-12:]]
        return cls(values[0], tuple(values[1:]))

    @classmethod
    def empty(cls) -> Counts:
        """No answers."""
        return cls(0, (0,) * 11)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.n + other.n, tuple(a + b for a, b in zip(self.scores, other.scores, strict=True)))

    def __sub__(self, other: Counts) -> Counts:
        return Counts(self.n - other.n, tuple(a - b for a, b in zip(self.scores, other.scores, strict=True)))

    @property
    def scored(self) -> int:
        """Answers with a score."""
        return sum(self.scores)

    def nps_counts(self) -> NpsCounts:
        """Promoters (9–10), passives (7–8), detractors (0–6)."""
        s = self.scores
        return NpsCounts(s[9] + s[10], s[7] + s[8], sum(s[:7]))

    def metric(self, kind: SurveyKind | str) -> Score:
        """The kind's headline figure: NPS, CSAT share of 4–5, CES mean."""
        kind = SurveyKind(kind)
        if kind == SurveyKind.NPS:
            c = self.nps_counts()
            return nps(c.promoters, c.passives, c.detractors)
        if kind == SurveyKind.CSAT:
            return share(self.scores[4] + self.scores[5], self.scored)
        if kind == SurveyKind.CES:
            total = sum(k * v for k, v in enumerate(self.scores))
            return mean(float(total), float(sum(k * k * v for k, v in enumerate(self.scores))), self.scored)
        return Score(None, self.n)

    def ces_easy(self) -> Score:
        """CES share of 5–7."""
        return share(sum(self.scores[5:8]), self.scored)


def kind_counts(
    kind: SurveyKind | str, start: date, end: date, *where: Any, table: RollupTable = D
) -> Counts:
    """All answers of ``kind`` on local days start..end (inclusive), from ``table``."""
    row = db.session.execute(
        sa.select(*count_columns(table)).where(
            table.kind == SurveyKind(kind).value, table.day.between(start, end), *where
        )
    ).one()
    return Counts.of(row)


def grouped_counts(
    kind: SurveyKind | str,
    start: date,
    end: date,
    group: list[Any],
    *where: Any,
    joins=(),
    table: RollupTable = R,
):
    """{group key tuple: Counts} of ``kind`` over start..end, grouped by the given columns of ``table``
    (the fine rollup unless told: most callers group by account or its attributes)."""
    stmt = sa.select(*group, *count_columns(table)).select_from(table)
    for target, on in joins:
        stmt = stmt.join(target, on, isouter=True)
    stmt = stmt.where(table.kind == SurveyKind(kind).value, table.day.between(start, end), *where)
    stmt = stmt.group_by(*group)
    return {tuple(row[: len(group)]): Counts.of(row) for row in db.session.execute(stmt)}


def annotations_between(start: date, end: date, limit: int = 200) -> list[TrendAnnotation]:
    """Annotations dated start..end, oldest first (with who added them)."""
    return list(
        db.session.execute(
            sa.select(TrendAnnotation)
            .options(selectinload(TrendAnnotation.created_by))
            .where(TrendAnnotation.day.between(start, end))
            .order_by(TrendAnnotation.day, TrendAnnotation.id)
            .limit(limit)
        ).scalars()
    )


def all_annotations(limit: int = 500) -> list[TrendAnnotation]:
    """Every annotation, newest first."""
    return list(
        db.session.execute(
            sa.select(TrendAnnotation)
            .options(selectinload(TrendAnnotation.created_by))
            .order_by(TrendAnnotation.day.desc(), TrendAnnotation.id.desc())
            .limit(limit)
        ).scalars()
    )


def zone_offsets(zone: str) -> tuple[tuple[datetime, int], ...]:
    """``zone``'s offset history as the rollups store it: (UTC instant, naive; offset minutes) at each
    change, () for UTC."""
    return tuple((at.replace(tzinfo=None), minutes) for at, minutes in offset_history(zone))


def days_follow(zone: str) -> bool:
    """Whether the local days the rollups (and the tables kept like them) were counted in are ``zone``'s:
    the stored offset history is that zone's."""
    stored = tuple(
        (at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at, minutes)
        for at, minutes in db.session.execute(
            sa.select(RollupTzOffset.since, RollupTzOffset.minutes).order_by(RollupTzOffset.since)
        )
    )
    return stored == zone_offsets(zone)
