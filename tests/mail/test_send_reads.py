"""What a send reads and makes per message (issue 18 §2): invitations made from plain audience rows with
tokens made in one go, a batch's rows read with only the columns sending uses, and per-message values
(Message-ID, Date, the envelope's sender) worked out once, yet still right for each message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from app.mail import delivery
from app.mail.message import date_value, message_id
from app.mail.suppression import suppress
from app.models import Contact, DeliveryState, Invitation, Send, SendStatus, utcnow
from app.surveys import sending
from app.surveys.sending import create_send
from app.surveys.tokens import TOKEN_RE, find_invitation, hash_token, new_tokens, token_for
from tests.factories import make_account, make_contact, make_survey


def test_tokens_made_in_one_go_are_tokens_of_their_salts(app):
    with app.app_context():
        made = new_tokens(300)
        assert len({token.salt for token in made}) == 300
        for token in made:
            assert len(token.salt) == 32 and int(token.salt, 16) >= 0
            assert TOKEN_RE.match(token.token)
            assert token.token == token_for(Invitation(token_salt=token.salt))
            assert token.token_hash == hash_token(token.token)
        assert new_tokens(0) == []


def test_invitations_are_made_from_audience_rows_with_their_states_and_working_tokens(app):
    with app.app_context():
        account = make_account()
        fine = [make_contact(account) for _ in range(3)]
        unsubscribed = make_contact(account, unsubscribed_at=utcnow())
        suppressed = make_contact(account)
        suppress(suppressed.email, "complaint")
        survey = make_survey()
        now = utcnow()
        send = Send(
            survey_id=survey.id,
            status=SendStatus.SENDING,
            audience={"type": "accounts", "ids": [account.id]},
            scheduled_at=now,
            expires_at=now + timedelta(days=7),
        )
        db.session.add(send)
        db.session.commit()
        send_id = send.id
        fine_ids, unsubscribed_id, suppressed_id = [c.id for c in fine], unsubscribed.id, suppressed.id
        db.session.expunge_all()
        send = db.session.get(Send, send_id)

        loaded: list[int] = []

        def on_load(contact, context):
            loaded.append(contact.id)

        event.listen(Contact, "load", on_load)
        try:
            assert sending._make_invitations(send, now) == 3
        finally:
            event.remove(Contact, "load", on_load)
        assert loaded == []  # the audience was read as rows: no contact built as an ORM object
        db.session.commit()

        rows = db.session.execute(sa.select(Invitation).where(Invitation.send_id == send.id)).scalars().all()
        by_contact = {inv.contact_id: inv for inv in rows}
        assert len(rows) == 5
        queued = {i for i, inv in by_contact.items() if inv.state == DeliveryState.QUEUED}
        assert queued == set(fine_ids)
        assert by_contact[unsubscribed_id].state == DeliveryState.SKIPPED
        assert by_contact[unsubscribed_id].skip_reason == "unsubscribed"
        assert by_contact[suppressed_id].skip_reason == "suppressed"
        for inv in rows:
            assert (inv.survey_id, inv.attempts, inv.click_count) == (send.survey_id, 0, 0)
            assert inv.expires_at == send.expires_at and inv.created_at == inv.updated_at
            found = find_invitation(token_for(inv))  # the link of its email finds it
            assert found is not None and found.id == inv.id
        assert len({inv.token_salt for inv in rows}) == 5


def test_a_batch_reads_only_the_columns_sending_uses(app):
    with app.app_context():
        contact = make_contact(attributes={"plan": "gold"}, title="CTO")
        send = create_send(make_survey(), {"type": "emails", "emails": [contact.email]}, scheduled_at=None)
        invitation_id, expires_at = db.session.execute(
            sa.select(Invitation.id, Invitation.expires_at).where(Invitation.send_id == send.id)
        ).one()
        db.session.expunge_all()

        loaded = delivery._load_batch([invitation_id])[invitation_id]
        assert {"id", "token_salt", "attempts", "contact_id", "survey_id"} <= set(loaded.__dict__)
        assert "expires_at" not in loaded.__dict__ and "error" not in loaded.__dict__
        assert {"email", "name", "locale"} <= set(loaded.contact.__dict__)
        assert "attributes" not in loaded.contact.__dict__ and "title" not in loaded.contact.__dict__
        # Anything else is still there when asked for (loaded then).
        assert loaded.contact.attributes == {"plan": "gold"} and loaded.expires_at == expires_at


def _statements_of_a_send(count: int) -> list[str]:
    """The SELECTs a whole send to ``count`` new contacts runs (through the loopback SMTP server)."""
    emails = [make_contact().email for _ in range(count)]
    survey = make_survey()
    db.session.commit()
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        create_send(survey, {"type": "emails", "emails": emails})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_a_sends_reads_do_not_grow_with_its_messages(smtp_app):
    """The deferred columns are never loaded one message at a time: a send to six contacts reads as
    often as a send to two (its marks and results are writes)."""
    with smtp_app.app_context():
        assert len(_statements_of_a_send(6)) == len(_statements_of_a_send(2))


def test_message_ids_are_per_invitation_kind_and_secret(app, monkeypatch):
    with app.app_context():
        first = message_id(7, "invitation")
        assert message_id(7, "invitation") == first
        assert message_id(7, "reminder") != first and message_id(8, "invitation") != first
        monkeypatch.setitem(app.config, "SECRET_KEY", "another secret")
        assert message_id(7, "invitation") != first
        monkeypatch.setitem(app.config, "MAIL_FROM", "Surveys <surveys@elsewhere.example>")
        assert message_id(7, "invitation").endswith("@elsewhere.example>")


def test_the_date_header_of_one_instant_in_two_zones_is_written_in_each(app):
    instant = datetime(2026, 12, 7, 12, 0, 5, 123, tzinfo=UTC)
    assert date_value(instant) == "Mon, 07 Dec 2026 12:00:05 +0000"
    plus_one = instant.astimezone(timezone(timedelta(hours=1)))
    assert date_value(plus_one) == "Mon, 07 Dec 2026 13:00:05 +0100"
    assert date_value(instant + timedelta(seconds=1)) == "Mon, 07 Dec 2026 12:00:06 +0000"


def test_the_envelope_sender_follows_the_setting(app):
    assert delivery.envelope_sender("Clearloop <surveys@clearloop.example>") == "surveys@clearloop.example"
    assert delivery.envelope_sender("other@elsewhere.example") == "other@elsewhere.example"
