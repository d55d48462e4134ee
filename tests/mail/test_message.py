"""Building survey emails: escaping in both parts, no header injection, deterministic Message-IDs,
the scale of each kind as buttons, and the contact's language."""

from __future__ import annotations

import email
import re
from email.policy import default

import pytest

from app.extensions import db
from app.mail.message import build_invitation, message_id, to_wire
from tests.factories import make_contact, make_invitation, make_survey


def _parse(msg):
    return email.message_from_bytes(to_wire(msg), policy=default)


def test_hostile_contact_names_are_escaped_in_html_inert_in_text_and_cannot_add_headers(app):
    with app.app_context():
        contact = make_contact(name="<script>alert(1)</script>\r\nBcc: victim@example.com")
        inv, _ = make_invitation(contact=contact)
        msg = _parse(build_invitation(inv))
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Hi <script>alert(1)</script>  Bcc: victim@example.com," in text  # plain text: shown, never run
    assert msg["Bcc"] is None and "victim" not in str(msg["To"].addresses[0].addr_spec)


def test_staff_texts_with_markup_are_escaped_in_the_html_part(app):
    with app.app_context():
        inv, _ = make_invitation(make_survey(question='Do you like <b onclick="x()">us</b>?'))
        html = _parse(build_invitation(inv)).get_body(("html",)).get_content()
    assert "<b onclick" not in html and "&lt;b onclick=" in html


def test_message_ids_are_deterministic_per_invitation_and_kind(app):
    with app.app_context():
        assert message_id(7, "invitation") == message_id(7, "invitation")
        assert message_id(7, "invitation") != message_id(8, "invitation") != message_id(7, "reminder")
        assert re.fullmatch(
            r"<invitation\.7\.[0-9a-f]{20}@clearloop\.localhost>", message_id(7, "invitation")
        )


@pytest.mark.parametrize(
    ("kind", "scores", "low"),
    [("nps", 11, "Not at all likely"), ("csat", 5, "Very unsatisfied"), ("ces", 7, "Strongly disagree")],
)
def test_each_kind_shows_its_scale_as_buttons(app, kind, scores, low):
    with app.app_context():
        inv, token = make_invitation(make_survey(kind))
        html = _parse(build_invitation(inv)).get_body(("html",)).get_content()
    links = re.findall(rf"/r/{token}/s/(\d+)", html)
    assert len(links) == scores and low in html


def test_a_feedback_form_invitation_has_one_button_and_no_scale(app):
    with app.app_context():
        inv, token = make_invitation(make_survey("form"))
        msg = _parse(build_invitation(inv))
    html = msg.get_body(("html",)).get_content()
    assert f"/r/{token}/s/" not in html and f'href="http://localhost/r/{token}"' in html
    assert msg["Subject"] == "Clearloop Demo Co. would like your feedback"


def test_the_email_is_in_the_contacts_language(app):
    with app.app_context():
        inv, _ = make_invitation(make_survey("nps"), make_contact(locale="de-AT", name="Jörg"))
        msg = _parse(build_invitation(inv))
        reminder = _parse(build_invitation(inv, reminder=True))
    assert msg["Subject"] == "Wie wahrscheinlich ist es, dass Sie Clearloop Demo Co. empfehlen?"
    assert msg["Content-Language"] == "de"
    assert "Hallo Jörg," in msg.get_body(("plain",)).get_content()
    assert "Von Umfragen abmelden" in msg.get_body(("html",)).get_content()
    assert reminder["Subject"].startswith("Erinnerung: ")
    assert reminder["Message-ID"] != msg["Message-ID"]


def test_an_erased_contact_cannot_be_mailed(app):
    with app.app_context():
        inv, _ = make_invitation()
        inv.contact_id = None
        db.session.flush()
        db.session.refresh(inv)
        with pytest.raises(ValueError):
            build_invitation(inv)


def test_a_company_name_ending_in_a_full_stop_ends_the_sentence_once(app, client):
    from app.workspace_settings import set_settings

    with app.app_context():
        set_settings({"company_name": "Acme & Sons Inc."})
        inv, token = make_invitation()
        db.session.commit()
        msg = _parse(build_invitation(inv))
    for part in ("html", "plain"):
        body = msg.get_body((part,)).get_content()
        assert "Inc.." not in body
        assert "customer of Acme &amp; Sons Inc." in body or "customer of Acme & Sons Inc." in body
    page = client.get(f"/r/{token}/s/9").get_data(as_text=True)
    assert "Your answer goes to Acme &amp; Sons Inc.</p>" in page
