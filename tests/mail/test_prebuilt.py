"""Sending fills each contact into a message prebuilt once per survey × language: the bytes must be those
the ``email`` package builds field by field for the same contact (``compose_invitation``), names and
subjects outside ASCII included, with the contact's own links and both unsubscribe headers."""

from __future__ import annotations

import email
import re
from email.headerregistry import Address
from email.policy import default

import pytest

from app.extensions import db
from app.mail import message
from app.mail.message import build_invitation, compose_invitation, header_bytes, to_header, to_wire
from tests.factories import make_contact, make_invitation, make_survey

NAMES = [
    "Ann Lee",
    "Jörg Müller-Lüdenscheidt",
    "Zoë Ångström",
    "李雷",
    "Ольга",
    'J. R. "Bob" Smith, Jr.',
    "<script>alert(1)</script> & 'co'",
    "O'Brien",
    "",
    "   ",
    "x" * 180,
    "Tab\tand\r\nBcc: victim@example.com",
]


def _same_boundary(raw: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', raw).group(1)
    return raw.replace(boundary, b"BOUNDARY")


@pytest.fixture
def fixed_date(monkeypatch):
    monkeypatch.setattr(message, "date_value", lambda now=None: "Sun, 06 Dec 2026 12:00:00 +0000")


@pytest.mark.parametrize("kind", ["nps", "csat", "ces", "form"])
@pytest.mark.parametrize("locale", ["en", "de-AT", "fr", "es", "xx"])
def test_the_prebuilt_message_is_byte_for_byte_the_email_package_one(app, fixed_date, kind, locale):
    with app.app_context():
        survey = make_survey(kind)
        cache: dict = {}
        for name in NAMES:
            inv, _ = make_invitation(survey, make_contact(locale=locale, name=name))
            for reminder in (False, True):
                fast = to_wire(build_invitation(inv, reminder, texts_cache=cache))
                slow = to_wire(compose_invitation(inv, reminder, texts_cache=cache))
                assert _same_boundary(fast) == _same_boundary(slow), (name, reminder)


def test_each_contact_gets_its_own_links_headers_and_name(app):
    with app.app_context():
        survey = make_survey("nps")
        cache: dict = {}
        first, first_token = make_invitation(survey, make_contact(locale="fr", name="Zoë"))
        second, second_token = make_invitation(survey, make_contact(locale="fr", name="Renée"))
        msgs = [
            email.message_from_bytes(to_wire(build_invitation(inv, texts_cache=cache)), policy=default)
            for inv in (first, second)
        ]
        addresses = [first.contact.email, second.contact.email]
    tokens = (first_token, second_token)
    for msg, token, other, name, address in zip(
        msgs, tokens, tokens[::-1], ("Zoë", "Renée"), addresses, strict=True
    ):
        raw = msg.as_string()
        assert token in raw and other not in raw
        assert msg["List-Unsubscribe"] == f"<http://localhost/r/{token}/unsubscribe/one-click>"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg["To"].addresses[0].display_name == name and msg["To"].addresses[0].addr_spec == address
        assert msg["Subject"] == "Quelle est la probabilité que vous recommandiez Clearloop Demo Co. ?"
        assert msg["Content-Language"] == "fr" and msg["Message-ID"].startswith("<invitation.")
        for part in ("plain", "html"):
            body = msg.get_body((part,))
            assert body["Content-Transfer-Encoding"] == "quoted-printable"
            assert body.get_content_charset() == "utf-8"
            assert f"Bonjour {name}," in body.get_content()
            assert f"/r/{token}/s/10" in body.get_content()
    assert msgs[0]["Message-ID"] != msgs[1]["Message-ID"]


def test_quoted_printable_lines_keep_to_76_characters(app):
    with app.app_context():
        inv, _ = make_invitation(make_survey("nps"), make_contact(locale="de", name="Ä" * 120))
        raw = to_wire(build_invitation(inv))
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_the_direct_to_header_is_what_the_email_package_writes(app):
    names = [*NAMES, "a b", "a  b", "Ann.", "Ann (CEO)", "Ann;Bob", "A@B", "=?utf-8?q?x?=", "x" * 950]
    addresses = ["a@b.example", "first.last+tag@sub.b.example", "o'hara@x.example", "x@localhost"]
    with app.app_context():
        for name in names:
            for address in addresses:
                display = message.clean_text(name)
                expected = header_bytes("To", Address(display_name=display, addr_spec=address))
                assert to_header(name, address) == expected, (name, address)


def test_a_changed_survey_or_company_name_rebuilds_the_prebuilt_message(app):
    from app.workspace_settings import set_settings

    with app.app_context():
        survey = make_survey("nps")
        inv, _ = make_invitation(survey)
        db.session.commit()
        assert b"Clearloop Demo Co." in to_wire(build_invitation(inv, texts_cache={}))
        set_settings({"company_name": "Zebra Tools"})
        db.session.commit()
        assert b"Zebra Tools" in to_wire(build_invitation(inv, texts_cache={}))
        survey.question = "Would you suggest our widgets?"
        db.session.commit()
        assert b"Would you suggest our widgets?" in to_wire(build_invitation(inv, texts_cache={}))
