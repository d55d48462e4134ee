"""Mail scanners open every link of an email. A GET never answers or unsubscribes; several score links
of one invitation within seconds, or the hidden link, flag a scanner; the page's automatic save is then
held until a person presses the button."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.mail.message import build_invitation, to_wire
from app.models import Invitation, LinkClick, Response
from tests.factories import make_invitation, make_survey
from tests.surveys.util import JSON, form_key, path_of

LINK = re.compile(r'href="(http://localhost/[^"]+)"')


def test_opening_every_link_of_a_rendered_invitation_without_scripts_changes_nothing(app, client):
    with app.app_context():
        inv, _ = make_invitation(make_survey("nps"))
        db.session.commit()
        raw = to_wire(build_invitation(inv)).decode()
        import email
        from email.policy import default

        msg = email.message_from_string(raw, policy=default)
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        links = set(LINK.findall(html)) | set(re.findall(r"http://localhost/\S+", text))
        links.add(msg["List-Unsubscribe"].strip("<>"))
        assert len(links) >= 11 + 3  # 11 scores, unsubscribe, one-click, hidden
        for link in sorted(links):
            assert client.get(path_of(link)).status_code in (200, 204)
        db.session.refresh(inv)
        assert db.session.execute(sa.select(sa.func.count(Response.id))).scalar_one() == 0
        assert inv.contact.unsubscribed_at is None
        assert inv.scanner_flagged_at is not None and inv.responded_at is None
        flagged = db.session.execute(sa.select(LinkClick.suspected_scanner)).scalars().all()
        assert len(flagged) >= 12 and all(flagged)


def test_the_hidden_link_flags_a_scanner(app, client):
    with app.app_context():
        inv, token = make_invitation()
        db.session.commit()
        assert client.get(f"/r/{token}/h").status_code == 204
        db.session.refresh(inv)
        assert inv.scanner_flagged_at is not None
        assert db.session.execute(sa.select(LinkClick.kind)).scalar_one() == "hidden"


def test_one_person_clicking_one_score_is_not_a_scanner(app, client):
    with app.app_context():
        inv, token = make_invitation()
        db.session.commit()
        client.get(f"/r/{token}/s/9")
        client.get(f"/r/{token}/s/9")  # a double click on the same button
        db.session.refresh(inv)
        assert inv.scanner_flagged_at is None


def test_after_a_scanner_the_automatic_save_waits_for_a_press(app, client):
    with app.app_context():
        inv, token = make_invitation()
        db.session.commit()
        client.get(f"/r/{token}/s/0")
        key = form_key(client.get(f"/r/{token}/s/10").get_data(as_text=True))
        held = client.post(f"/r/{token}", data={"key": key, "score": "10", "auto": "1"}, headers=JSON)
        assert held.status_code == 409 and held.get_json()["error"]["field"] == "confirm"
        assert db.session.execute(sa.select(sa.func.count(Response.id))).scalar_one() == 0
        pressed = client.post(f"/r/{token}", data={"key": key, "score": "10"})
        assert pressed.status_code == 303
        assert db.session.execute(sa.select(Response.score)).scalar_one() == 10
        assert db.session.get(Invitation, inv.id).scanner_flagged_at is not None
