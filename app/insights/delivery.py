"""Delivering digests and alerts to team members at most once each (RELIABILITY 6, as for invitations).

One ``TeamMessage`` row per member and digest (or alert), made in the transaction that marks the digest
ready. Then: claim queued rows atomically → commit the deterministic Message-ID (the in-flight mark) →
send → commit the result. A retried job only ever claims ``queued`` rows; a killed one leaves ``sending``
rows that the sweeper gives back (no Message-ID: nothing went out) or marks ``uncertain`` (never resent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.insights.emails import RenderedMail, build_message
from app.mail import services as mail
from app.models import DeliveryState, TeamMessage, User, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FINAL = (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.BOUNCED, DeliveryState.UNCERTAIN)


def _parent(kind: str, parent_id: int) -> sa.ColumnElement[bool]:
    column = TeamMessage.digest_id if kind == "digest" else TeamMessage.alert_id
    return column == parent_id


def add_recipients(kind: str, parent_id: int, members: list[User]) -> int:
    """One queued row per active member with an address (in the caller's transaction)."""
    added = 0
    for user in sorted(members, key=lambda u: u.id):
        if not user.is_active_user or not user.email:
            continue
        db.session.add(
            TeamMessage(
                digest_id=parent_id if kind == "digest" else None,
                alert_id=parent_id if kind == "alert" else None,
                user_id=user.id,
                to_email=user.email,
            )
        )
        added += 1
    return added


def claim(kind: str, parent_id: int) -> list[tuple[int, int]]:
    """Atomically move the queued rows of a digest or alert to ``sending``: (id, attempts) pairs."""
    where = [_parent(kind, parent_id), TeamMessage.state == DeliveryState.QUEUED]
    inner = sa.select(TeamMessage.id).where(*where).order_by(TeamMessage.id)
    if db.engine.dialect.name == "postgresql":
        inner = inner.with_for_update(skip_locked=True)
    picked = inner.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    rows = db.session.execute(
        sa.update(TeamMessage)
        .where(TeamMessage.id.in_(sa.select(picked.c.id)), *where)
        .values(state=DeliveryState.SENDING, claimed_at=utcnow(), attempts=TeamMessage.attempts + 1)
        .returning(TeamMessage.id, TeamMessage.attempts),
        execution_options={"synchronize_session": False},
    ).all()
    db.session.commit()
    return sorted((r[0], r[1]) for r in rows)


def deliver(kind: str, parent_id: int, render: Callable[[], RenderedMail]) -> dict[str, int]:
    """Send every queued row of a digest or alert over one connection; returns outcome counts."""
    counts: dict[str, int] = {}
    if not states(kind, parent_id).get(DeliveryState.QUEUED.value):
        return counts
    rendered = render()  # before claiming: a template error must not leave rows "sending"
    claimed = claim(kind, parent_id)
    with mail.get_transport() as transport:
        for row_id, attempts in claimed:
            outcome = _deliver_one(transport, kind, row_id, attempts, rendered)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _deliver_one(transport, kind: str, row_id: int, attempts: int, rendered: RenderedMail) -> str:
    won = db.session.execute(
        sa.update(TeamMessage)
        .where(
            TeamMessage.id == row_id,
            TeamMessage.state == DeliveryState.SENDING,
            TeamMessage.attempts == attempts,
            TeamMessage.message_id.is_(None),
        )
        .values(message_id=mail.message_id(row_id, kind)),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    if won != 1:
        return "gone"
    row = db.session.execute(
        sa.select(TeamMessage).where(TeamMessage.id == row_id).execution_options(populate_existing=True)
    ).scalar_one()
    user = db.session.get(User, row.user_id) if row.user_id else None
    outcome = _send(
        transport, row, build_message(rendered, row.to_email, user.name if user else "", row_id, kind), kind
    )
    db.session.commit()
    return outcome


def _send(transport, row: TeamMessage, msg, kind: str) -> str:
    """Send one message and set the row's state from the outcome (the caller commits)."""
    try:
        transport.send(msg, kind)
    except mail.TemporaryMailError as exc:
        row.error, row.message_id = str(exc)[:500], None  # certainly not delivered
        row.state = DeliveryState.FAILED if row.attempts >= MAX_ATTEMPTS else DeliveryState.QUEUED
        return "failed" if row.state == DeliveryState.FAILED else "retry"
    except mail.PermanentMailError as exc:
        row.error = str(exc)[:500]
        row.state = DeliveryState.BOUNCED if exc.hard_bounce else DeliveryState.FAILED
        return row.state.value
    except mail.UncertainMailError as exc:
        row.state, row.error = DeliveryState.UNCERTAIN, str(exc)[:500]
        return "uncertain"
    row.state, row.sent_at, row.error = DeliveryState.SENT, utcnow(), None
    return "sent"


def states(kind: str, parent_id: int) -> dict[str, int]:
    """How many rows of a digest or alert are in each state."""
    rows = db.session.execute(
        sa.select(TeamMessage.state, sa.func.count())
        .where(_parent(kind, parent_id))
        .group_by(TeamMessage.state)
    ).all()
    return {state.value: n for state, n in rows}


def recover_stuck() -> dict[str, int]:
    """Rows a crashed sender left ``sending``: never in flight → ``queued``; in flight → ``uncertain``."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["MAIL_SENDING_TIMEOUT"])
    stuck = [TeamMessage.state == DeliveryState.SENDING, TeamMessage.claimed_at <= cutoff]
    released = db.session.execute(
        sa.update(TeamMessage)
        .where(*stuck, TeamMessage.message_id.is_(None))
        .values(state=DeliveryState.QUEUED),
        execution_options={"synchronize_session": False},
    ).rowcount
    uncertain = db.session.execute(
        sa.update(TeamMessage)
        .where(*stuck, TeamMessage.message_id.is_not(None))
        .values(state=DeliveryState.UNCERTAIN, error="the sender stopped while sending this one; not resent"),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return {"released": released, "uncertain": uncertain}


def parents_with_queued(kind: str) -> list[int]:
    """Digests (or alerts) with queued rows and none being sent: their delivery job was lost."""
    column = TeamMessage.digest_id if kind == "digest" else TeamMessage.alert_id
    busy = sa.select(column).where(TeamMessage.state == DeliveryState.SENDING, column.is_not(None))
    return list(
        db.session.execute(
            sa.select(column)
            .where(TeamMessage.state == DeliveryState.QUEUED, column.is_not(None), column.not_in(busy))
            .distinct()
        ).scalars()
    )
