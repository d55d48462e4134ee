"""Delivering invitations at most once (RELIABILITY 6).

claim → mark in flight → send → mark result:
1. A batch of ``queued`` rows is claimed atomically (``UPDATE … RETURNING``; ``FOR UPDATE SKIP LOCKED``
   on PostgreSQL so parallel workers take disjoint rows) and committed as ``sending``, durably; ``attempts``
   is bumped, so it names this claim. On PostgreSQL the claim also records the server's epoch (below).
   The batch's invitations, contacts, survey and send are then read in one query, and each survey ×
   language's email is rendered once (``message.InvitationTemplate``).
2. Right before its message goes out, a row gets its deterministic Message-ID by a conditional UPDATE
   (still ``sending``, same ``attempts``, no Message-ID yet, and — the last-moment consent check — the
   contact still has that address and has not unsubscribed or bounced, the address is not suppressed,
   the send is not cancelled) that is committed: the "in flight" mark, and proof that this worker
   still owns the row. A row that fails the check is skipped with the reason.
3. The result is written right after the relay answers and committed with the next row's in-flight mark
   (one commit per message); the batch's last result is committed on its own, on PostgreSQL without
   waiting for the disk (a result lost in a database crash leaves the in-flight mark, so the row ends
   ``uncertain``, not resent).

With an SMTP relay, the message's envelope (MAIL FROM, RCPT TO) is started on the transport's thread
right before step 2, so the relay's replies arrive while the mark commits; DATA waits for both, and a
mark that is not won resets the envelope (RSET: nothing was delivered).

On PostgreSQL with an SMTP relay, steps 2 and 3 cost one round trip per message: the in-flight mark is one
UPDATE on an autocommit connection of the batch's own, with the previous message's result (and its
contact's ``last_surveyed_at``) in data-modifying CTEs of the same statement — one statement, one
transaction, one commit, and no BEGIN or COMMIT round trips. Anything the session changed meanwhile (a
bounce, a cancelled send) is committed first, together with the results waiting to ride.

Those marks are committed without waiting for the disk (``synchronous_commit = off`` on that connection):
waiting for one fsync per message capped sending at the disk's rate of durable commits (23–115/s on the
shared machine, issue 18 §2). Why that keeps at most once — reasoned from RELIABILITY 6 and PostgreSQL's
documented guarantees:
- Such a commit is visible to every other session as soon as it returns, like any commit. A *sender*
  that dies (SIGKILL, OOM, a lost host of the worker) therefore loses nothing: recovery sees every mark
  it made, exactly as with durable commits: at most the one message in flight is left ``uncertain``.
- Only a crash of the *database server* (or an immediate shutdown, a failover to a standby, a restore)
  can lose the last such commits, and then a row may have gone out while its mark is lost. The claim
  itself is durable and carries the server's epoch: the token in ``mail_db_epoch``, an UNLOGGED table,
  which PostgreSQL empties in exactly those events (it is never replicated nor in a base backup; a clean
  shutdown writes every commit to disk first and keeps it). A stuck row whose claim's epoch is no longer
  the current one may have lost its mark, so recovery makes it ``uncertain`` too, never ``queued``. A
  server crash thus costs at most one batch per sender as ``uncertain`` rows; a sender crash, one row.
- WAL is written in order: the durable claim precedes its marks, and any later durable commit (the next
  claim, a sweep) writes every earlier mark to disk with it.
SQLite (WAL, ``synchronous=NORMAL``) never waited for the disk at commit; its claims carry no epoch and
recovery is as before.

A crash leaves rows ``sending``. After MAIL_SENDING_TIMEOUT the sweeper gives rows without the in-flight
mark back to ``queued`` (no byte of them was sent) and turns rows with it ``uncertain`` (and, on
PostgreSQL, rows whose claim outlived its database epoch); nothing ever resends an ``uncertain`` row
automatically. So a kill costs at most one uncertain row per batch.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, load_only, selectinload

from app.extensions import db
from app.mail.message import WireMessage, build_invitation, message_id
from app.mail.suppression import email_hash, is_suppressed, suppress
from app.mail.transport import (
    Envelope,
    PermanentMailError,
    SmtpTransport,
    TemporaryMailError,
    UncertainMailError,
    get_transport,
)
from app.models import Contact, DeliveryState, Invitation, Send, SendStatus, Suppression, utcnow

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


# PostgreSQL's epoch: one row in an UNLOGGED table (migration sendtag_0001), gone after a server crash.
_EPOCH = sa.table("mail_db_epoch", sa.column("id"), sa.column("token"))
_EPOCH_START = sa.text(
    "INSERT INTO mail_db_epoch (id, token) VALUES (1, gen_random_uuid()::text) ON CONFLICT (id) DO NOTHING"
)
_EPOCH_NOW = sa.select(_EPOCH.c.token).where(_EPOCH.c.id == 1).scalar_subquery()


def claim_invitations(send_id: int, limit: int) -> list[tuple[int, int]]:
    """Atomically move up to ``limit`` queued invitations of a send to ``sending``; on PostgreSQL the
    claim records the server's epoch (see the module's docstring), in the same durable commit."""
    where = [Invitation.send_id == send_id, Invitation.state == DeliveryState.QUEUED]
    values = {"state": DeliveryState.SENDING, "claimed_at": utcnow(), "attempts": Invitation.attempts + 1}
    if db.engine.dialect.name == "postgresql":
        db.session.execute(_EPOCH_START)  # a no-op but after a crash (or on a fresh database)
        values["claim_epoch"] = sa.func.coalesce(_EPOCH_NOW, "lost")  # never NULL: NULL means no epoch
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
    if not claimed:
        return counts
    temporary_in_a_row = 0
    texts_cache: dict = {}  # a survey's wording and prebuilt email per language, made once per batch
    with _batch_objects_kept(), get_transport() as transport, _one_statement_per_message(transport):
        invitations = _load_batch([invitation_id for invitation_id, _ in claimed])
        ahead = _BuiltAhead(texts_cache) if isinstance(transport, SmtpTransport) else None
        for position, (invitation_id, attempts) in enumerate(claimed):
            invitation = invitations.get(invitation_id)
            if ahead is not None:  # the next message is built while the relay takes this one's DATA
                following = claimed[position + 1][0] if position + 1 < len(claimed) else None
                ahead.following = invitations.get(following) if following is not None else None
            state = (
                _deliver_one(transport, invitation, attempts, texts_cache, ahead) if invitation else "gone"
            )
            counts[state] = counts.get(state, 0) + 1
            temporary_in_a_row = temporary_in_a_row + 1 if state == "retry" else 0
            if temporary_in_a_row >= MAX_TEMPORARY_IN_A_ROW:
                counts["released"] = _release([i for i, _ in claimed[position + 1 :]])
                break
        _commit_result()  # the last row's result (the others rode with the next row's in-flight mark)
    return counts


class _BuiltAhead:
    """The next message of a batch, built while the relay answers the current message's DATA (its build
    then costs no time of its own). Only built: whether it may go out is decided as for any message, by
    its own in-flight mark, and a message built ahead is used only once that mark is won, for the address
    the mark checked; else it is built again (or never sent)."""

    def __init__(self, texts_cache: dict) -> None:
        self.texts_cache = texts_cache
        self.following: Invitation | None = None  # the message after the one being sent
        self.built: tuple[int, WireMessage] | None = None

    def build_following(self) -> None:
        """Build the following message; a failure is left for its own turn (built again, then handled)."""
        invitation, self.built = self.following, None
        if invitation is None:
            return
        try:
            self.built = (invitation.id, build_invitation(invitation, texts_cache=self.texts_cache))
        except Exception:  # raised again, and handled, when the message's turn comes
            self.built = None

    def take(self, invitation: Invitation) -> WireMessage | None:
        """The message built ahead for this invitation, if it is for the contact's address now."""
        built, self.built = self.built, None
        if built is None or built[0] != invitation.id or invitation.contact is None:
            return None
        return built[1] if built[1].recipients == (invitation.contact.email,) else None


