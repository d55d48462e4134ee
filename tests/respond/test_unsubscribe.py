"""Unsubscribing changes state only on POST: the page's button or RFC 8058 one-click. The address is
suppressed, reminders stop, and later sends skip the contact."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.mail.suppression import is_suppressed
from app.models import Contact, DeliveryState, Invitation, utcnow
from app.surveys.sending import create_send
from tests.factories import make_invitation, make_survey
from tests.surveys.util import form_key


def _contact(app, inv_id: int) -> Contact:
    return db.session.get(Invitation, inv_id).contact


def test_the_page_asks_and_only_its_post_unsubscribes(app, client):
    with app.app_context():
        inv, token = make_invitation()
        db.session.commit()
        page = client.get(f"/r/{token}/unsubscribe")
        assert page.status_code == 200 and "Unsubscribe from surveys?" in page.get_data(as_text=True)
        db.session.refresh(inv.contact)
        assert inv.contact.unsubscribed_at is None
        assert client.post(f"/r/{token}/unsubscribe", data={}).status_code == 400
        key = form_key(page.get_data(as_text=True))
        done = client.post(f"/r/{token}/unsubscribe", data={"key": key})
        assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
        db.session.refresh(inv.contact)
        assert inv.contact.unsubscribed_at is not None and is_suppressed(inv.contact.email)


def test_rfc8058_one_click_post_unsubscribes_and_a_get_does_not(app, client):
    with app.app_context():
        inv, token = make_invitation(expires_at=utcnow() - timedelta(days=1))  # old emails still work
        db.session.commit()
        url = f"/r/{token}/unsubscribe/one-click"
        assert client.get(url).status_code == 200
        db.session.refresh(inv.contact)
        assert inv.contact.unsubscribed_at is None
        assert client.post(url, data={"List-Unsubscribe": "Yes"}).status_code == 400
        resp = client.post(url, data={"List-Unsubscribe": "One-Click"})
        assert resp.status_code == 200 and resp.get_data(as_text=True) == "Unsubscribed.\n"
        assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # idempotent
        db.session.refresh(inv.contact)
        assert inv.contact.unsubscribed_at is not None and is_suppressed(inv.contact.email)


def test_an_unsubscribed_contact_is_skipped_by_the_next_send(app, client):
    with app.app_context():
        inv, token = make_invitation()
        db.session.commit()
        client.post(f"/r/{token}/unsubscribe/one-click", data={"List-Unsubscribe": "One-Click"})
        send = create_send(make_survey(), {"type": "emails", "emails": [inv.contact.email]})
        again = db.session.execute(sa.select(Invitation).where(Invitation.send_id == send.id)).scalar_one()
        # the most specific reason (issue 12 item 8), though the address is on the suppression list too
        assert (again.state, again.skip_reason) == (DeliveryState.SKIPPED, "unsubscribed")


def test_unknown_tokens_cannot_unsubscribe_anyone(client):
    resp = client.post(f"/r/{'Z' * 43}/unsubscribe/one-click", data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 404
