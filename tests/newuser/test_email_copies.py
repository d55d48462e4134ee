"""Issue 12 items 6 and 10: only admins see the outbox (its score links are live); previews show inert
copies; the sidebar marks one entry."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.mail.message import build_invitation
from app.mail.transport import OutboxTransport
from app.models import OutboxMessage
from tests.factories import make_invitation, make_survey


def _kept_message(app) -> int:
    with app.app_context():
        inv, _token = make_invitation()
        OutboxTransport().send(build_invitation(inv), "invitation")
        db.session.commit()
        return db.session.execute(sa.select(OutboxMessage.id)).scalar_one()


def test_only_admins_see_the_outbox_and_its_sidebar_entry(
    app, admin_client, cs_client, pm_client, viewer_client
):
    message_id = _kept_message(app)
    for client in (cs_client, pm_client, viewer_client):
        assert client.get("/outbox").status_code == 403
        assert client.get(f"/outbox/{message_id}").status_code == 403
        assert client.get(f"/outbox/{message_id}/html").status_code == 403
        assert 'href="/outbox"' not in client.get("/").get_data(as_text=True)
    assert admin_client.get(f"/outbox/{message_id}").status_code == 200
    assert 'href="/outbox"' in admin_client.get("/").get_data(as_text=True)


def test_the_email_preview_is_an_inert_copy(app, viewer_client, admin_client):
    with app.app_context():
        survey_id = make_survey("nps").id
        db.session.commit()
    for client in (viewer_client, admin_client):
        html = client.get(f"/surveys/{survey_id}/email.html").get_data(as_text=True)
        assert "/r/" not in html and not re.search(r"<a\b[^>]*\shref=", html)
        assert 'aria-disabled="true"' in html and ">10<" in html  # the buttons are still there to look at


def test_settings_highlights_only_settings_in_the_sidebar(admin_client):
    page = admin_client.get("/settings").get_data(as_text=True)
    current = re.findall(r'<a href="([^"]+)" aria-current="page"', page)
    assert current == ["/settings"]
    overview = admin_client.get("/").get_data(as_text=True)
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', overview) == ["/"]
