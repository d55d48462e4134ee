"""What the relay's failures do to reminders and to a batch, on a real SMTP server on loopback: a reminder
is tried once (bounced, failed or uncertain, never resent); a relay refusing everything releases the rest
of the batch untouched; a send cancelled mid-batch stops before the next message."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.mail import delivery
from app.models import Contact, DeliveryState, Invitation, SendStatus, utcnow
from app.surveys.sending import create_send
from app.tasks.mail import send_due_reminders
from tests.factories import make_contact, make_invitation, make_send, make_survey


def _due_reminder(email: str) -> Invitation:
    survey = make_survey()
    send = make_send(survey, reminder_delay_days=3, status=SendStatus.COMPLETED)
    inv, _ = make_invitation(
        survey, send=send, contact=make_contact(email=email), sent_at=utcnow() - timedelta(days=4)
    )
    db.session.commit()
    return inv


def test_a_reminder_to_a_vanished_mailbox_bounces_the_contact(smtp_app, smtp_server):
    smtp_server.recorder.always_refuse_rcpt("gone@customer.example", "550 5.1.1 No such user")
    with smtp_app.app_context():
        inv = _due_reminder("gone@customer.example")
        assert send_due_reminders() == {"bounced": 1}
        db.session.refresh(inv)
        assert inv.reminder_state == DeliveryState.BOUNCED and inv.error.startswith("reminder: RCPT: 550")
        assert inv.contact.bounced_at is not None and inv.contact.bounce_count == 1


def test_a_reminder_refused_for_now_fails_once_and_is_not_retried(smtp_app, smtp_server):
    smtp_server.recorder.always_refuse_rcpt("full@customer.example", "452 4.2.2 Mailbox full")
    with smtp_app.app_context():
        inv = _due_reminder("full@customer.example")
        assert send_due_reminders() == {"failed": 1}
        assert send_due_reminders() == {}
        db.session.refresh(inv)
        assert inv.reminder_state == DeliveryState.FAILED and "Mailbox full" in inv.error
        assert inv.contact.bounced_at is None
    assert smtp_server.recorder.messages == []


def test_a_reminder_lost_mid_transfer_is_uncertain_and_never_resent(smtp_app, smtp_server):
    smtp_server.recorder.drop_during_data("lost@customer.example")
    with smtp_app.app_context():
        inv = _due_reminder("lost@customer.example")
        assert send_due_reminders() == {"uncertain": 1}
        smtp_server.recorder.drop_data.clear()
        assert send_due_reminders() == {}
        db.session.refresh(inv)
        assert inv.reminder_state == DeliveryState.UNCERTAIN
    assert smtp_server.recorder.messages == []


def test_a_relay_refusing_everything_releases_the_rest_of_the_batch(smtp_app, smtp_server, monkeypatch):
    monkeypatch.setitem(smtp_app.config, "MAIL_RETRY_DELAYS", ())  # one try per row inside the batch
    with smtp_app.app_context():
        emails = [f"c{i}@customer.example" for i in range(6)]
        for email in emails:
            make_contact(email=email)
            smtp_server.recorder.always_refuse_rcpt(email, "421 4.7.0 Try again later")
        db.session.commit()
        send = create_send(make_survey(), {"type": "emails", "emails": emails})
        rows = (
            db.session.execute(
                sa.select(Invitation)
                .where(Invitation.send_id == send.id)
                .execution_options(populate_existing=True)
            )
            .scalars()
            .all()
        )
        tried = [r for r in rows if r.error]
        untouched = [r for r in rows if not r.error]
        assert len(tried) == delivery.MAX_TEMPORARY_IN_A_ROW
        assert len(untouched) == len(emails) - delivery.MAX_TEMPORARY_IN_A_ROW
        # every row is back in the queue for the next batch; the released ones did not spend an attempt
        assert {r.state for r in rows} == {DeliveryState.QUEUED}
        assert {r.attempts for r in untouched} == {0} and {r.attempts for r in tried} == {1}
        assert all(r.message_id is None for r in rows)
    assert smtp_server.recorder.messages == []


def test_a_send_cancelled_mid_batch_stops_before_the_next_message(smtp_app, smtp_server, monkeypatch):
    real_build = delivery.build_invitation
    built: list[int] = []

    def build_then_cancel(invitation, **kw):
        built.append(invitation.id)
        msg = real_build(invitation, **kw)
        if len(built) == 1:  # staff cancel the send while its first message is being built
            invitation.send.status = SendStatus.CANCELLED
        return msg

    monkeypatch.setattr(delivery, "build_invitation", build_then_cancel)
    with smtp_app.app_context():
        emails = [make_contact().email for _ in range(3)]
        db.session.commit()
        send = create_send(make_survey(), {"type": "emails", "emails": emails})
        states = sorted(
            inv.state.value
            for inv in db.session.execute(
                sa.select(Invitation)
                .where(Invitation.send_id == send.id)
                .execution_options(populate_existing=True)
            ).scalars()
        )
        assert states == ["sent", "skipped", "skipped"]
    assert len(smtp_server.recorder.messages) == 1


def test_a_message_that_cannot_be_built_fails_that_row_only(smtp_app, smtp_server, monkeypatch):
    real_build = delivery.build_invitation

    def broken_for_one(invitation, **kw):
        if invitation.contact.email == "broken@customer.example":
            raise ValueError("template variable missing")
        return real_build(invitation, **kw)

    monkeypatch.setattr(delivery, "build_invitation", broken_for_one)
    with smtp_app.app_context():
        make_contact(email="broken@customer.example")
        ok = make_contact().email
        db.session.commit()
        send = create_send(make_survey(), {"type": "emails", "emails": ["broken@customer.example", ok]})
        rows = {
            inv.contact.email: inv
            for inv in db.session.execute(
                sa.select(Invitation).where(Invitation.send_id == send.id)
            ).scalars()
        }
        broken = rows["broken@customer.example"]
        assert broken.state == DeliveryState.FAILED and "template variable missing" in broken.error
        assert broken.message_id is None
        assert rows[ok].state == DeliveryState.SENT
    assert smtp_server.recorder.recipients() == [ok]


def test_only_the_in_flight_mark_waits_for_the_disk(smtp_app, smtp_server):
    """On the session's path, each in-flight mark is committed durably before its message goes out,
    carrying the previous message's result; only the batch's last result, which no mark rides with, skips
    the wait (PostgreSQL). A PostgreSQL SMTP batch's own connection skips it for the marks too, its claim
    holding the server's epoch (tests/mail/test_epoch.py)."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()).upper())

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        with smtp_app.app_context():
            emails = [make_contact().email for _ in range(3)]
            db.session.commit()
            postgres = db.session.get_bind().dialect.name == "postgresql"
            statements.clear()
            create_send(make_survey(), {"type": "emails", "emails": emails})
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    marks = [i for i, s in enumerate(statements) if s.startswith("UPDATE INVITATIONS SET MESSAGE_ID")]
    results = [i for i, s in enumerate(statements) if s.startswith("UPDATE INVITATIONS SET STATE")]
    relaxed = [i for i, s in enumerate(statements) if "SYNCHRONOUS_COMMIT" in s]
    ends = [i for i, s in enumerate(statements) if s.startswith(("RELEASE SAVEPOINT", "COMMIT"))]
    assert len(marks) == 3 and len(results) == 3
    assert len(relaxed) == (1 if postgres else 0)
    for mark in marks:
        end = min(i for i in ends if i > mark)  # the mark's transaction ends before anything else
        assert not any(mark < i < end for i in relaxed), "an in-flight mark did not wait for the disk"
    for result, mark in zip(results, marks[1:], strict=False):
        assert result < mark and not any(result < end < mark for end in ends)  # one commit for both
    last_mark_end = min(i for i in ends if i > marks[-1])
    assert last_mark_end < results[-1]  # the last result in a transaction of its own
    assert all(last_mark_end < i for i in relaxed)
    assert len(smtp_server.recorder.messages) == 3


