"""Use cases of product insights: teams, the weekly digest (scheduled, previewed, sent now) and alerts.

Routes, jobs and commands call these. Jobs are enqueued by name after commit (``app.queue``); every job is
idempotent and the database row is the truth, so ``sweep_team_mail`` can always catch up what was lost.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import queue
from app.extensions import db
from app.insights import accounts_sql, days_sql, delivery, digest_flow, hits_sql, months_sql, patterns_sql
from app.insights import alerts as alerting
from app.insights.demo import seed_demo_teams
from app.insights.digest import build_content
from app.insights.emails import RenderedMail, render_alert, render_digest
from app.insights.periods import Period, due_digest_week, last_complete_week
from app.insights.sharing import sharing
from app.insights.teams import (
    TeamError,
    TeamInput,
    audit,
    delete_team,
    followed_topic_ids,
    save_team,
    team_zone,
)
from app.models import Alert, DeliveryState, Digest, DigestState, Team, utcnow

__all__ = ["DigestError", "TeamError", "TeamInput", "seed_demo_teams"]


class DigestError(ValueError):
    """A digest action that cannot be done, with a message for the person."""


# --- Topic hits: a bulk writer of mentions refreshes once ---------------------------------------------


def defer_topic_hits() -> None:
    """Until ``refresh_topic_hits``, this transaction's mention inserts and deletes leave ``topic_hits``
    alone (``app/insights/hits_sql.py``); the caller must refresh every response whose mentions it wrote."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(sa.text(hits_sql.defer_statement(dialect)))


def refresh_topic_hits(response_ids: list[int]) -> None:
    """End the deferral and recompute these responses' rows: delete them (only if any of the responses has
    rows, then only those whose rows differ from their recomputation) and insert them again, one statement
    each."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(sa.text(hits_sql.undefer_statement(dialect)))
    if not response_ids:
        return
    where = (
        "r.id = ANY(CAST(:ids AS integer[]))"
        if dialect == "postgresql"
        else "r.id IN (SELECT value FROM json_each(:ids))"
    )
    ids = _ids_parameter(dialect, response_ids)
    delete, insert = hits_sql.refresh_statements(where)
    if not db.session.execute(sa.text(hits_sql.any_rows_statement(where)), {"ids": ids}).scalar():
        db.session.execute(sa.text(insert), {"ids": ids})  # nothing to delete (a first tagging)
        return
    # a re-tag: only the responses whose rows change are refreshed (the same results change nothing)
    changed = db.session.execute(sa.text(hits_sql.changed_statement(where)), {"ids": ids}).all()
    stored = [int(r[0]) for r in changed if r[1]]
    if stored:
        db.session.execute(sa.text(delete), {"ids": _ids_parameter(dialect, stored)})
    if changed:
        db.session.execute(sa.text(insert), {"ids": _ids_parameter(dialect, [int(r[0]) for r in changed])})


def _ids_parameter(dialect: str, ids: list[int]) -> list[int] | str:
    """The ``:ids`` parameter of ``refresh_topic_hits``' statements: an array, or (SQLite) JSON text."""
    return [int(i) for i in ids] if dialect == "postgresql" else json.dumps([int(i) for i in ids])


# --- Day totals: a bulk writer of analysis states adds the analysed counts once ---------------------


def defer_day_totals() -> bool:
    """PostgreSQL: until ``add_analysed``, this transaction's updates whose only counted change is
    ``analysis_state`` leave ``topic_day_totals`` alone (``app/insights/days_sql.py``); the caller must
    pass every such change to ``add_analysed``. Returns False (nothing deferred) on SQLite."""
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    db.session.execute(sa.text(days_sql.defer_totals_statement(True)))
    return True


def add_analysed(changes: dict[int, int]) -> None:
    """End the deferral, then add each response's change of ``analysed`` (+1 became done, -1 no longer
    done) to its cell, grouped in one statement."""
    db.session.execute(sa.text(days_sql.defer_totals_statement(False)))
    changes = {int(k): int(v) for k, v in changes.items() if v}
    if changes:
        db.session.execute(
            sa.text(days_sql.analysed_delta_statement()),
            {"ids": list(changes), "deltas": list(changes.values())},
        )