class _Riding:
    """The batch's autocommit connection (PostgreSQL with an SMTP relay; else None) and the results waiting
    to ride with the next in-flight mark: (table, columns, values with the row's ``id``), run by statements
    built once per shape (``_result_update``, ``_riding_statement``), not per message. Without that
    connection they are written into the session's transaction right before the next mark (which commits
    them), on one connection call with it: the same commit as before, less work per message."""

    def __init__(self, conn: sa.Connection | None) -> None:
        self.conn = conn
        self.pending: list[tuple[sa.Table, tuple[str, ...], dict]] = []


_RIDING: ContextVar[_Riding | None] = ContextVar("clearloop_mail_riding", default=None)


@contextmanager
def _one_statement_per_message(transport) -> Iterator[None]:
    """On PostgreSQL with an SMTP relay, give the batch an autocommit connection of its own for its
    in-flight marks (see the module's docstring); elsewhere (SQLite, the outbox transport, a session
    bound to an outer transaction as in tests) the results wait for the next mark in the session."""
    bind = db.session.get_bind()
    if not (
        bind.dialect.name == "postgresql"
        and isinstance(bind, sa.Engine)
        and isinstance(transport, SmtpTransport)
    ):
        flag = _RIDING.set(_Riding(None))
        try:
            yield
        finally:
            _RIDING.reset(flag)
        return
    conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
    # The marks commit without waiting for the disk: safe because the claim recorded the server's epoch
    # (see the module's docstring). Set for this connection's session, and reset before it goes back to
    # the pool; a connection that cannot be reset is thrown away, never reused with the setting.
    conn.exec_driver_sql("SET synchronous_commit TO off")
    flag = _RIDING.set(_Riding(conn))
    try:
        yield
    finally:
        _RIDING.reset(flag)
        try:
            conn.exec_driver_sql("RESET synchronous_commit")
        except Exception:
            conn.invalidate()
            raise
        finally:
            conn.close()