def _statements_of_a_send(smtp_app, emails_wanted: int) -> tuple[list[tuple[str, bool]], list[str]]:
    """A send's SQL, each statement with whether it ran on an autocommit connection; and the emails."""
    statements: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, *args):
        autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        statements.append((" ".join(statement.split()).upper(), autocommit))

    with smtp_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the one-statement in-flight mark is PostgreSQL's")
        emails = [make_contact().email for _ in range(emails_wanted)]
        db.session.commit()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        with smtp_app.app_context():
            create_send(make_survey(), {"type": "emails", "emails": emails})
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    return statements, emails


@pytest.mark.committed
def test_on_postgresql_each_mark_is_one_statement_carrying_the_previous_result(smtp_app, smtp_server):
    with smtp_app.app_context():
        bystander = make_contact().id  # not in the send: its last_surveyed_at stays empty
        db.session.commit()
    statements, emails = _statements_of_a_send(smtp_app, 3)
    marks = [(s, auto) for s, auto in statements if "UPDATE INVITATIONS SET MESSAGE_ID" in s]
    assert len(marks) == 3 and all(auto for _, auto in marks)  # each its own transaction
    # The marks commit without a disk wait (issue 18 §2): the connection says so once, before the first,
    # and is reset after the last; the claim, in the session, committed durably with the server's epoch.
    on_marks = [s for s, auto in statements if auto]
    assert on_marks[0] == "SET SYNCHRONOUS_COMMIT TO OFF" and on_marks[-1] == "RESET SYNCHRONOUS_COMMIT"
    claim = next(i for i, (s, _) in enumerate(statements) if "CLAIM_EPOCH=" in s)
    assert "MAIL_DB_EPOCH" in statements[claim][0] and not statements[claim][1]
    assert not any("SYNCHRONOUS_COMMIT" in s for s, auto in statements[: claim + 2] if not auto)
    first, *_, third = [s for s, _ in marks]
    assert "UPDATE INVITATIONS SET STATE" not in first
    # The previous message's result and its contact's stamp ride in the mark's statement (a message that
    # read through the session meanwhile, e.g. building a new template, commits them with the session).
    assert third.startswith("WITH RESULT_0 AS (UPDATE INVITATIONS SET STATE")
    assert "UPDATE CONTACTS SET LAST_SURVEYED_AT" in third
    alone = [i for i, (s, auto) in enumerate(statements) if s.startswith("UPDATE INVITATIONS SET STATE")]
    assert all(not statements[i][1] for i in alone)  # results outside a mark: in the session's transaction
    assert any("SYNCHRONOUS_COMMIT" in s for s, _ in statements[alone[-1] :])  # the batch's last result
    with smtp_app.app_context():
        rows = db.session.execute(sa.select(Invitation)).scalars().all()
        assert sorted(r.state.value for r in rows) == ["sent"] * 3
        assert all(r.message_id and r.sent_at and r.contact.last_surveyed_at for r in rows)
        assert db.session.get(Contact, bystander).last_surveyed_at is None
    assert sorted(smtp_server.recorder.recipients()) == sorted(emails)