# --- Teams -------------------------------------------------------------------------------------------


def create_team(data: TeamInput, actor_id: int | None) -> Team:
    """Create a team (members, topics, schedule) and commit."""
    team = save_team(None, data, actor_id)
    db.session.commit()
    return team


def update_team(team_id: int, data: TeamInput, actor_id: int | None) -> Team:
    """Change a team and commit."""
    team = save_team(team_id, data, actor_id)
    db.session.commit()
    return team


def remove_team(team_id: int, actor_id: int | None) -> str:
    """Delete a team with its digests and alerts; returns its name."""
    name = delete_team(team_id, actor_id)
    db.session.commit()
    return name


# --- Digests -----------------------------------------------------------------------------------------


def preview_digest(team_id: int, now: datetime | None = None) -> tuple[Period, dict[str, Any], RenderedMail]:
    """What the team's digest of its last complete week would say, built now and stored nowhere."""
    team = _team(team_id)
    period = last_complete_week(now or utcnow(), team_zone(team))
    content = build_content(team.name, period, followed_topic_ids(team), period.start)
    return period, content, render_digest(content, None, team.id)


def send_digest_now(team_id: int, actor_id: int | None, now: datetime | None = None) -> Digest:
    """Build and send the digest of the last complete week now, unless this week's was already sent."""
    team = _team(team_id)
    if not team.members:
        raise DigestError("The team has no members yet: add someone to send the digest to.")
    period = last_complete_week(now or utcnow(), team_zone(team))
    digest, created = digest_flow.ensure_digest(team, period, requested_by=actor_id)
    if not created and digest.state not in (DigestState.BUILDING, DigestState.READY):
        when = f" on {digest.sent_at:%d %b %Y %H:%M} UTC" if digest.sent_at else ""
        raise DigestError(
            f"The digest of the week of {period.label()} was already sent{when}: one per team and week."
        )
    audit(actor_id, "digest.send_now", team.id, week=period.first.isoformat(), digest=digest.id)
    db.session.commit()
    if digest.state == DigestState.READY:  # built, but its delivery job was lost: deliver it now
        queue.enqueue_once("insights.deliver_digest", digest.id, job_id=f"insights-digest-send-{digest.id}")
    else:
        queue.enqueue_once("insights.build_digest", digest.id, job_id=f"insights-digest-build-{digest.id}")
    return digest


def schedule_digests(now: datetime | None = None) -> dict[str, int]:
    """Create and build the digest each team is due (its local weekday and hour; the previous week)."""
    now = now or utcnow()
    created = 0
    teams = db.session.execute(
        sa.select(Team).where(Team.digest_enabled.is_(True)).order_by(Team.id)
    ).scalars()
    # Builds run here when jobs run inline (embedded mode): the teams then share one computation of
    # the week's workspace-wide figures (app.insights.sharing).
    with sharing():
        for team in list(teams):
            period, due = due_digest_week(now, team_zone(team), team.digest_weekday, team.digest_hour)
            if team.created_at > due:
                continue  # the team did not exist when this week's digest fell due
            digest, fresh = digest_flow.ensure_digest(team, period)
            if fresh:
                created += 1
                queue.enqueue_once(
                    "insights.build_digest", digest.id, job_id=f"insights-digest-build-{digest.id}"
                )
    return {"created": created}


def build_digest(digest_id: int) -> bool:
    """Build a digest once (content and recipients), then enqueue its delivery."""
    built = digest_flow.build(digest_id)
    if built:
        queue.enqueue_once("insights.deliver_digest", digest_id, job_id=f"insights-digest-send-{digest_id}")
    return built


def deliver_digest(digest_id: int) -> dict[str, int]:
    """Send a built digest to the members who have not been sent it (never twice)."""
    return digest_flow.deliver(digest_id)


