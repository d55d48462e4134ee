"""Read models of the teams, digests and alerts pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.insights.periods import Period, due_digest_week
from app.insights.teams import team_zone
from app.models import Alert, Digest, Team, TeamMessage, User, utcnow


@dataclass(frozen=True)
class TeamRow:
    """A team in the list, with its latest digest."""

    team: Team
    zone: str
    last: Digest | None


def team_rows() -> list[TeamRow]:
    """Every team by name, with its members, topics and latest digest."""
    teams = db.session.execute(
        sa.select(Team).options(selectinload(Team.members), selectinload(Team.topics)).order_by(Team.name)
    ).scalars()
    latest = {
        d.team_id: d
        for d in db.session.execute(sa.select(Digest).order_by(Digest.team_id, Digest.period_start)).scalars()
    }
    return [TeamRow(t, team_zone(t), latest.get(t.id)) for t in teams]


@dataclass(frozen=True)
class Schedule:
    """When a team's digest goes out: its zone, the last week due and the next send time."""

    zone: str
    last_week: Period
    last_due: datetime
    next_due: datetime


def schedule_of(team: Team, now: datetime | None = None) -> Schedule:
    """The team's digest schedule at ``now``."""
    now = now or utcnow()
    zone = team_zone(team)
    week, due = due_digest_week(now, zone, team.digest_weekday, team.digest_hour)
    # The most recent due time a week from now is the first one after now (DST-safe: local arithmetic).
    _, next_due = due_digest_week(now + timedelta(days=7), zone, team.digest_weekday, team.digest_hour)
    return Schedule(zone, week, due, next_due)


@dataclass(frozen=True)
class DigestRow:
    """A digest with how its emails went."""

    digest: Digest
    sent: int
    total: int
    uncertain: int


def digests_of(team_id: int, limit: int = 26) -> list[DigestRow]:
    """A team's digests, latest week first, with recipient counts."""
    digests = list(
        db.session.execute(
            sa.select(Digest)
            .where(Digest.team_id == team_id)
            .order_by(Digest.period_start.desc())
            .limit(limit)
        ).scalars()
    )
    counts = message_counts("digest", [d.id for d in digests])
    return [DigestRow(d, *counts.get(d.id, (0, 0, 0))) for d in digests]


def message_counts(kind: str, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(sent, total, uncertain) emails per digest or alert."""
    if not ids:
        return {}
    column = TeamMessage.digest_id if kind == "digest" else TeamMessage.alert_id
    rows = db.session.execute(
        sa.select(
            column,
            sa.func.sum(sa.case((TeamMessage.state == "sent", 1), else_=0)),
            sa.func.count(),
            sa.func.sum(sa.case((TeamMessage.state == "uncertain", 1), else_=0)),
        )
        .where(column.in_(ids))
        .group_by(column)
    ).all()
    return {r[0]: (int(r[1] or 0), int(r[2]), int(r[3] or 0)) for r in rows}


def alerts_of(team_id: int | None = None, limit: int = 50) -> list[Alert]:
    """The latest alerts (of one team, or all), newest first."""
    query = (
        sa.select(Alert).options(selectinload(Alert.team)).order_by(Alert.created_at.desc(), Alert.id.desc())
    )
    if team_id is not None:
        query = query.where(Alert.team_id == team_id)
    return list(db.session.execute(query.limit(limit)).scalars())


def recipients(kind: str, parent_id: int) -> list[TeamMessage]:
    """The emails of a digest or alert, by address."""
    column = TeamMessage.digest_id if kind == "digest" else TeamMessage.alert_id
    return list(
        db.session.execute(
            sa.select(TeamMessage).where(column == parent_id).order_by(TeamMessage.to_email)
        ).scalars()
    )


def user_choices() -> list[tuple[int, str]]:
    """Active staff users as (id, "Name <email>") for the members field."""
    rows = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .where(User.is_active_user.is_(True))
        .order_by(User.name, User.email)
    )
    return [(uid, f"{name} <{email}>" if name else email) for uid, name, email in rows]
