"""How well the loop is closed: time to first contact and to resolution (median and p90, in hours), the
share resolved within the SLA (Wilson interval, from ``app.metrics``), the reopen rate, by owner and by
team, and inner vs outer loop with the root-cause topics sent to product."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.metrics import Score, share
from app.models import OPEN_STATES, FollowUp, Team, Topic, User, team_members, utcnow

PERIODS = {30: "30 days", 90: "90 days", 365: "12 months"}


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between closest ranks (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class Group:
    """The figures of one group of follow-ups (everyone, an owner or a team)."""

    label: str
    opened: int
    open_now: int
    overdue: int
    contact_median: float | None
    contact_p90: float | None
    resolve_median: float | None
    resolve_p90: float | None
    within_sla: Score
    reopen_rate: Score


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else max(0.0, (end - start).total_seconds() / 3600)


def summarise(label: str, rows: list[FollowUp], now: datetime) -> Group:
    """The figures of these follow-ups."""
    contact = [h for r in rows if (h := _hours(r.created_at, r.contacted_at)) is not None]
    resolve = [
        h
        for r in rows
        if r.state not in OPEN_STATES and (h := _hours(r.created_at, r.resolved_at)) is not None
    ]
    resolved = [r for r in rows if r.resolved_at is not None]
    on_time = sum(1 for r in resolved if r.due_at is None or r.resolved_at <= r.due_at)
    open_rows = [r for r in rows if r.state in OPEN_STATES]
    return Group(
        label=label,
        opened=len(rows),
        open_now=len(open_rows),
        overdue=sum(1 for r in open_rows if r.due_at is not None and r.due_at < now),
        contact_median=percentile(contact, 0.5),
        contact_p90=percentile(contact, 0.9),
        resolve_median=percentile(resolve, 0.5),
        resolve_p90=percentile(resolve, 0.9),
        within_sla=share(on_time, len(resolved)),
        reopen_rate=share(sum(1 for r in resolved if r.reopen_count), len(resolved)),
    )


@dataclass(frozen=True)
class LoopReport:
    """The metrics page."""

    days: int
    overall: Group
    by_owner: list[Group]
    by_team: list[Group]
    loops: dict[str, int]
    root_topics: list[tuple[str, int]]


def report(days: int, now: datetime | None = None) -> LoopReport:
    """Follow-ups opened in the last ``days`` days, summarised overall, by owner and by team."""
    now = now or utcnow()
    rows = list(
        db.session.execute(
            sa.select(FollowUp).where(FollowUp.created_at >= now - timedelta(days=days))
        ).scalars()
    )
    users = {u.id: u for u in db.session.execute(sa.select(User)).scalars()}
    by_owner: dict[int | None, list[FollowUp]] = defaultdict(list)
    for row in rows:
        by_owner[row.assignee_id].append(row)
    owners = [
        summarise(_user_label(users.get(uid)), group, now)
        for uid, group in sorted(by_owner.items(), key=lambda kv: -len(kv[1]))
    ]
    teams = []
    memberships = db.session.execute(sa.select(team_members.c.team_id, team_members.c.user_id)).all()
    for team in db.session.execute(sa.select(Team).order_by(Team.name)).scalars():
        members = {uid for tid, uid in memberships if tid == team.id}
        group = [r for r in rows if r.assignee_id in members]
        if group:
            teams.append(summarise(team.name, group, now))
    resolved = [r for r in rows if r.state not in OPEN_STATES]
    loops = Counter(r.loop or "unrecorded" for r in resolved)
    topic_names = dict(db.session.execute(sa.select(Topic.id, Topic.name)).all())
    roots = Counter(topic_names.get(r.root_topic_id, "?") for r in resolved if r.root_topic_id)
    return LoopReport(
        days, summarise("Everyone", rows, now), owners, teams, dict(loops), roots.most_common(10)
    )


def _user_label(user: User | None) -> str:
    if user is None:
        return "Unassigned"
    return user.name or user.email
