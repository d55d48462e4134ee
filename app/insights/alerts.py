"""Alerts: an emerging topic, or a detractor at an account above the ARR threshold, mailed to the teams that
follow it — at most once per team, topic (or account) and local day (a unique constraint), with the evidence.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.insights import delivery, links
from app.insights import digest_queries as dq
from app.insights.analytics import emerging_results
from app.insights.digest import excerpt, pick_verbatims
from app.insights.periods import days_ending, local_today
from app.insights.queries import retag_running, topic_tree
from app.insights.teams import followed_topic_ids, team_zone
from app.models import Account, Alert, AnalysisState, Mention, Response, SurveyKind, Team, Topic
from app.privacy import redact_text
from app.workspace_settings import get_setting, workspace_timezone

DETRACTOR_WINDOW = timedelta(hours=48)  # how far back a new detractor is looked for
ANALYSIS_GRACE = timedelta(minutes=30)  # wait this long for tagging (to know the topics) before alerting


def alerting_teams() -> list[Team]:
    """Teams with alerts on and at least one member."""
    return [
        t
        for t in db.session.execute(
            sa.select(Team).where(Team.alerts_enabled.is_(True)).options(selectinload(Team.members))
        ).scalars()
        if t.members
    ]


def check(now: datetime) -> list[int]:
    """Create every alert due at ``now`` (with its recipients); returns the new alert ids to deliver."""
    teams = alerting_teams()
    if not teams:
        return []
    scopes = {t.id: followed_topic_ids(t) for t in teams}
    created = _emerging_alerts(now, teams, scopes) if retag_running() is None else []
    return created + _detractor_alerts(now, teams, scopes)


def _emerging_alerts(now: datetime, teams: list[Team], scopes: dict[int, list[int] | None]) -> list[int]:
    """The last 7 local days (today included) against the 8 weeks before, for every active topic."""
    zone = workspace_timezone().key
    week = days_ending(local_today(now, workspace_timezone()), 7, zone)
    names = {n.id: n.name for n in topic_tree()}
    created = []
    for result in (r for r in emerging_results(week) if r.alarm):
        evidence = None
        for team in teams:
            scope = scopes[team.id]
            if scope is not None and result.key not in scope:
                continue
            if evidence is None:
                evidence = _emerging_evidence(result, names.get(result.key, "?"), week)
            title = (
                f"Emerging: {evidence['topic']}, {result.k_now} responses in 7 days "
                f"({result.share_now:.1f} % of comments vs {result.share_base:.1f} %)"
            )
            alert_id = _create(
                team, now, "emerging", f"topic:{result.key}", title, evidence, topic_id=result.key
            )
            if alert_id:
                created.append(alert_id)
    return created


def _emerging_evidence(result, name: str, week) -> dict[str, Any]:
    ids = [n.id for n in topic_tree() if n.id == result.key or result.key in n.ancestors]
    return {
        "kind": "emerging",
        "topic": name,
        "topic_id": result.key,
        "week": week.label(),
        "responses": result.k_now,
        "analysed": result.n_now,
        "accounts": result.accounts,
        "share": result.share_now,
        "base_responses": result.k_base,
        "base_analysed": result.n_base,
        "base_share": result.share_base,
        "lift": result.lift if result.lift is not None and result.lift < 1e12 else None,
        "p": result.p,
        "q": result.q,
        "verbatims": pick_verbatims(dq.mention_candidates(week, ids, sentiment=None)),
        "url": links.explorer_url(topic=result.key, start=week.first, end=week.last),
        "topic_url": links.app_url("insights.topic", topic_id=result.key),
    }


def _detractor_alerts(now: datetime, teams: list[Team], scopes: dict[int, list[int] | None]) -> list[int]:
    """New NPS detractors (0–6) at accounts whose ARR reaches the threshold, once tagging has run."""
    threshold = int(get_setting("alert_arr_threshold") or 0)
    if threshold <= 0:
        return []
    created = []
    for response, account in _new_detractors(now, threshold):
        topics = _topics_of(response.id)
        for team in teams:
            scope = scopes[team.id]
            if scope is not None and not set(scope) & {t for t, _ in topics}:
                continue
            if _already_alerted(team.id, response.id):
                continue
            evidence = _detractor_evidence(response, account, topics)
            title = f"Detractor at {account.name} (ARR {account.arr:,}): NPS {response.score}"
            refs = {"account_id": account.id, "response_id": response.id}
            alert_id = _create(team, now, "detractor", f"account:{account.id}", title, evidence, **refs)
            if alert_id:
                created.append(alert_id)
    return created


def _new_detractors(now: datetime, threshold: int) -> list:
    """Recent NPS detractors at accounts with at least ``threshold`` ARR, once tagged (or waited for)."""
    tagged = sa.or_(
        Response.analysis_state != AnalysisState.PENDING, Response.created_at < now - ANALYSIS_GRACE
    )
    return list(
        db.session.execute(
            sa.select(Response, Account)
            .join(Account, Account.id == Response.account_id)
            .where(
                Response.kind == SurveyKind.NPS,
                Response.score <= 6,
                Response.created_at >= now - DETRACTOR_WINDOW,
                Account.arr >= threshold,
                tagged,
            )
            .order_by(Response.created_at, Response.id)
        ).all()
    )


def _topics_of(response_id: int) -> list[tuple[int, str]]:
    return list(
        db.session.execute(
            sa.select(Topic.id, Topic.name)
            .join(Mention, Mention.topic_id == Topic.id)
            .where(Mention.response_id == response_id, Mention.rejected.is_(False))
            .distinct()
            .order_by(Topic.name)
        )
    )


def _already_alerted(team_id: int, response_id: int) -> bool:
    return (
        db.session.execute(
            sa.select(Alert.id).where(Alert.team_id == team_id, Alert.response_id == response_id).limit(1)
        ).scalar()
        is not None
    )


def _detractor_evidence(
    response: Response, account: Account, topics: list[tuple[int, str]]
) -> dict[str, Any]:
    contact = response.contact
    names = (contact.name, contact.email) if contact else ()
    text = redact_text(excerpt(response.comment or "", None, None, 600), (*names, response.respondent_email))
    return {
        "kind": "detractor",
        "score": response.score,
        "comment": text or "",
        "account": account.name,
        "account_id": account.id,
        "arr": int(account.arr or 0),
        "plan": account.plan,
        "survey": response.survey.name if response.survey else None,
        "at": response.created_at.isoformat(),
        "topics": [name for _, name in topics],
        "url": links.response_url(response.id),
        "account_url": links.account_url(account.id),
    }


def _create(
    team: Team, now: datetime, kind: str, subject: str, title: str, evidence: dict, **refs: Any
) -> int | None:
    """Insert the alert and its recipients in one transaction; None when it exists already today."""
    day = local_today(now, ZoneInfo(team_zone(team)))
    exists = db.session.execute(
        sa.select(Alert.id).where(
            Alert.team_id == team.id, Alert.kind == kind, Alert.subject == subject, Alert.day == day
        )
    ).scalar()
    if exists is not None:
        return None
    alert = Alert(
        team_id=team.id, kind=kind, subject=subject, day=day, title=title[:300], evidence=evidence, **refs
    )
    db.session.add(alert)
    try:
        db.session.flush()
        delivery.add_recipients("alert", alert.id, list(team.members))
        db.session.commit()
    except IntegrityError:  # a concurrent check created it: at most once per day
        db.session.rollback()
        return None
    return alert.id