@pytest.mark.committed
def test_on_postgresql_a_send_cancelled_mid_batch_stops_before_the_next_message(
    smtp_app, smtp_server, monkeypatch
):
    """The session's change (the cancellation) commits before the next one-statement mark checks it."""
    real_build = delivery.build_invitation

    def build_then_cancel(invitation, **kw):
        msg = real_build(invitation, **kw)
        invitation.send.status = SendStatus.CANCELLED
        return msg

    monkeypatch.setattr(delivery, "build_invitation", build_then_cancel)
    _statements_of_a_send(smtp_app, 3)
    with smtp_app.app_context():
        states = sorted(r.state.value for r in db.session.execute(sa.select(Invitation)).scalars())
        assert states == ["sent", "skipped", "skipped"]
    assert len(smtp_server.recorder.messages) == 1


@pytest.mark.committed
def test_the_envelope_goes_out_early_but_data_waits_for_the_durable_in_flight_mark(
    smtp_app, smtp_server, monkeypatch
):
    """MAIL FROM / RCPT TO are sent while the in-flight mark commits (the mark here waits until the relay
    has seen the RCPT), yet the relay sees DATA only once the mark is committed: looked up from another
    connection at the moment DATA arrives."""
    import threading

    recorder = smtp_server.recorder
    rcpt_seen: dict[str, threading.Event] = {}
    marked_at_data: list[tuple[str, str | None]] = []
    reader = sa.create_engine(smtp_app.config["SQLALCHEMY_DATABASE_URI"])
    real_rcpt, real_data, real_mark = recorder.handle_RCPT, recorder.handle_DATA, delivery._mark_in_flight

    async def rcpt(server, session, envelope, address, options):
        rcpt_seen.setdefault(address.lower(), threading.Event()).set()
        return await real_rcpt(server, session, envelope, address, options)

    async def data(server, session, envelope):
        email = envelope.rcpt_tos[0].lower()
        with reader.connect() as conn:  # what is committed now, as a crash would leave it
            marked = conn.execute(
                sa.text(
                    "SELECT i.message_id FROM invitations i JOIN contacts c ON c.id = i.contact_id"
                    " WHERE lower(c.email) = :email"
                ),
                {"email": email},
            ).scalar_one()
        marked_at_data.append((email, marked))
        return await real_data(server, session, envelope)

    def mark_after_rcpt(invitation, attempts):
        event = rcpt_seen.setdefault(invitation.contact.email.lower(), threading.Event())
        assert event.wait(30), "the envelope was not sent before the in-flight mark"
        return real_mark(invitation, attempts)

    monkeypatch.setattr(recorder, "handle_RCPT", rcpt)
    monkeypatch.setattr(recorder, "handle_DATA", data)
    monkeypatch.setattr(delivery, "_mark_in_flight", mark_after_rcpt)
    try:
        with smtp_app.app_context():
            emails = [make_contact().email.lower() for _ in range(3)]
            db.session.commit()
            create_send(make_survey(), {"type": "emails", "emails": emails})
    finally:
        reader.dispose()
    assert sorted(email for email, _ in marked_at_data) == sorted(emails)
    assert all(marked for _, marked in marked_at_data), marked_at_data  # durable before DATA, every one
    assert sorted(recorder.recipients()) == sorted(emails)