def _pending_into_session() -> None:
    """Move the results waiting to ride into the session's transaction (its next commit carries them)."""
    riding = _RIDING.get()
    if riding is not None and riding.pending:
        conn = db.session.connection()
        for table, columns, values in riding.pending:
            conn.execute(_result_update(table, columns, "r_"), {f"r_{k}": v for k, v in values.items()})
        riding.pending.clear()


@functools.cache
def _result_update(table: sa.Table, columns: tuple[str, ...], prefix: str) -> sa.Update:
    """``UPDATE table SET columns WHERE id``, every value a bound parameter named ``prefix + column``."""
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam(f"{prefix}id"))
        .values({c: sa.bindparam(f"{prefix}{c}", type_=table.c[c].type) for c in columns})
    )


@functools.cache
def _riding_statement(shapes: tuple[tuple[sa.Table, tuple[str, ...]], ...]) -> sa.Select:
    """The mark with waiting results of these shapes in CTEs ``result_0``, ``result_1``, … (their bound
    values ``r0_…``, ``r1_…``: no clash with the mark's own)."""
    statement = _MARKED
    for number, (table, columns) in enumerate(shapes):
        statement = statement.add_cte(_result_update(table, columns, f"r{number}_").cte(f"result_{number}"))
    return statement


@contextmanager
def _batch_objects_kept() -> Iterator[None]:
    """Keep the batch's loaded rows across its commits (each one re-checked by SQL where it matters);
    everything is expired again afterwards, as a commit would."""
    session = db.session()
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()


# What sending reads of a batch's invitations and contacts (the rest of their columns is deferred: loaded on
# first access, if ever, by the ORM): building and converting two dozen columns per row, JSON and
# timestamps included, cost ~0.1 ms a message.
_BATCH_INVITATION_COLUMNS = (
    Invitation.id,
    Invitation.send_id,
    Invitation.survey_id,
    Invitation.contact_id,
    Invitation.token_salt,
    Invitation.state,
    Invitation.attempts,
    Invitation.message_id,
)
_BATCH_CONTACT_COLUMNS = (Contact.id, Contact.email, Contact.name, Contact.locale)


def _load_batch(ids: list[int]) -> dict[int, Invitation]:
    """The claimed invitations with their contacts in one query; their survey and send (one each for a
    batch, normally) in one more query apiece. Joined, the survey's and the send's columns (JSON
    included) came back on every row and were parsed again for each (``populate_existing``): ~3 ms per
    message, more than its SMTP exchange."""
    rows = db.session.execute(
        sa.select(Invitation)
        .options(
            load_only(*_BATCH_INVITATION_COLUMNS),
            joinedload(Invitation.contact).load_only(*_BATCH_CONTACT_COLUMNS),
            selectinload(Invitation.survey),
            selectinload(Invitation.send),
        )
        .where(Invitation.id.in_(ids))
        .execution_options(populate_existing=True)
    ).scalars()
    return {invitation.id: invitation for invitation in rows}


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
    _pending_into_session()
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


