"""Delivering digests and alerts to team members at most once each (RELIABILITY 6, as for invitations).

One ``TeamMessage`` row per member and digest (or alert), made in the transaction that marks the digest
ready; ``mail.MailOutbox`` delivers them: claim queued rows atomically → commit the deterministic
Message-ID (the in-flight mark) → send → commit the result. A retried job only ever claims ``queued``
rows; a killed one leaves ``sending`` rows that the sweeper gives back (no Message-ID: nothing went out)
or marks ``uncertain`` (never resent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa

from app.extensions import db
from app.insights.emails import RenderedMail, build_message
from app.mail import services as mail
from app.models import DeliveryState, TeamMessage, User

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


OUTBOX = mail.MailOutbox(TeamMessage, MAX_ATTEMPTS)


def claim(kind: str, parent_id: int) -> list[tuple[int, int]]:
    """Atomically move the queued rows of a digest or alert to ``sending``: (id, attempts) pairs."""
    return OUTBOX.claim(_parent(kind, parent_id))


def deliver(kind: str, parent_id: int, render: Callable[[], RenderedMail]) -> dict[str, int]:
    """Send every queued row of a digest or alert over one connection; returns outcome counts."""
    if not states(kind, parent_id).get(DeliveryState.QUEUED.value):
        return {}
    rendered = render()  # before claiming: a template error must not leave rows "sending"

    def build(row: TeamMessage):
        user = db.session.get(User, row.user_id) if row.user_id else None
        return build_message(rendered, row.to_email, user.name if user else "", row.id, kind)

    return OUTBOX.deliver(claim(kind, parent_id), kind, build)


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
    return OUTBOX.recover_stuck()


def parents_with_queued(kind: str) -> list[int]:
    """Digests (or alerts) with queued rows and none being sent: their delivery job was lost."""
    return OUTBOX.parents_with_queued(TeamMessage.digest_id if kind == "digest" else TeamMessage.alert_id)
