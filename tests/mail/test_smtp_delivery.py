"""Invitations go to a real SMTP server on loopback: both parts, the headers, the links, one connection
per batch, retries on 4xx, bounces and failures on 5xx, and never a second email for one invitation."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.mail.delivery import claim_invitations, record_bounce, recover_stuck
from app.mail.suppression import is_suppressed
from app.models import DeliveryState, Invitation, Response, Send, SendStatus
from app.surveys.sending import create_send
from app.tasks.mail import send_batch, sweep_sends
from tests.factories import make_account, make_contact, make_survey
from tests.surveys.util import JSON, form_key, path_of

SCORE_LINK = re.compile(r"http://localhost/r/([A-Za-z0-9_-]{43})/s/(\d+)")


def _send(n: int = 3, kind: str = "nps", **contact_kw):
    survey = make_survey(kind)
    account = make_account()
    contacts = [make_contact(account, **contact_kw) for _ in range(n)]
    db.session.commit()
    send = create_send(survey, {"type": "accounts", "ids": [account.id]})
    return send, [c.email for c in contacts]


def _states(send_id: int) -> dict[str, str]:
    rows = db.session.execute(
        sa.select(Invitation).where(Invitation.send_id == send_id).execution_options(populate_existing=True)
    ).scalars()
    return {inv.contact.email: inv.state.value for inv in rows}


def test_invitation_arrives_with_both_parts_headers_and_links(smtp_app, smtp_server):
    with smtp_app.app_context():
        _, emails = _send(2)
        invitations = {i.contact.email: i for i in db.session.execute(sa.select(Invitation)).scalars()}
    messages = smtp_server.recorder.parsed()
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == sorted(emails)
    for msg in messages:
        inv = invitations[msg["To"].addresses[0].addr_spec]
        assert msg["Message-ID"] == inv.message_id and msg["Message-ID"].startswith(f"<invitation.{inv.id}.")
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(
            r"<http://localhost/r/[A-Za-z0-9_-]{43}/unsubscribe/one-click>", msg["List-Unsubscribe"]
        )
        assert msg["Subject"] == "How likely are you to recommend Clearloop Demo Co.?"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        text_links = SCORE_LINK.findall(text)
        html_links = SCORE_LINK.findall(html)
        assert [int(s) for _, s in text_links] == list(range(11)) == [int(s) for _, s in html_links]
        assert {t for t, _ in text_links} == {t for t, _ in html_links} and len(
            {t for t, _ in html_links}
        ) == 1
        assert "/unsubscribe" in text and "/unsubscribe" in html
        assert "<script" not in html.lower() and "<img" not in html.lower() and '/h"' in html
        assert "/h\n" not in text and "/h " not in text  # the scanner trap is in the HTML part only
        assert "Not at all likely" in html and "Extremely likely" in text


def test_following_a_score_link_from_the_email_records_the_answer_through_the_pages(
    smtp_app, smtp_server, client
):
    with smtp_app.app_context():
        _send(1)
    html = smtp_server.recorder.parsed()[0].get_body(("html",)).get_content()
    link = next(m.group(0) for m in SCORE_LINK.finditer(html) if m.group(2) == "9")
    page = client.get(path_of(link))
    assert page.status_code == 200 and 'value="9" checked' in page.get_data(as_text=True)
    key = form_key(page.get_data(as_text=True))
    token = SCORE_LINK.search(link).group(1)
    saved = client.post(f"/r/{token}", data={"key": key, "score": "9", "auto": "1"}, headers=JSON)
    assert saved.status_code == 200 and saved.get_json()["score"] == 9
    done = client.post(f"/r/{token}", data={"key": key, "score": "9", "comment": "Great support"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/r/{token}/thanks")
    with smtp_app.app_context():
        response = db.session.execute(sa.select(Response)).scalar_one()
        assert (response.score, response.comment, response.channel.value) == (9, "Great support", "email")
        assert response.invitation.responded_at is not None


def test_a_batch_reuses_one_connection(smtp_app, smtp_server, monkeypatch):
    with smtp_app.app_context():
        send, _ = _send(7)
        assert set(_states(send.id).values()) == {"sent"}
    assert smtp_server.recorder.connections == 1 and len(smtp_server.recorder.messages) == 7
    monkeypatch.setitem(smtp_app.config, "MAIL_BATCH_SIZE", 3)
    with smtp_app.app_context():
        _send(7)
    assert smtp_server.recorder.connections == 1 + 3  # ceil(7 / 3) batches, one connection each


def test_a_temporary_refusal_is_retried_and_delivered_once(smtp_app, smtp_server):
    smtp_server.recorder.refuse_rcpt("flaky@customer.example", "451 4.3.0 Try again later")
    with smtp_app.app_context():
        _send(1, email="flaky@customer.example")
        inv = db.session.execute(sa.select(Invitation)).scalar_one()
        assert inv.state == DeliveryState.SENT and inv.attempts == 1
    assert smtp_server.recorder.recipients() == ["flaky@customer.example"]


def test_a_lasting_4xx_goes_back_to_the_queue_then_fails_with_the_reason(smtp_app, smtp_server):
    smtp_server.recorder.always_refuse_rcpt("full@customer.example", "452 4.2.2 Mailbox full")
    with smtp_app.app_context():
        send, _ = _send(1, email="full@customer.example")
        inv = db.session.execute(sa.select(Invitation)).scalar_one()
        assert inv.state == DeliveryState.QUEUED and "452" in inv.error and inv.message_id is None
        for _ in range(6):
            sweep_sends()  # the sweeper re-enqueues the batch of a send with queued rows
        db.session.refresh(inv)
        assert inv.state == DeliveryState.FAILED and inv.attempts == 5 and "Mailbox full" in inv.error
        assert db.session.get(Send, send.id).status == SendStatus.COMPLETED
    assert smtp_server.recorder.messages == []


def test_a_refused_recipient_bounces_and_is_suppressed_after_the_second_bounce(smtp_app, smtp_server):
    smtp_server.recorder.always_refuse_rcpt("gone@customer.example", "550 5.1.1 No such user")
    with smtp_app.app_context():
        _send(1, email="gone@customer.example")
        inv = db.session.execute(sa.select(Invitation)).scalar_one()
        assert inv.state == DeliveryState.BOUNCED and inv.error.startswith("RCPT: 550")
        contact = inv.contact
        assert contact.bounced_at is not None and contact.bounce_count == 1
        assert not is_suppressed(contact.email)
        record_bounce(contact)  # a second hard bounce (RELIABILITY 7: after the first)
        db.session.commit()
        assert is_suppressed(contact.email)


def test_a_refused_message_fails_with_the_reason_and_the_batch_goes_on(smtp_app, smtp_server):
    smtp_server.recorder.refuse_data("spam@customer.example", "554 5.6.0 Content rejected")
    with smtp_app.app_context():
        _, emails = _send(2)
        make_contact(email="spam@customer.example")
        db.session.commit()
        second = create_send(make_survey(), {"type": "emails", "emails": ["spam@customer.example", *emails]})
        states = _states(second.id)
        inv = db.session.execute(
            sa.select(Invitation).where(
                Invitation.send_id == second.id, Invitation.state == DeliveryState.FAILED
            )
        ).scalar_one()
        assert inv.error == "DATA: 554 5.6.0 Content rejected" and inv.contact.bounced_at is None
    assert states["spam@customer.example"] == "failed"
    # the other two were surveyed by the first send moments ago: the quarantine skips them
    assert [states[e] for e in emails] == ["skipped", "skipped"]


def test_a_connection_lost_during_data_is_uncertain_and_never_resent(smtp_app, smtp_server):
    smtp_server.recorder.drop_during_data("lost@customer.example")
    with smtp_app.app_context():
        make_contact(email="lost@customer.example")
        others = [make_contact().email for _ in range(2)]
        db.session.commit()
        send = create_send(make_survey(), {"type": "emails", "emails": ["lost@customer.example", *others]})
        assert _states(send.id) == {
            "lost@customer.example": "uncertain",
            others[0]: "sent",
            others[1]: "sent",
        }
        smtp_server.recorder.drop_data.clear()
        sweep_sends()
        send_batch(send.id)
        assert _states(send.id)["lost@customer.example"] == "uncertain"
    assert sorted(smtp_server.recorder.recipients()) == sorted(others)


def test_rows_of_a_crashed_sender_are_never_sent_twice(smtp_app, smtp_server, monkeypatch):
    with smtp_app.app_context():
        survey = make_survey()
        account = make_account()
        for _ in range(4):
            make_contact(account)
        db.session.commit()
        send = create_send(survey, {"type": "accounts", "ids": [account.id]}, scheduled_at=None)
        assert len(smtp_server.recorder.messages) == 4
        # A second run (an RQ retry, a duplicate job) finds nothing to claim.
        assert send_batch(send.id) == {} or sum(send_batch(send.id).values()) == 0
        assert len(smtp_server.recorder.messages) == 4

        # A crash: rows claimed, one of them marked in flight, then the process died.
        later = make_account()
        for _ in range(3):
            make_contact(later)
        db.session.commit()
        monkeypatch.setitem(smtp_app.config, "MAIL_BATCH_SIZE", 10)
        crashed = _crashed_send(survey, later.id)
        claimed = claim_invitations(crashed, 10)
        in_flight_id = claimed[0][0]
        db.session.execute(
            sa.update(Invitation).where(Invitation.id == in_flight_id).values(message_id="<x@y>")
        )
        db.session.commit()
        send_batch(crashed)  # a retry of the lost job: nothing queued, nothing sent
        assert len(smtp_server.recorder.messages) == 4
        monkeypatch.setitem(smtp_app.config, "MAIL_SENDING_TIMEOUT", 0)
        assert recover_stuck() == {"released": 2, "uncertain": 1}
        sweep_sends()
        states = sorted(_states(crashed).values())
    assert states == ["sent", "sent", "uncertain"]
    assert len(smtp_server.recorder.messages) == 6 and len(set(smtp_server.recorder.recipients())) == 6


def _crashed_send(survey, account_id: int) -> int:
    """A started send whose batch job never ran (as if the worker died before its first message)."""
    from app.surveys.sending import launch_send

    send = Send(
        survey_id=survey.id, status=SendStatus.SCHEDULED, audience={"type": "accounts", "ids": [account_id]}
    )
    db.session.add(send)
    db.session.commit()
    from unittest import mock

    with mock.patch("app.surveys.sending.enqueue_batches"):
        launch_send(send.id)
    return send.id


def test_suppressed_addresses_are_never_mailed(smtp_app, smtp_server):
    from app.mail.suppression import suppress

    with smtp_app.app_context():
        contact = make_contact(email="erased-once@customer.example")
        suppress("Erased-Once@Customer.example ", "complaint")
        db.session.commit()
        send = create_send(make_survey(), {"type": "all"})
        inv = db.session.execute(
            sa.select(Invitation).where(Invitation.send_id == send.id, Invitation.contact_id == contact.id)
        ).scalar_one()
        assert (inv.state, inv.skip_reason) == (DeliveryState.SKIPPED, "suppressed")
    assert "erased-once@customer.example" not in smtp_server.recorder.recipients()