_INVITATIONS, _CONTACTS = Invitation.__table__, Contact.__table__
# Built once: each message runs them with its own parameters (no statement building per message).
_MARK = (
    sa.update(_INVITATIONS)
    .where(
        _INVITATIONS.c.id == sa.bindparam("b_id"),
        _INVITATIONS.c.state == DeliveryState.SENDING,
        _INVITATIONS.c.attempts == sa.bindparam("b_attempts"),
        _INVITATIONS.c.message_id.is_(None),
        sa.exists().where(
            Contact.id == _INVITATIONS.c.contact_id,
            Contact.email == sa.bindparam("b_email"),
            Contact.unsubscribed_at.is_(None),
            Contact.bounced_at.is_(None),
        ),
        ~sa.exists().where(Suppression.email_hash == sa.bindparam("b_hash")),
        sa.exists().where(Send.id == _INVITATIONS.c.send_id, Send.status != SendStatus.CANCELLED),
    )
    .values(message_id=sa.bindparam("b_message_id"))
)
# The mark as a CTE whose rows are counted: the statement the waiting results ride in (``_mark_riding``).
_MARKED = sa.select(sa.func.count()).select_from(_MARK.returning(_INVITATIONS.c.id).cte("marked"))
_SURVEYED = (
    sa.update(_CONTACTS)
    .where(_CONTACTS.c.id == sa.bindparam("b_id"))
    .values(last_surveyed_at=sa.bindparam("b_at"))
)


def _mark_in_flight(invitation: Invitation, attempts: int) -> bool:
    """Commit the row's Message-ID before sending, if this claim still owns the row and its contact may
    still be mailed at this address (checked in the same statement: the last moment). The commit also
    carries the previous row's result."""
    contact = invitation.contact
    if contact is None:
        return False
    params = {
        "b_id": invitation.id,
        "b_attempts": attempts,
        "b_email": contact.email,
        "b_hash": email_hash(contact.email),
        "b_message_id": message_id(invitation.id, "invitation"),
    }
    riding = _RIDING.get()
    if riding is not None and riding.conn is not None:
        return _mark_riding(riding, params)
    _pending_into_session()  # the previous row's result, committed with this mark
    db.session.flush()  # changes made meanwhile (a cancelled send, a bounce) count for this check
    # On the session's connection, in its transaction: no ORM work for a statement on the table alone.
    won = db.session.connection().execute(_MARK, params).rowcount
    db.session.commit()
    return won == 1


def _mark_riding(riding: _Riding, params: dict) -> bool:
    """The in-flight mark as one autocommit statement carrying the waiting results in CTEs."""
    session = db.session()
    if session.new or session.dirty or session.deleted or session.in_transaction():
        # Changes made meanwhile (a cancelled send, a bounce) commit first, with the waiting results,
        # so this check sees them and the connection of the mark waits on no lock of the session's.
        _pending_into_session()
        session.commit()
    sql, fixed = _riding_sql(
        tuple((table, columns) for table, columns, _ in riding.pending), riding.conn.dialect
    )
    params = {**fixed, **params, "updated_at": utcnow()}  # updated_at: the mark's own (the ORM's onupdate)
    for number, (_, _, values) in enumerate(riding.pending):
        params.update({f"r{number}_{k}": _plain(v) for k, v in values.items()})
    won = riding.conn.exec_driver_sql(sql, params).scalar_one()
    riding.pending.clear()
    return won == 1


@functools.cache
def _riding_sql(
    shapes: tuple[tuple[sa.Table, tuple[str, ...]], ...], dialect: sa.Dialect
) -> tuple[str, dict]:
    """``_riding_statement`` compiled once per shape for the driver, with the values it fixes itself (the
    states it compares with): each mark then goes to the driver as it is, without SQLAlchemy's per-execution
    work of a Core statement (cache lookup, parameter processing; ~0.1 ms of a ~2 ms message)."""
    compiled = _riding_statement(shapes).compile(dialect=dialect)
    given = {"updated_at"} | {
        f"r{number}_{column}" for number, (_, columns) in enumerate(shapes) for column in (*columns, "id")
    }
    fixed = {name: _plain(value) for name, value in compiled.params.items() if name not in given}
    return compiled.string, fixed


def _plain(value):
    """A value as the driver takes it (an enum member as its stored value, like its column type does)."""
    return value.value if isinstance(value, enum.Enum) else value


