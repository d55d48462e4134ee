"""A digest's life: exactly one row per team and week (a unique constraint), built once, delivered at most
once to each member.

building ──build──▶ ready (content + one queued TeamMessage per member, one transaction) ──deliver──▶
sending ──▶ sent | uncertain | failed. A build that crashed is taken over after BUILD_TIMEOUT; a delivery
that crashed is finished by the sweeper (never resending a message that may have gone out).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.insights import delivery
from app.insights.digest import build_content
from app.insights.emails import render_digest
from app.insights.periods import Period
from app.insights.teams import followed_topic_ids, team_zone
from app.models import DeliveryState, Digest, DigestState, Team, utcnow
from app.webhooks import services as webhooks

log = logging.getLogger(__name__)

BUILD_TIMEOUT = timedelta(minutes=10)
DELIVERY_GRACE = timedelta(minutes=2)  # a delivery job gets this long to start before the sweeper re-enqueues
MAX_CLOSED_LOOKBACK = timedelta(days=28)


def digest_period(digest: Digest, team: Team) -> Period:
    """The local week a digest covers."""
    return Period(digest.period_start, digest.period_end, team_zone(team))


def ensure_digest(team: Team, period: Period, requested_by: int | None = None) -> tuple[Digest, bool]:
    """The team's digest row for ``period``, inserted if missing; (row, created). Commits."""
    existing = _find(team.id, period)
    if existing is not None:
        return existing, False
    digest = Digest(
        team_id=team.id, period_start=period.first, period_end=period.last, requested_by_id=requested_by
    )
    db.session.add(digest)
    try:
        db.session.commit()
    except IntegrityError:  # another scheduler or a "send now" inserted it first: one per team and week
        db.session.rollback()
        found = _find(team.id, period)
        assert found is not None
        return found, False
    return digest, True


def _find(team_id: int, period: Period) -> Digest | None:
    return db.session.execute(
        sa.select(Digest).where(Digest.team_id == team_id, Digest.period_start == period.first)
    ).scalar_one_or_none()


def build(digest_id: int, now: datetime | None = None) -> bool:
    """Build a digest's content and its recipients, once; True when this call built it."""
    if not _claim_build(digest_id, now or utcnow()):
        return False
    digest = db.session.get(Digest, digest_id)
    team = db.session.get(Team, digest.team_id) if digest else None
    if digest is None or team is None:
        return False
    try:
        period = digest_period(digest, team)
        content = build_content(team.name, period, followed_topic_ids(team), _closed_since(digest, period))
    except Exception as exc:  # the row stays "building"; the sweeper retries it after BUILD_TIMEOUT
        db.session.rollback()
        log.exception("digest %s could not be built", digest_id)
        db.session.execute(sa.update(Digest).where(Digest.id == digest_id).values(error=str(exc)[:500]))
        db.session.commit()
        raise
    digest.content, digest.built_at, digest.error = content, utcnow(), None
    digest.state = DigestState.READY
    delivery.add_recipients("digest", digest.id, list(team.members))
    db.session.commit()
    return True


def _claim_build(digest_id: int, now: datetime) -> bool:
    """Take a "building" digest no live builder holds (a compare-and-set, committed at once)."""
    claimed = db.session.execute(
        sa.update(Digest)
        .where(
            Digest.id == digest_id,
            Digest.state == DigestState.BUILDING,
            sa.or_(Digest.claimed_at.is_(None), Digest.claimed_at < now - BUILD_TIMEOUT),
        )
        .values(claimed_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return claimed == 1


def _closed_since(digest: Digest, period: Period) -> datetime:
    """Where "closed since the last digest" starts: the end of the team's previous digest's week."""
    previous = db.session.execute(
        sa.select(Digest.period_start, Digest.period_end)
        .where(Digest.team_id == digest.team_id, Digest.period_start < digest.period_start)
        .order_by(Digest.period_start.desc())
        .limit(1)
    ).first()
    floor = period.end - MAX_CLOSED_LOOKBACK
    if previous is None:
        return period.start
    return max(Period(previous[0], previous[1], period.zone).end, floor)


def deliver(digest_id: int) -> dict[str, int]:
    """Send a ready digest to its recipients (only rows never claimed); then settle its state."""
    db.session.execute(
        sa.update(Digest)
        .where(Digest.id == digest_id, Digest.state == DigestState.READY)
        .values(state=DigestState.SENDING),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    digest = db.session.get(Digest, digest_id)
    if digest is None or digest.state != DigestState.SENDING:
        return {}
    content, team_id = digest.content, digest.team_id
    counts = delivery.deliver("digest", digest_id, lambda: render_digest(content, digest_id, team_id))
    settle(digest_id)
    return counts


def settle(digest_id: int) -> DigestState | None:
    """Once no row is queued or being sent: sent, uncertain (any may-have-gone-out row) or failed."""
    digest = db.session.get(Digest, digest_id)
    if digest is None or digest.state != DigestState.SENDING:
        return None
    counts = delivery.states("digest", digest_id)
    if counts.get(DeliveryState.QUEUED.value) or counts.get(DeliveryState.SENDING.value):
        return digest.state
    if counts.get(DeliveryState.UNCERTAIN.value):
        digest.state = DigestState.UNCERTAIN
    elif counts and not counts.get(DeliveryState.SENT.value):
        digest.state = DigestState.FAILED
    else:
        digest.state = DigestState.SENT
    digest.sent_at = utcnow()
    if digest.state == DigestState.SENT:
        webhooks.emit(
            "digest.sent",
            {
                "id": digest.id,
                "team_id": digest.team_id,
                "period_start": digest.period_start,
                "period_end": digest.period_end,
                "sent_at": digest.sent_at,
            },
        )
    db.session.commit()
    return digest.state


def stale_builds(now: datetime | None = None) -> list[int]:
    """Digests still "building" whose builder is gone (never claimed, or claimed too long ago)."""
    cutoff = (now or utcnow()) - BUILD_TIMEOUT
    return list(
        db.session.execute(
            sa.select(Digest.id).where(
                Digest.state == DigestState.BUILDING,
                sa.or_(Digest.claimed_at.is_(None), Digest.claimed_at < cutoff),
            )
        ).scalars()
    )


def stuck_deliveries(now: datetime | None = None) -> list[int]:
    """Digests whose delivery job was lost: built a while ago and not settled, or left half sent."""
    cutoff = (now or utcnow()) - DELIVERY_GRACE
    late = db.session.execute(
        sa.select(Digest.id).where(
            Digest.state.in_([DigestState.READY, DigestState.SENDING]), Digest.built_at < cutoff
        )
    ).scalars()
    # Sending, with rows given back by the recovery and none in flight: the job that claimed them died.
    orphaned = db.session.execute(
        sa.select(Digest.id).where(
            Digest.state == DigestState.SENDING, Digest.id.in_(delivery.parents_with_queued("digest"))
        )
    ).scalars()
    return sorted(set(late) | set(orphaned))
