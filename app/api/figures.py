"""NPS / CSAT / CES by time bucket and segment, with the 95% intervals of app/metrics.py.

Read from the response rollups (a count per score; kept by triggers in each answer's transaction): the day
rollup (local day × survey × kind) unless the figures are split by account or an account's attribute;
by an attribute over every survey the segment rollup (local day × the attribute's value × kind); else
the fine one (local day × survey × account × kind), so the figures cost the same at a million
responses as at a thousand, and days are the workspace's local days. Days are folded into weeks (Monday)
or months here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.metrics import mean, nps, share
from app.models import (
    SCORE_VALUES,
    Account,
    ResponseDayRollup,
    ResponseRollup,
    ResponseSegmentRollup,
    SurveyKind,
)
from app.workspace_settings import workspace_timezone

SEGMENTS = {"tier": Account.tier, "plan": Account.plan, "lifecycle_stage": Account.lifecycle_stage}
ROLLUP_SEGMENTS = {"tier": "tier", "plan": "plan", "lifecycle_stage": "stage"}  # names in the segment rollup


def _bucket(day: date, size: str) -> date:
    if size == "week":
        return day - timedelta(days=day.weekday())
    if size == "month":
        return day.replace(day=1)
    return day


def _score(kind: SurveyKind, counts: list[int]) -> dict[str, Any]:
    """The metric of one cell from its count per score (index = score)."""
    n = sum(counts)
    if kind == SurveyKind.NPS:
        p, pa, d = sum(counts[9:11]), sum(counts[7:9]), sum(counts[0:7])
        s = nps(p, pa, d)
        extra: dict[str, Any] = {"promoters": p, "passives": pa, "detractors": d}
    elif kind == SurveyKind.CSAT:
        s, extra = share(sum(counts[4:6]), n), {}
    else:
        total = sum(i * c for i, c in enumerate(counts))
        total_sq = sum(i * i * c for i, c in enumerate(counts))
        s, extra = mean(float(total), float(total_sq), n), {"easy_share": share(sum(counts[5:8]), n).value}
    return {"value": s.value, "n": s.n, "low": s.low, "high": s.high, "flagged": s.flagged, **extra}


def metrics(
    kind: str, bucket: str, segment: str | None, start: date, end: date, survey: int | None
) -> dict[str, Any]:
    """The metric of ``kind`` per bucket (and per segment value) over the local days [start, end]."""
    kind_enum = SurveyKind(kind)
    if segment in SEGMENTS and survey is None:
        return _by_attribute(kind_enum, bucket, segment, start, end)
    # the day rollup (no account in its grain) unless the segment is the account or one of its attributes
    r: Any = ResponseRollup if segment == "account" or segment in SEGMENTS else ResponseDayRollup
    seg: Any = SEGMENTS.get(segment or "")
    if segment == "account":
        seg = sa.case((r.account_key == 0, None), else_=r.account_key)
    columns = [getattr(r, f"s{v}") for v in SCORE_VALUES]
    stmt = sa.select(
        r.day, *([seg.label("segment")] if seg is not None else []), *[sa.func.sum(c) for c in columns]
    )
    stmt = stmt.where(r.kind == kind_enum.value, r.day >= start, r.day <= end)
    if survey is not None:
        stmt = stmt.where(r.survey_id == survey)
    if segment in SEGMENTS:
        stmt = stmt.join(Account, Account.id == r.account_key, isouter=True)
    stmt = stmt.group_by(r.day, *([seg] if seg is not None else []))
    return _result(kind_enum, bucket, segment, db.session.execute(stmt), seg is not None)


def _by_attribute(kind: SurveyKind, bucket: str, segment: str, start: date, end: date) -> dict[str, Any]:
    """Split by tier, plan or stage across every survey: the segment rollup (a row per day and value)."""
    s = ResponseSegmentRollup
    columns = [getattr(s, f"s{v}") for v in SCORE_VALUES]
    stmt = sa.select(s.day, s.value, *columns).where(
        s.segment == ROLLUP_SEGMENTS[segment], s.kind == kind.value, s.day >= start, s.day <= end
    )
    return _result(kind, bucket, segment, db.session.execute(stmt), True)


def _result(kind_enum: SurveyKind, bucket: str, segment: str | None, rows, split: bool) -> dict[str, Any]:
    """Rows of (day, [segment value,] s0…s10) folded into buckets, with each cell's metric."""
    kind = kind_enum.value
    cells: dict[tuple[date, Any], list[int]] = defaultdict(lambda: [0] * len(SCORE_VALUES))
    for row in rows:
        day = row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0]))
        value = row[1] if split else None
        value = getattr(value, "value", value) if value != "" else None  # '' in the segment rollup: none
        counts = row[2:] if split else row[1:]
        target = cells[(_bucket(day, bucket), value)]
        for i, c in enumerate(counts):
            target[i] += int(c or 0)
    rows = [
        {"bucket": b.isoformat(), "segment": s, **_score(kind_enum, c)}
        for (b, s), c in sorted(cells.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
    ]
    zone = workspace_timezone().key
    return {"kind": kind, "bucket": bucket, "segment": segment, "timezone": zone, "rows": rows}