def _not_marked(invitation: Invitation, attempts: int) -> str:
    """Why a row could not be marked in flight: taken by someone else ("gone"), or skipped with its reason
    (written now, committed with the next row's mark)."""
    fresh = db.session.execute(
        sa.select(Invitation)
        .options(joinedload(Invitation.contact))
        .where(Invitation.id == invitation.id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    ours = fresh is not None and (fresh.state, fresh.attempts) == (DeliveryState.SENDING, attempts)
    if not ours or fresh.message_id is not None:
        return "gone"  # released by the sweeper or taken by another claim meanwhile
    cancelled = db.session.execute(sa.select(Send.status).where(Send.id == fresh.send_id)).scalar_one()
    reason = last_minute_skip(fresh) or ("cancelled" if cancelled == SendStatus.CANCELLED else None)
    if reason is None:
        return "retry_mark"  # the contact's address changed since the batch was read: try with the new one
    _write_result(fresh.id, state=DeliveryState.SKIPPED, skip_reason=reason, message_id=None)
    return "skipped"


def _early_envelope(transport, invitation: Invitation) -> Envelope | None:
    """Start the message's MAIL FROM / RCPT TO on the SMTP transport's thread, so the relay's replies come
    back while the in-flight mark commits (its disk wait and the envelope's round trips overlap). DATA
    still waits for the mark: only ``transport.send`` sends it, after ``_mark_in_flight`` returned True."""
    contact = invitation.contact
    if not isinstance(transport, SmtpTransport) or contact is None or not contact.email:
        return None
    return transport.start_envelope(envelope_sender(current_app.config["MAIL_FROM"]), (contact.email,))


@functools.lru_cache(maxsize=8)
def envelope_sender(mail_from: str) -> str:
    """The MAIL FROM address of a ``MAIL_FROM`` setting, parsed once per setting (not per message: parsing
    cost ~0.1 ms, on the path of every message)."""
    return parseaddr(mail_from)[1]


def _deliver_one(
    transport, invitation: Invitation, attempts: int, texts_cache: dict, ahead: _BuiltAhead | None = None
) -> str:
    envelope = _early_envelope(transport, invitation)
    try:
        marked = _mark_in_flight(invitation, attempts)
        if not marked and envelope is not None:
            transport.abandon(envelope)  # RSET: no DATA for a row that is not ours to send
            envelope = None
    except BaseException:
        if envelope is not None:
            transport.abandon(envelope)
        raise
    built = ahead.take(invitation) if ahead is not None else None
    if not marked:
        built = None  # the row was read again (its contact may have a new address): built afresh
        outcome = _not_marked(invitation, attempts)
        if outcome != "retry_mark":
            return outcome
        if not _mark_in_flight(invitation, attempts):
            return "gone"  # changing under us: left for the sweeper to hand back (nothing was sent)
    try:
        msg = built or build_invitation(invitation, texts_cache=texts_cache)
    except Exception as exc:  # a template or data problem fails this row, not the batch
        if envelope is not None:
            transport.abandon(envelope)
        log.exception("could not build invitation %s", invitation.id)
        error = f"could not build the message: {exc}"[:500]
        _write_result(invitation.id, state=DeliveryState.FAILED, error=error, message_id=None)
        return "failed"
    return _send(transport, msg, invitation, attempts, envelope, ahead)


def _write_result(invitation_id: int, **values) -> None:
    """Write a row's delivery result; the next row's in-flight mark (or the batch's end) commits it."""
    riding = _RIDING.get()
    if riding is not None:  # rides in the next mark's statement
        columns = (*values, "updated_at")  # given: the mark's own default keeps its bind name
        riding.pending.append(
            (_INVITATIONS, columns, {**values, "updated_at": utcnow(), "id": invitation_id})
        )
        return
    params = {f"b_{key}": value for key, value in values.items()}
    db.session.connection().execute(_result_statement(tuple(values)), {"b_id": invitation_id, **params})


def _write_surveyed(contact_id: int, at: datetime) -> None:
    """Stamp the contact's ``last_surveyed_at`` (with the row's result)."""
    riding = _RIDING.get()
    if riding is not None:
        columns = ("last_surveyed_at", "updated_at")
        riding.pending.append(
            (_CONTACTS, columns, {"last_surveyed_at": at, "updated_at": at, "id": contact_id})
        )
        return
    db.session.connection().execute(_SURVEYED, {"b_id": contact_id, "b_at": at})


@functools.cache
def _result_statement(columns: tuple[str, ...]) -> sa.Update:
    return (
        sa.update(_INVITATIONS)
        .where(_INVITATIONS.c.id == sa.bindparam("b_id"))
        .values({column: sa.bindparam(f"b_{column}") for column in columns})
    )


def _commit_result() -> None:
    """Commit a delivery result that no in-flight mark rides with, without waiting for the disk on
    PostgreSQL.

    Only the in-flight mark must be durable before a message goes out. If a database crash loses a result
    committed this way, the row is back to "sending with a Message-ID", which recovery makes ``uncertain``:
    never resent.
    """
    _pending_into_session()
    if db.engine.dialect.name == "postgresql":  # as claim_rows decides SKIP LOCKED
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


def _send(
    transport,
    msg,
    invitation: Invitation,
    attempts: int,
    envelope: Envelope | None = None,
    ahead: _BuiltAhead | None = None,
) -> str:
    """Send and write the row's state from the outcome (committed with the next row's mark)."""
    try:
        if ahead is not None:
            transport.send(msg, "invitation", envelope=envelope, while_waiting=ahead.build_following)
        elif envelope is not None:
            transport.send(msg, "invitation", envelope=envelope)
        else:
            transport.send(msg, "invitation")
    except TemporaryMailError as exc:
        # certainly not delivered: the row may be claimed again
        if attempts >= MAX_ATTEMPTS:
            _write_result(invitation.id, state=DeliveryState.FAILED, error=str(exc)[:500], message_id=None)
            return "failed"
        _write_result(invitation.id, state=DeliveryState.QUEUED, error=str(exc)[:500], message_id=None)
        return "retry"
    except PermanentMailError as exc:
        state = DeliveryState.BOUNCED if exc.hard_bounce else DeliveryState.FAILED
        _write_result(invitation.id, state=state, error=str(exc)[:500])
        if exc.hard_bounce and invitation.contact is not None:
            db.session.refresh(invitation.contact)  # the batch read it a while ago: count from the row
            record_bounce(invitation.contact)
        return state.value
    except UncertainMailError as exc:
        _write_result(invitation.id, state=DeliveryState.UNCERTAIN, error=str(exc)[:500])
        return "uncertain"
    now = utcnow()
    _write_result(invitation.id, state=DeliveryState.SENT, sent_at=now, error=None)
    if invitation.contact_id is not None:
        _write_surveyed(invitation.contact_id, now)
    return "sent"


EPOCH_LOST = "the database restarted while this one was being sent (its mark may be lost); not resent"


def recover_stuck() -> dict[str, int]:
    """Rows a crashed sender left ``sending``: never in flight → ``queued``; in flight → ``uncertain``.

    On PostgreSQL a row is known never to have been in flight only while its claim's epoch is still the
    server's (see the module's docstring); a row claimed before a database crash is ``uncertain``."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["MAIL_SENDING_TIMEOUT"])
    stuck = [Invitation.state == DeliveryState.SENDING, Invitation.claimed_at < cutoff]
    unmarked = [Invitation.message_id.is_(None)]
    epoch_lost = 0
    if db.engine.dialect.name == "postgresql":
        # IS NOT DISTINCT FROM: with the epoch table emptied by a crash, an epoch'd claim is not the same
        same_epoch = sa.or_(
            Invitation.claim_epoch.is_(None), Invitation.claim_epoch.is_not_distinct_from(_EPOCH_NOW)
        )
        epoch_lost = db.session.execute(
            sa.update(Invitation)
            .where(*stuck, *unmarked, ~same_epoch)
            .values(state=DeliveryState.UNCERTAIN, error=EPOCH_LOST),
            execution_options={"synchronize_session": False},
        ).rowcount
        unmarked.append(same_epoch)
    released = db.session.execute(
        sa.update(Invitation).where(*stuck, *unmarked).values(state=DeliveryState.QUEUED),
        execution_options={"synchronize_session": False},
    ).rowcount
    uncertain = (
        epoch_lost
        + db.session.execute(
            sa.update(Invitation)
            .where(*stuck, Invitation.message_id.is_not(None))
            .values(
                state=DeliveryState.UNCERTAIN, error="the sender stopped while sending this one; not resent"
            ),
            execution_options={"synchronize_session": False},
        ).rowcount
    )
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
