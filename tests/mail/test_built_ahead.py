"""The next message of a batch is built while the relay answers the current one's DATA (issue 18 §2), yet a
message built ahead goes out only once its own in-flight mark is won, to the address that mark checked."""

from __future__ import annotations

import smtplib
import threading

import sqlalchemy as sa

from app.extensions import db
from app.mail import delivery
from app.mail.message import WireMessage
from app.mail.transport import SmtpTransport
from app.models import Contact, DeliveryState, Invitation, utcnow
from app.surveys.sending import create_send
from tests.factories import make_contact, make_survey

WAIT = 30  # seconds; only ever waited in full when the behaviour under test is missing


def _built_ids(monkeypatch) -> tuple[list[int], threading.Event]:
    """Record every invitation built; the event is set once a second one was built."""
    built: list[int] = []
    second = threading.Event()
    real_build = delivery.build_invitation

    def build(invitation, **kw):
        msg = real_build(invitation, **kw)
        built.append(invitation.id)
        if len(built) >= 2:
            second.set()
        return msg

    monkeypatch.setattr(delivery, "build_invitation", build)
    return built, second


def _send_to_three() -> tuple[list[str], list[Invitation]]:
    """Send a survey to three new contacts (in the app context); their addresses and invitations, in order."""
    emails = [make_contact().email.lower() for _ in range(3)]
    db.session.commit()
    create_send(make_survey(), {"type": "emails", "emails": emails})
    return emails, db.session.execute(sa.select(Invitation).order_by(Invitation.id)).scalars().all()


def test_the_next_message_is_built_while_the_relay_answers_this_ones_data(smtp_app, smtp_server, monkeypatch):
    recorder = smtp_server.recorder
    built, second = _built_ids(monkeypatch)
    at_first_data: list[list[int]] = []
    real_data = recorder.handle_DATA

    async def data(server, session, envelope):
        if not at_first_data:
            # The reply to the first DATA waits until the second message was built: it is built ahead only
            # if its build does not wait for this reply.
            second.wait(WAIT)
            at_first_data.append(list(built))
        return await real_data(server, session, envelope)

    monkeypatch.setattr(recorder, "handle_DATA", data)
    with smtp_app.app_context():
        emails, rows = _send_to_three()
        assert [r.state for r in rows] == [DeliveryState.SENT] * 3
        ids = [r.id for r in rows]
        message_ids = {r.contact.email.lower(): r.message_id for r in rows}
    assert at_first_data == [ids[:2]]  # the second was built before the first's DATA was answered
    assert built == ids  # each built once: the one built ahead is the one sent
    assert sorted(recorder.recipients()) == sorted(emails)
    parsed = {m["To"].addresses[0].addr_spec.lower(): m["Message-ID"] for m in recorder.parsed()}
    assert parsed == message_ids


def _change_when_built_second(monkeypatch, change) -> list[int]:
    """Run ``change(invitation)`` in the sender's session right after the second message was built, i.e.
    ahead, while the relay answers the first one's DATA: a change the second message's own in-flight mark
    must see (the session's changes count for it, as they are committed or flushed before it)."""
    built: list[int] = []
    real_build = delivery.build_invitation

    def build(invitation, **kw):
        msg = real_build(invitation, **kw)
        built.append(invitation.id)
        if len(built) == 2:
            change(invitation)
        return msg

    monkeypatch.setattr(delivery, "build_invitation", build)
    return built


def test_a_message_built_ahead_is_not_sent_when_its_own_mark_is_lost(smtp_app, smtp_server, monkeypatch):
    """The second contact unsubscribes once the second message was built ahead: its mark is not won, so it
    is skipped and never gets DATA; the third goes out on the same connection."""
    recorder = smtp_server.recorder

    def unsubscribe(invitation):
        db.session.execute(
            sa.update(Contact).where(Contact.id == invitation.contact_id).values(unsubscribed_at=utcnow())
        )

    built = _change_when_built_second(monkeypatch, unsubscribe)
    with smtp_app.app_context():
        emails, rows = _send_to_three()
        outcome = [(r.state, r.skip_reason, r.message_id is None) for r in rows]
        ids = [r.id for r in rows]
    assert outcome == [
        (DeliveryState.SENT, None, False),
        (DeliveryState.SKIPPED, "unsubscribed", True),
        (DeliveryState.SENT, None, False),
    ]
    assert built == ids  # the second was built (ahead), never sent
    assert recorder.recipients() == [emails[0], emails[2]]
    assert recorder.connections == 1


