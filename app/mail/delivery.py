"""Delivering invitations at most once (RELIABILITY 6).

claim → mark in flight → send → mark result:
1. A batch of ``queued`` rows is claimed atomically (``UPDATE … RETURNING``; ``FOR UPDATE SKIP LOCKED``
   on PostgreSQL so parallel workers take disjoint rows) and committed as ``sending``; ``attempts`` is
   bumped, so it names this claim.
2. Right before its message goes out, a row gets its deterministic Message-ID by a conditional UPDATE
   (still ``sending``, same ``attempts``, no Message-ID yet) that is committed: the "in flight" mark,
   and proof that this worker still owns the row.
3. The result is committed right after the relay answers (on PostgreSQL without waiting for the disk: a
   result lost in a database crash leaves the in-flight mark, so the row ends ``uncertain``, not resent).

A crash leaves rows ``sending``. After MAIL_SENDING_TIMEOUT the sweeper gives rows without the in-flight
mark back to ``queued`` (no byte of them was sent) and turns rows with it ``uncertain``; nothing ever
resends an ``uncertain`` row automatically. So a kill costs at most one uncertain row per batch.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.mail.message import build_invitation, message_id
from app.mail.suppression import is_suppressed, suppress
from app.mail.transport import PermanentMailError, TemporaryMailError, UncertainMailError, get_transport
from app.models import Contact, DeliveryState, Invitation, Send, SendStatus, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # temporary failures before an invitation is failed for good
MAX_TEMPORARY_IN_A_ROW = 3  # then the relay is in trouble: release the batch instead of waiting on it


def claim_rows(where: list, limit: int, values: dict) -> list[tuple[int, int]]:
    """Atomically update up to ``limit`` invitations matching ``where``; returns (id, attempts) pairs."""
    inner = sa.select(Invitation.id).where(*where).order_by(Invitation.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        inner = inner.with_for_update(skip_locked=True)
    # A materialized CTE: PostgreSQL may re-run a plain IN (subquery ... LIMIT) per row and so update
    # more rows than the limit; the CTE is evaluated once.
    picked = inner.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    stmt = (
        sa.update(Invitation)
        .where(Invitation.id.in_(sa.select(picked.c.id)), *where)
        .values(**values)
        .returning(Invitation.id, Invitation.attempts)
    )
    rows = [tuple(r) for r in db.session.execute(stmt, execution_options={"synchronize_session": False})]
    db.session.commit()
    return sorted(rows)


def claim_invitations(send_id: int, limit: int) -> list[tuple[int, int]]:
    """Atomically move up to ``limit`` queued invitations of a send to ``sending``."""
    where = [Invitation.send_id == send_id, Invitation.state == DeliveryState.QUEUED]
    values = {"state": DeliveryState.SENDING, "claimed_at": utcnow(), "attempts": Invitation.attempts + 1}
    return claim_rows(where, limit, values)


def last_minute_skip(invitation: Invitation) -> str | None:
    """Consent checked again just before sending: it may have changed since the send started."""
    contact = invitation.contact
    if contact is None:
        return "erased"
    if is_suppressed(contact.email):
        return "suppressed"
    if contact.unsubscribed_at is not None:
        return "unsubscribed"
    if contact.bounced_at is not None:
        return "bounced"
    return None


def record_bounce(contact: Contact | None) -> None:
    """A hard bounce: the contact is skipped from now on; from the second one the address is suppressed."""
    if contact is None:
        return
    contact.bounce_count = (contact.bounce_count or 0) + 1
    contact.bounced_at = contact.bounced_at or utcnow()
    if contact.bounce_count >= 2:
        suppress(contact.email, "bounce")


def deliver_batch(send_id: int) -> dict[str, int]:
    """Claim one batch of a send and deliver it over one transport connection; returns outcome counts."""
    claimed = claim_invitations(send_id, current_app.config["MAIL_BATCH_SIZE"])
    counts: dict[str, int] = {}
    temporary_in_a_row = 0
    texts_cache: dict = {}  # a survey's wording per language, worked out once per batch
    with get_transport() as transport:
        for position, (invitation_id, attempts) in enumerate(claimed):
            state = _deliver_one(transport, invitation_id, attempts, texts_cache)
            counts[state] = counts.get(state, 0) + 1
            temporary_in_a_row = temporary_in_a_row + 1 if state == "retry" else 0
            if temporary_in_a_row >= MAX_TEMPORARY_IN_A_ROW:
                counts["released"] = _release([i for i, _ in claimed[position + 1 :]])
                break
    return counts


def skip_queued(send_id: int, reason: str) -> None:
    """Skip a send's invitations still waiting for delivery (the send was cancelled); the caller commits."""
    db.session.execute(
        sa.update(Invitation)
        .where(Invitation.send_id == send_id, Invitation.state == DeliveryState.QUEUED)
        .values(state=DeliveryState.SKIPPED, skip_reason=reason),
        execution_options={"synchronize_session": False},
    )


