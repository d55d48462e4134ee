"""At-most-once delivery of queued mail rows (RELIABILITY 6), the loop that follow-up emails and team
digests and alerts share (invitations have their own, batched for throughput, in ``delivery``).

A row model has ``id``, ``state``, ``attempts``, ``claimed_at``, ``message_id``, ``error`` and ``sent_at``.
Its rows are added ``queued`` in the transaction that decides the email. Then: claim queued rows atomically
(``UPDATE … RETURNING``; ``SKIP LOCKED`` on PostgreSQL) → commit the deterministic Message-ID (the in-flight
mark, proof that this claim still owns the row) → send → commit the result. A retried job only claims
``queued`` rows; a killed one leaves ``sending`` rows that ``recover_stuck`` gives back (no Message-ID:
nothing went out) or marks ``uncertain`` (never resent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.mail.message import message_id
from app.mail.transport import PermanentMailError, TemporaryMailError, UncertainMailError, get_transport
from app.models import DeliveryState, utcnow

STOPPED = "the sender stopped while sending this one; not resent"


@dataclass(frozen=True)
class MailOutbox:
    """The delivery of one kind of mail row (``model``), at most once per row."""

    model: Any
    max_attempts: int = 5  # temporary failures before a row is failed for good

    def claim(self, *where: sa.ColumnElement[bool]) -> list[tuple[int, int]]:
        """Atomically move the queued rows matching ``where`` to ``sending``: (id, attempts) pairs."""
        model = self.model
        where = (*where, model.state == DeliveryState.QUEUED)
        inner = sa.select(model.id).where(*where).order_by(model.id)
        if db.engine.dialect.name == "postgresql":
            inner = inner.with_for_update(skip_locked=True)
        picked = inner.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
        rows = db.session.execute(
            sa.update(model)
            .where(model.id.in_(sa.select(picked.c.id)), *where)
            .values(state=DeliveryState.SENDING, claimed_at=utcnow(), attempts=model.attempts + 1)
            .returning(model.id, model.attempts),
            execution_options={"synchronize_session": False},
        ).all()
        db.session.commit()
        return sorted((r[0], r[1]) for r in rows)

    def deliver(
        self,
        claimed: list[tuple[int, int]],
        kind: str,
        build: Callable[[Any], EmailMessage],
        skip: Callable[[Any], str | None] | None = None,
    ) -> dict[str, int]:
        """Send claimed rows over one connection; returns outcome counts. ``kind`` names the Message-IDs
        and the transport's record; ``skip`` (checked right before the mark) gives a reason not to send."""
        counts: dict[str, int] = {}
        if not claimed:
            return counts
        with get_transport() as transport:
            for row_id, attempts in claimed:
                outcome = self._deliver_one(transport, row_id, attempts, kind, build, skip)
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def _row(self, row_id: int) -> Any:
        return db.session.execute(
            sa.select(self.model).where(self.model.id == row_id).execution_options(populate_existing=True)
        ).scalar_one()

    def _deliver_one(self, transport, row_id: int, attempts: int, kind: str, build, skip) -> str:
        model = self.model
        if skip is not None:
            reason = skip(self._row(row_id))
            if reason:
                db.session.execute(
                    sa.update(model)
                    .where(model.id == row_id, model.state == DeliveryState.SENDING)
                    .values(state=DeliveryState.SKIPPED, error=reason[:500]),
                    execution_options={"synchronize_session": False},
                )
                db.session.commit()
                return "skipped"
        won = db.session.execute(
            sa.update(model)
            .where(
                model.id == row_id,
                model.state == DeliveryState.SENDING,
                model.attempts == attempts,
                model.message_id.is_(None),
            )
            .values(message_id=message_id(row_id, kind)),
            execution_options={"synchronize_session": False},
        ).rowcount
        db.session.commit()
        if won != 1:
            return "gone"  # released by the sweeper or taken by another claim meanwhile
        row = self._row(row_id)
        outcome = self._send(transport, row, build(row), kind)
        db.session.commit()
        return outcome

    def _send(self, transport, row: Any, msg: EmailMessage, kind: str) -> str:
        """Send one message and set the row's state from the outcome (the caller commits)."""
        try:
            transport.send(msg, kind)
        except TemporaryMailError as exc:
            row.error, row.message_id = str(exc)[:500], None  # certainly not delivered
            row.state = DeliveryState.FAILED if row.attempts >= self.max_attempts else DeliveryState.QUEUED
            return "failed" if row.state == DeliveryState.FAILED else "retry"
        except PermanentMailError as exc:
            row.error = str(exc)[:500]
            row.state = DeliveryState.BOUNCED if exc.hard_bounce else DeliveryState.FAILED
            return row.state.value
        except UncertainMailError as exc:
            row.state, row.error = DeliveryState.UNCERTAIN, str(exc)[:500]
            return "uncertain"
        row.state, row.sent_at, row.error = DeliveryState.SENT, utcnow(), None
        return "sent"

    def recover_stuck(self) -> dict[str, int]:
        """Rows a crashed sender left ``sending``: never in flight → ``queued``; in flight → ``uncertain``."""
        model = self.model
        cutoff = utcnow() - timedelta(seconds=current_app.config["MAIL_SENDING_TIMEOUT"])
        stuck = [model.state == DeliveryState.SENDING, model.claimed_at <= cutoff]
        released = db.session.execute(
            sa.update(model).where(*stuck, model.message_id.is_(None)).values(state=DeliveryState.QUEUED),
            execution_options={"synchronize_session": False},
        ).rowcount
        uncertain = db.session.execute(
            sa.update(model)
            .where(*stuck, model.message_id.is_not(None))
            .values(state=DeliveryState.UNCERTAIN, error=STOPPED),
            execution_options={"synchronize_session": False},
        ).rowcount
        db.session.commit()
        return {"released": released, "uncertain": uncertain}

    def parents_with_queued(self, column: Any) -> list[int]:
        """Values of ``column`` (a parent id) with queued rows and none being sent: a lost delivery job."""
        model = self.model
        busy = sa.select(column).where(model.state == DeliveryState.SENDING, column.is_not(None))
        return list(
            db.session.execute(
                sa.select(column)
                .where(model.state == DeliveryState.QUEUED, column.is_not(None), column.not_in(busy))
                .distinct()
            ).scalars()
        )
