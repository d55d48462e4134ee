"""NPS / CSAT / CES by time bucket and segment, with the 95% intervals of app/metrics.py.

SQL groups by UTC day and segment (a few thousand rows at most); days are folded into weeks or months
here, so one query serves every bucket size on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.metrics import mean, nps, score_aggregates, share
from app.models import Account, Response, SurveyKind

SEGMENTS = {"tier": Account.tier, "plan": Account.plan, "lifecycle_stage": Account.lifecycle_stage}
MAX_DAYS = 3 * 366


def _day_column() -> sa.ColumnElement[Any]:
    if db.engine.dialect.name == "sqlite":
        return sa.func.date(Response.created_at)
    return sa.cast(sa.func.timezone("UTC", Response.created_at), sa.Date)


def _bucket(day: date, size: str) -> date:
    if size == "week":
        return day - timedelta(days=day.weekday())
    if size == "month":
        return day.replace(day=1)
    return day


def _score(kind: SurveyKind, c: dict[str, float]) -> dict[str, Any]:
    n = int(c["n"])
    if kind == SurveyKind.NPS:
        s = nps(int(c["promoters"]), int(c["passives"]), int(c["detractors"]))
    elif kind == SurveyKind.CSAT:
        s = share(int(c["csat_hits"]), n)
    else:
        s = mean(float(c["total"]), float(c["total_sq"]), n)
    out = {"value": s.value, "n": s.n, "low": s.low, "high": s.high, "flagged": s.flagged}
    if kind == SurveyKind.NPS:
        out.update(
            promoters=int(c["promoters"]), passives=int(c["passives"]), detractors=int(c["detractors"])
        )
    if kind == SurveyKind.CES:
        out["easy_share"] = share(int(c["ces_hits"]), n).value
    return out


def metrics(
    kind: str, bucket: str, segment: str | None, start: date, end: date, survey: int | None
) -> dict[str, Any]:
    """The metric of ``kind`` per bucket (and per segment value) over [start, end]."""
    kind_enum = SurveyKind(kind)
    day = _day_column().label("day")
    seg = SEGMENTS.get(segment or "", Response.account_id if segment == "account" else None)
    cols: list[Any] = [day, *score_aggregates(Response.score)]
    stmt = sa.select(*cols, *([seg.label("segment")] if seg is not None else [])).where(
        Response.kind == kind_enum,
        Response.score.is_not(None),
        Response.created_at >= datetime.combine(start, time(), UTC),
        Response.created_at < datetime.combine(end + timedelta(days=1), time(), UTC),
    )
    if survey is not None:
        stmt = stmt.where(Response.survey_id == survey)
    if segment in SEGMENTS:
        stmt = stmt.join(Account, Account.id == Response.account_id, isouter=True)
    stmt = stmt.group_by(day, *([seg] if seg is not None else []))
    sums: dict[tuple[date, Any], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    keys = ("n", "promoters", "passives", "detractors", "csat_hits", "ces_hits", "total", "total_sq")
    for row in db.session.execute(stmt):
        d = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
        value = getattr(row, "segment", None)
        value = getattr(value, "value", value)
        target = sums[(_bucket(d, bucket), value)]
        for k in keys:
            target[k] += float(getattr(row, k) or 0)
    rows = [
        {"bucket": b.isoformat(), "segment": s, **_score(kind_enum, c)}
        for (b, s), c in sorted(sums.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
    ]
    return {"kind": kind, "bucket": bucket, "segment": segment, "timezone": "UTC", "rows": rows}
