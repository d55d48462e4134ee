"""Product teams: who is in them, which topics they follow, and when their week runs (private to services)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import has_request_context, request

from app.extensions import db
from app.insights.queries import topic_tree
from app.models import AuditEvent, Team, Topic, User
from app.workspace_settings import workspace_timezone


class TeamError(ValueError):
    """A team change that cannot be made, with a message for the person (and the field it concerns)."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TeamInput:
    """What a person entered for a team."""

    name: str
    description: str | None = None
    member_ids: tuple[int, ...] = ()
    all_topics: bool = True
    topic_ids: tuple[int, ...] = ()
    timezone: str = ""
    digest_weekday: int = 0
    digest_hour: int = 8
    digest_enabled: bool = True
    alerts_enabled: bool = True


def team_zone(team: Team) -> str:
    """The IANA zone the team's weeks are counted in: its own, else the workspace's."""
    if team.timezone:
        try:
            return ZoneInfo(team.timezone).key
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return workspace_timezone().key


def followed_topic_ids(team: Team) -> list[int] | None:
    """The active topics a team follows with their subtopics, or None for every topic."""
    if team.all_topics:
        return None
    chosen = {t.id for t in team.topics}
    return [n.id for n in topic_tree() if n.id in chosen or chosen.intersection(n.ancestors)]


def save_team(team_id: int | None, data: TeamInput, actor_id: int | None) -> Team:
    """Create (``team_id`` None) or update a team after checking every field; the caller commits."""
    name = " ".join(data.name.split())
    if not name:
        raise TeamError("Give the team a name.")
    clash = db.session.execute(
        sa.select(Team.id).where(sa.func.lower(Team.name) == name.lower(), Team.id != (team_id or -1))
    ).scalar()
    if clash is not None:
        raise TeamError(f"A team called “{name}” already exists.")
    _check_schedule(data)
    members = _members(data.member_ids)
    topics = [] if data.all_topics else _topics(data.topic_ids)
    team = Team() if team_id is None else db.session.get(Team, team_id)
    if team is None:
        raise TeamError("That team no longer exists.")
    team.name, team.description = name, (data.description or "").strip() or None
    team.members, team.topics, team.all_topics = members, topics, data.all_topics
    team.timezone, team.digest_weekday, team.digest_hour = (
        data.timezone,
        data.digest_weekday,
        data.digest_hour,
    )
    team.digest_enabled, team.alerts_enabled = data.digest_enabled, data.alerts_enabled
    if team_id is None:
        db.session.add(team)
    db.session.flush()
    audit(actor_id, "team.create" if team_id is None else "team.update", team.id, name=name)
    return team


def _check_schedule(data: TeamInput) -> None:
    if data.timezone:
        try:
            ZoneInfo(data.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise TeamError(f"“{data.timezone}” is not a time zone we know.", "timezone") from None
    if not 0 <= data.digest_weekday <= 6:
        raise TeamError("Choose a day of the week.", "digest_weekday")
    if not 0 <= data.digest_hour <= 23:
        raise TeamError("Choose an hour between 00:00 and 23:00.", "digest_hour")


def _members(ids: tuple[int, ...]) -> list[User]:
    if not ids:
        return []
    users = list(db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars())
    if len(users) != len(set(ids)):
        raise TeamError("Some chosen members no longer exist; reload the page.", "members")
    return users


def _topics(ids: tuple[int, ...]) -> list[Topic]:
    if not ids:
        raise TeamError("Choose at least one topic, or follow every topic.", "topics")
    topics = list(db.session.execute(sa.select(Topic).where(Topic.id.in_(ids), Topic.is_active)).scalars())
    if len(topics) != len(set(ids)):
        raise TeamError("Some chosen topics were retired or deleted; reload the page.", "topics")
    return topics


def delete_team(team_id: int, actor_id: int | None) -> str:
    """Delete a team with its digests and alerts; returns its name. The caller commits."""
    team = db.session.get(Team, team_id)
    if team is None:
        raise TeamError("That team no longer exists.")
    name = team.name
    db.session.delete(team)
    audit(actor_id, "team.delete", team_id, name=name)
    return name


def audit(actor_id: int | None, action: str, target_id: Any, **details: Any) -> None:
    """Record a staff action on a team or digest in the caller's transaction."""
    db.session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            target_type="team",
            target_id=str(target_id),
            details=details,
            ip=request.remote_addr if has_request_context() else None,
        )
    )
