"""Demo follow-ups: the rules run over the seeded history (no emails), then CS work is simulated on the older
ones — contact after some business hours, most resolved with a reason, some outer loop with a root-cause
topic, a few reopened, some left overdue — so the list, the metrics and account health have real data."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.followups import opening, workflow
from app.models import FollowUp, FollowUpState, Mention, Response, utcnow

CODES = ["fixed", "explained", "workaround", "feature_logged", "bug_logged", "no_reply"]


def seed_demo_followups(days: int = 60, seed: int = 14) -> dict[str, int]:
    """Open follow-ups over the last ``days`` days of answers and work through most; returns counts."""
    outcome = backfill(days, notify=False)
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    now = utcnow()
    rows = list(
        db.session.execute(
            sa.select(FollowUp).where(FollowUp.state == FollowUpState.OPEN).order_by(FollowUp.id)
        ).scalars()
    )
    resolved = 0
    for row in rows:
        age = now - row.created_at
        if age < timedelta(days=2) or rng.random() < 0.12:
            continue  # recent, or forgotten: open (and overdue when old)
        row.contacted_at = row.created_at + timedelta(hours=rng.lognormvariate(2.6, 0.8))
        row.state = FollowUpState.CONTACTED
        _event(row, "state", "open", "contacted", row.contacted_at, "call")
        if rng.random() < 0.8 and row.contacted_at + timedelta(hours=4) < now:
            row.resolved_at = min(now, row.contacted_at + timedelta(hours=rng.lognormvariate(3.0, 0.9)))
            row.state = FollowUpState.RESOLVED
            row.resolution_code = rng.choice(CODES)
            row.resolution_note = "Spoke with the customer; see the account notes."
            topic = _topic_of(row.response_id)
            row.loop = "outer" if topic and rng.random() < 0.45 else "inner"
            row.root_topic_id = topic if row.loop == "outer" else None
            _event(row, "state", "contacted", "resolved", row.resolved_at, row.resolution_note)
            resolved += 1
            if rng.random() < 0.08:
                row.state, row.reopen_count = FollowUpState.REOPENED, 1
                row.due_at = workflow.calendar().add_business_days(row.resolved_at + timedelta(days=1), 2)
                _event(row, "state", "resolved", "reopened", row.resolved_at + timedelta(days=1), "Not fixed")
    db.session.commit()
    total = db.session.execute(sa.select(sa.func.count()).select_from(FollowUp)).scalar_one()
    return {**outcome.counts(), "total": total, "resolved": resolved}


def backfill(days: int, notify: bool) -> opening.Outcome:
    """Run the rules over the answers of the last ``days`` days (oldest first)."""
    since = utcnow() - timedelta(days=days)
    ids = list(
        db.session.execute(
            sa.select(Response.id).where(Response.created_at >= since).order_by(Response.id)
        ).scalars()
    )
    return opening.apply_rules(ids, notify=notify, recent_days=days)


def _topic_of(response_id: int) -> int | None:
    return db.session.execute(
        sa.select(Mention.topic_id)
        .where(Mention.response_id == response_id, Mention.rejected.is_(False))
        .order_by(Mention.sentiment_score.asc().nulls_last())
        .limit(1)
    ).scalar_one_or_none()


def _event(row: FollowUp, kind: str, old: str, new: str, at, note: str | None) -> None:
    event = workflow.record(row, kind, row.assignee_id, old, new, note)
    event.created_at = at