def test_a_message_built_ahead_for_an_old_address_is_built_again_for_the_new_one(
    smtp_app, smtp_server, monkeypatch
):
    """The second contact's address changes once the second message was built ahead for the old one: the
    mark (which checks the address) is taken again for the new address and the message goes out built for
    it; nothing reaches the old address."""
    recorder = smtp_server.recorder

    def move(invitation):
        db.session.execute(
            sa.update(Contact)
            .where(Contact.id == invitation.contact_id)
            .values(email="moved@customer.example")
        )

    built = _change_when_built_second(monkeypatch, move)
    with smtp_app.app_context():
        emails, rows = _send_to_three()
        assert [r.state for r in rows] == [DeliveryState.SENT] * 3
        ids = [r.id for r in rows]
    assert built == [ids[0], ids[1], ids[1], ids[2]]  # built ahead for the old address, again for the new
    assert recorder.recipients() == [emails[0], "moved@customer.example", emails[2]]
    (moved,) = [m for m in recorder.parsed() if m["To"].addresses[0].addr_spec == "moved@customer.example"]
    assert emails[1] not in str(moved).lower()


def test_data_with_work_while_waiting_sends_what_smtplib_sends(smtp_app, smtp_server):
    """The DATA exchange split around the work for the next message: dot-stuffed and terminated as
    ``smtplib`` does it, the work done once after the message's bytes left and before its reply is read."""
    recorder = smtp_server.recorder
    data = b"Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\nmiddle . dot\r\n.\r\nno final line end"
    calls: list[int] = []

    def while_waiting():
        calls.append(len(recorder.messages))

    with smtp_app.app_context(), SmtpTransport() as transport:
        msg = WireMessage(data, "surveys@clearloop.localhost", ("dots@customer.example",), None, "dots")
        transport.send(msg, while_waiting=while_waiting)
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as conn:
        conn.sendmail("surveys@clearloop.localhost", ["dots@customer.example"], data)
    assert calls == [0]  # ran once, before the relay's reply (it records the message before answering)
    ours, theirs = recorder.messages
    assert ours == theirs


def test_a_result_is_written_with_the_next_mark_after_the_next_envelope_is_out(
    smtp_app, smtp_server, monkeypatch
):
    """A message's result waits for the next message's in-flight mark and is written with it, after that
    message's envelope went out (on SQLite: no write transaction, hence no write lock, held from one
    message's reply to the next one's mark; on PostgreSQL: inside the mark's statement)."""
    events: list[str] = []
    real_envelope = delivery._early_envelope

    def envelope(transport, invitation):
        events.append("envelope")
        return real_envelope(transport, invitation)

    def record(conn, cursor, statement, parameters, context, executemany):
        flat = " ".join(statement.split()).upper()
        if "UPDATE INVITATIONS SET STATE" in flat:
            events.append("result")
        if "UPDATE INVITATIONS SET MESSAGE_ID" in flat:
            events.append("mark")

    monkeypatch.setattr(delivery, "_early_envelope", envelope)
    with smtp_app.app_context():
        emails = [make_contact().email.lower() for _ in range(3)]
        db.session.commit()
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
        try:
            create_send(make_survey(), {"type": "emails", "emails": emails})
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
        states = [r.state for r in db.session.execute(sa.select(Invitation)).scalars()]
    assert states == [DeliveryState.SENT] * 3
    sending = events[events.index("envelope") :]  # the claim and the invitations' creation come first
    assert sending.count("mark") == 3 and sending.count("result") == 3, sending
    first, second, third = [i for i, e in enumerate(sending) if e == "envelope"]
    # PostgreSQL: the result rides in the mark's statement (both words recorded for it, result first)
    assert sending[first : first + 2] == ["envelope", "mark"]
    assert sending[second : second + 3] == ["envelope", "result", "mark"]
    assert sending[third : third + 3] == ["envelope", "result", "mark"]
    assert sending[-1] == "result"  # the batch's last result, committed on its own
