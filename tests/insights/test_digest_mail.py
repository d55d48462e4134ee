"""The digest as received by a real SMTP server on loopback (aiosmtpd), parsed: both parts, their links,
inlined CSS and table bars, redaction, the size limit — and the same digest as a page in the app."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.insights import services
from app.insights.emails import MAX_EMAIL_BYTES
from app.mail.queries import links as text_links
from app.models import Digest
from tests.factories import make_account
from tests.helpers import text
from tests.insights.conftest import add_response, make_team, topic
from tests.insights.test_digest import DUE, MID, _build_week

HREF = re.compile(r'href="([^"]+)"')


def _send(smtp_app) -> tuple[list, dict]:
    with smtp_app.app_context():
        ids = _build_week()
        services.schedule_digests(DUE)
        digest = db.session.execute(sa.select(Digest)).scalar_one()
        ids["digest"] = digest.id
    return ids


def test_the_digest_arrives_with_both_parts_and_working_links(smtp_app, smtp_server):
    ids = _send(smtp_app)
    received = smtp_server.recorder.parsed()
    assert sorted(m["To"].addresses[0].addr_spec for m in received) == ids["members"]
    for msg in received:
        raw = msg.as_bytes()
        assert len(raw) < MAX_EMAIL_BYTES
        assert msg.get_content_type() == "multipart/alternative"
        assert re.fullmatch(r"<digest\.\d+\.[0-9a-f]{20}@clearloop\.localhost>", msg["Message-ID"])
        assert msg["Subject"] == "Billing squad: customer feedback, week of 23–29 Mar 2026"
        plain = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        # css-inline moved the stylesheet into style attributes; bars are tables, not SVG.
        assert "<style" not in html and 'style="' in html and "<svg" not in html
        assert re.search(r'<td[^>]*width="\d+%"', html)
        # Both parts carry the same links, all absolute, to real pages of the app.
        html_links = {h.replace("&amp;", "&") for h in HREF.findall(html)}
        assert set(text_links(plain)) == html_links
        assert all(link.startswith("http://localhost/") for link in html_links)
        assert f"http://localhost/digests/{ids['digest']}" in html_links
        assert f"http://localhost/accounts/{ids['big']}" in html_links
        assert any(re.search(r"/responses/\d+$", link) for link in html_links)
        assert (
            f"http://localhost/responses?topic={ids['billing']}&start=2026-03-23&end=2026-03-29" in html_links
        )
        assert any("mention_sentiment=negative" in link for link in html_links)
        # Redacted verbatims: neither the respondent's email nor her name.
        for part in (plain, html):
            assert "jane.roe@globex.example" not in part and "Jane Roe" not in part
            assert "the invoice export is broken again, call me at [EMAIL]" in part


def test_the_same_digest_is_a_page_in_the_app(smtp_app, smtp_server, login):
    ids = _send(smtp_app)
    client = smtp_app.test_client()
    login(client, "viewer")
    page = client.get(f"/digests/{ids['digest']}")
    assert page.status_code == 200
    words = text(page)
    sections = ("Your topics", "Emerging topics", "Top movers", "Most negative themes", "Revenue at stake")
    for section in (*sections, "Closed since the last digest"):
        assert section in words
    assert "Globex" in words and "340,000" in words and "[EMAIL]" in words and "jane.roe" not in words
    html = page.get_data(as_text=True)
    assert not re.search(r"<[^>]+\sstyle=", html)
    assert client.get(f"/digests/{ids['digest']}/email.html").status_code == 200


def test_a_heavy_week_stays_under_100_kb(smtp_app, smtp_server):
    with smtp_app.app_context():
        long = "The export keeps failing and support never answers. " * 40
        topics = [topic(f"Area {i:02d} with a long descriptive name") for i in range(40)]
        accounts = [make_account(name=f"Enterprise customer number {i} with a long name") for i in range(30)]
        for i in range(600):
            add_response(
                MID + timedelta(minutes=i),
                i % 11,
                comment=long,
                topics={topics[i % 40]: "negative", topics[(i * 7) % 40]: "positive"},
                account_id=accounts[i % 30].id,
            )
        make_team(name="Everything", timezone="Europe/Berlin").created_at = datetime(2026, 1, 1, tzinfo=UTC)
        db.session.commit()
        services.schedule_digests(DUE)
    (msg,) = smtp_server.recorder.parsed()
    assert len(msg.as_bytes()) < MAX_EMAIL_BYTES
    assert "Area" in msg.get_body(("plain",)).get_content()