def test_a_mark_not_won_resets_the_early_envelope_and_the_connection_goes_on(
    smtp_app, smtp_server, monkeypatch
):
    """The contact unsubscribes between the claim and the mark: the envelope already sent for them is reset
    (RSET, no DATA), the row is skipped, and the next message goes out on the same connection."""
    recorder = smtp_server.recorder
    rcpts: list[str] = []
    real_rcpt, real_mark = recorder.handle_RCPT, delivery._mark_in_flight

    async def rcpt(server, session, envelope, address, options):
        rcpts.append(address.lower())
        return await real_rcpt(server, session, envelope, address, options)

    with smtp_app.app_context():
        leaving, staying = make_contact(), make_contact()
        emails = [leaving.email.lower(), staying.email.lower()]

        def unsubscribe_then_mark(invitation, attempts):
            if invitation.contact.email.lower() == emails[0]:
                invitation.contact.unsubscribed_at = utcnow()
            return real_mark(invitation, attempts)

        monkeypatch.setattr(recorder, "handle_RCPT", rcpt)
        monkeypatch.setattr(delivery, "_mark_in_flight", unsubscribe_then_mark)
        create_send(make_survey(), {"type": "emails", "emails": emails})
        rows = {r.contact.email.lower(): r for r in db.session.execute(sa.select(Invitation)).scalars().all()}
        assert (
            rows[emails[0]].state == DeliveryState.SKIPPED and rows[emails[0]].skip_reason == "unsubscribed"
        )
        assert rows[emails[0]].message_id is None
        assert rows[emails[1]].state == DeliveryState.SENT
    assert emails[0] in rcpts  # its envelope went out early ...
    assert recorder.recipients() == [emails[1]]  # ... but only the other message was delivered
    assert recorder.connections == 1