# --- Alerts ------------------------------------------------------------------------------------------


def check_alerts(now: datetime | None = None) -> dict[str, int]:
    """Raise the alerts due now (emerging topics, detractors at large accounts) and deliver them."""
    created = alerting.check(now or utcnow())
    for alert_id in created:
        queue.enqueue_once("insights.deliver_alert", alert_id, job_id=f"insights-alert-send-{alert_id}")
    return {"created": len(created)}


def deliver_alert(alert_id: int) -> dict[str, int]:
    """Send an alert to its recipients at most once each, then settle its state."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.state not in (DigestState.READY, DigestState.SENDING):
        return {}
    alert.state = DigestState.SENDING
    evidence, team_id = dict(alert.evidence, title=alert.title), alert.team_id
    db.session.commit()
    counts = delivery.deliver("alert", alert_id, lambda: render_alert(evidence, alert_id, team_id))
    _settle_alert(alert_id)
    return counts


def _settle_alert(alert_id: int) -> None:
    alert = db.session.get(Alert, alert_id)
    counts = delivery.states("alert", alert_id)
    if alert is None or counts.get(DeliveryState.QUEUED.value) or counts.get(DeliveryState.SENDING.value):
        return
    alert.state = DigestState.UNCERTAIN if counts.get(DeliveryState.UNCERTAIN.value) else DigestState.SENT
    alert.sent_at = utcnow()
    db.session.commit()


# --- The sweeper -------------------------------------------------------------------------------------


def sweep_team_mail(now: datetime | None = None) -> dict[str, int]:
    """Catch up what a lost job left: stale builds, undelivered digests and alerts, stuck messages."""
    recovered = delivery.recover_stuck()
    builds = digest_flow.stale_builds(now)
    for digest_id in builds:
        queue.enqueue_once("insights.build_digest", digest_id, job_id=f"insights-digest-build-{digest_id}")
    deliveries = digest_flow.stuck_deliveries(now)
    for digest_id in deliveries:
        queue.enqueue_once("insights.deliver_digest", digest_id, job_id=f"insights-digest-send-{digest_id}")
    alert_ids = sorted(set(delivery.parents_with_queued("alert")) | set(_unsettled_alerts(now or utcnow())))
    for alert_id in alert_ids:
        queue.enqueue_once("insights.deliver_alert", alert_id, job_id=f"insights-alert-send-{alert_id}")
    return {**recovered, "builds": len(builds), "digests": len(deliveries), "alerts": len(alert_ids)}


def _unsettled_alerts(now: datetime) -> list[int]:
    """Alerts not settled a while after they were raised (their delivery job was lost)."""
    return list(
        db.session.execute(
            sa.select(Alert.id).where(
                Alert.state.in_([DigestState.READY, DigestState.SENDING]),
                Alert.created_at < now - digest_flow.DELIVERY_GRACE,
            )
        ).scalars()
    )


def _team(team_id: int) -> Team:
    team = db.session.execute(
        sa.select(Team)
        .where(Team.id == team_id)
        .options(selectinload(Team.members), selectinload(Team.topics))
    ).scalar_one_or_none()
    if team is None:
        raise TeamError("That team no longer exists.")
    return team


def rebuild_day_tables() -> None:
    """Recompute ``topic_days``, ``topic_day_totals`` and (PostgreSQL) the account and pattern tables in
    the caller's transaction (in the local days of the stored offsets:
    ``app.trends.services.timezone_changed`` calls it after rewriting them)."""
    dialect = db.session.get_bind().dialect.name
    for statement in days_sql.rebuild_statements(dialect):
        db.session.execute(sa.text(statement))
    if dialect == "postgresql":  # the account, month and pattern tables (migrations topics_0003/4/5)
        rebuilt = [*accounts_sql.rebuild_statements(), *months_sql.rebuild_statements()]
        for statement in [*rebuilt, *patterns_sql.rebuild_statements()]:
            db.session.execute(sa.text(statement))