def _release(ids: list[int]) -> int:
    """Give back claimed rows that were never tried (nothing was sent for them)."""
    if not ids:
        return 0
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id.in_(ids), Invitation.state == DeliveryState.SENDING, Invitation.message_id.is_(None)
        )
        .values(state=DeliveryState.QUEUED, attempts=Invitation.attempts - 1),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return len(ids)


def _mark_in_flight(invitation_id: int, attempts: int) -> bool:
    """Commit the row's Message-ID before sending, if this claim still owns the row."""
    won = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.state == DeliveryState.SENDING,
            Invitation.attempts == attempts,
            Invitation.message_id.is_(None),
        )
        .values(message_id=message_id(invitation_id, "invitation")),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return won == 1


def _deliver_one(transport, invitation_id: int, attempts: int, texts_cache: dict) -> str:
    if not _mark_in_flight(invitation_id, attempts):
        return "gone"  # released by the sweeper or taken by another claim meanwhile
    invitation = db.session.execute(
        sa.select(Invitation)
        .options(joinedload(Invitation.contact))
        .where(Invitation.id == invitation_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    reason = last_minute_skip(invitation)
    if reason or invitation.send.status == SendStatus.CANCELLED:
        invitation.state, invitation.skip_reason = DeliveryState.SKIPPED, reason or "cancelled"
        invitation.message_id = None
        db.session.commit()
        return "skipped"
    try:
        msg = build_invitation(invitation, texts_cache=texts_cache)
    except Exception as exc:  # a template or data problem fails this row, not the batch
        log.exception("could not build invitation %s", invitation_id)
        invitation.state, invitation.error = DeliveryState.FAILED, f"could not build the message: {exc}"[:500]
        invitation.message_id = None
        db.session.commit()
        return "failed"
    outcome = _send(transport, msg, invitation)
    _commit_result()
    return outcome


def _commit_result() -> None:
    """Commit a delivery result without waiting for the disk on PostgreSQL.

    Only the in-flight mark must be durable before a message goes out. If a database crash loses a result
    committed this way, the row is back to "sending with a Message-ID", which recovery makes ``uncertain``:
    never resent. Halves the WAL flushes per message.
    """
    if db.engine.dialect.name == "postgresql":  # as claim_rows decides SKIP LOCKED
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


def _send(transport, msg, invitation: Invitation) -> str:
    """Send and set the row's state from the outcome (the caller commits)."""
    try:
        transport.send(msg, "invitation")
    except TemporaryMailError as exc:
        invitation.error = str(exc)[:500]
        invitation.message_id = None  # certainly not delivered: the row may be claimed again
        if invitation.attempts >= MAX_ATTEMPTS:
            invitation.state = DeliveryState.FAILED
            return "failed"
        invitation.state = DeliveryState.QUEUED
        return "retry"
    except PermanentMailError as exc:
        invitation.error = str(exc)[:500]
        invitation.state = DeliveryState.BOUNCED if exc.hard_bounce else DeliveryState.FAILED
        if exc.hard_bounce:
            record_bounce(invitation.contact)
        return invitation.state.value
    except UncertainMailError as exc:
        invitation.state, invitation.error = DeliveryState.UNCERTAIN, str(exc)[:500]
        return "uncertain"
    now = utcnow()
    invitation.state, invitation.sent_at, invitation.error = DeliveryState.SENT, now, None
    if invitation.contact is not None:
        invitation.contact.last_surveyed_at = now
    return "sent"


def recover_stuck() -> dict[str, int]:
    """Rows a crashed sender left ``sending``: never in flight → ``queued``; in flight → ``uncertain``."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["MAIL_SENDING_TIMEOUT"])
    stuck = [Invitation.state == DeliveryState.SENDING, Invitation.claimed_at < cutoff]
    released = db.session.execute(
        sa.update(Invitation)
        .where(*stuck, Invitation.message_id.is_(None))
        .values(state=DeliveryState.QUEUED),
        execution_options={"synchronize_session": False},
    ).rowcount
    uncertain = db.session.execute(
        sa.update(Invitation)
        .where(*stuck, Invitation.message_id.is_not(None))
        .values(state=DeliveryState.UNCERTAIN, error="the sender stopped while sending this one; not resent"),
        execution_options={"synchronize_session": False},
    ).rowcount
    reminders = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.reminder_state == DeliveryState.SENDING, Invitation.reminder_claimed_at < cutoff)
        .values(reminder_state=DeliveryState.UNCERTAIN),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return {"released": released, "uncertain": uncertain + reminders}


def sends_needing_batches() -> list[tuple[int, int]]:
    """Running sends with queued rows and no batch at work: (send id, queued count)."""
    busy = sa.select(Invitation.send_id).where(Invitation.state == DeliveryState.SENDING).distinct()
    rows = db.session.execute(
        sa.select(Invitation.send_id, sa.func.count())
        .join(Send, Send.id == Invitation.send_id)
        .where(
            Send.status == SendStatus.SENDING,
            Invitation.state == DeliveryState.QUEUED,
            Invitation.send_id.not_in(busy),
        )
        .group_by(Invitation.send_id)
    ).all()
    return [(send_id, n) for send_id, n in rows]
