"""PostgreSQL commits a batch's in-flight marks without waiting for the disk; what keeps that at most once
is the database epoch each claim records (app/mail/delivery.py, migration sendtag_0001): a row claimed
before a database crash — which can lose such a commit, and empties the UNLOGGED epoch table — is never
given back to ``queued`` by recovery, only made ``uncertain``. A sender that dies loses no mark (the commit
returned), so recovery after that stays as before."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.mail import delivery
from app.mail.delivery import EPOCH_LOST, claim_invitations, recover_stuck
from app.mail.transport import SmtpTransport
from app.models import DeliveryState, Invitation, SendStatus
from tests.factories import make_invitation, make_send, make_survey

postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the epoch and the marks without a disk wait are PostgreSQL's (the suite's second run)",
)


def _claimed(n: int = 3) -> list[Invitation]:
    survey = make_survey()
    send = make_send(survey, status=SendStatus.SENDING)
    for _ in range(n):
        make_invitation(survey, send=send, state=DeliveryState.QUEUED, sent_at=None)
    db.session.commit()
    claimed = claim_invitations(send.id, n)
    assert len(claimed) == n
    rows = list(
        db.session.execute(
            sa.select(Invitation)
            .where(Invitation.id.in_([i for i, _ in claimed]))
            .order_by(Invitation.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )
    rows[0].message_id = f"<in-flight.{rows[0].id}@test>"  # marked in flight; the others never
    for row in rows:
        row.claimed_at = row.claimed_at - timedelta(seconds=5)  # stuck past the timeout
    db.session.commit()
    return rows


def _outcome(rows: list[Invitation]) -> list[tuple[str, str | None]]:
    out = []
    for row in rows:
        fresh = db.session.execute(
            sa.select(Invitation).where(Invitation.id == row.id).execution_options(populate_existing=True)
        ).scalar_one()
        out.append((fresh.state.value, fresh.error))
    return out


def _epoch() -> str | None:
    return db.session.execute(sa.text("SELECT token FROM mail_db_epoch WHERE id = 1")).scalar_one_or_none()


@postgres_only
def test_a_claim_records_the_database_epoch(app):
    with app.app_context():
        rows = _claimed()
        assert {row.claim_epoch for row in rows} == {_epoch()} and _epoch()


def test_recovery_without_a_crash_is_as_before(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SENDING_TIMEOUT", 1)
    with app.app_context():
        rows = _claimed()
        if db.engine.dialect.name == "sqlite":
            assert {row.claim_epoch for row in rows} == {None}
        assert recover_stuck() == {"released": 2, "uncertain": 1}  # the epoch is intact on PostgreSQL
        states = [state for state, _ in _outcome(rows)]
        assert states == ["uncertain", "queued", "queued"]


@postgres_only
def test_after_a_database_crash_no_claimed_row_is_given_back(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SENDING_TIMEOUT", 1)
    with app.app_context():
        rows = _claimed()
        # What crash recovery does to an UNLOGGED table: it starts empty. The marks of the rows not marked
        # here may have been committed without a disk wait and lost: nothing says they were never sent.
        db.session.execute(sa.text("DELETE FROM mail_db_epoch"))
        db.session.commit()
        assert recover_stuck() == {"released": 0, "uncertain": 3}
        outcome = _outcome(rows)
        assert [state for state, _ in outcome] == ["uncertain"] * 3
        assert [error for _, error in outcome[1:]] == [EPOCH_LOST, EPOCH_LOST]
        # The next claim starts a new epoch; its rows are recovered by the new one as usual.
        again = _claimed(2)
        assert {row.claim_epoch for row in again} == {_epoch()} != {rows[0].claim_epoch}
        assert recover_stuck() == {"released": 1, "uncertain": 1}


@postgres_only
def test_a_row_claimed_in_another_epoch_is_not_released(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SENDING_TIMEOUT", 1)
    with app.app_context():
        rows = _claimed(2)
        rows[1].claim_epoch = "an epoch before the last crash"
        db.session.commit()
        assert recover_stuck() == {"released": 0, "uncertain": 2}
        assert _outcome(rows)[1] == ("uncertain", EPOCH_LOST)


@postgres_only
@pytest.mark.committed
def test_the_marks_connection_skips_the_disk_wait_and_goes_back_to_the_pool_reset(app):
    with app.app_context():
        transport = SmtpTransport.__new__(SmtpTransport)  # never connected: only its kind matters here
        with delivery._one_statement_per_message(transport):
            riding = delivery._RIDING.get()
            assert riding is not None
            assert riding.conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "off"
            raw = riding.conn.connection.dbapi_connection
        assert delivery._RIDING.get() is None
        # The same DB-API connection, back in the pool: reset to the server's default.
        assert raw.execute("SHOW synchronous_commit").fetchone()[0] == "on"
        raw.rollback()
        db.session.remove()
