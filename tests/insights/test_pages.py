"""The Topics analytics pages: figures on the page, links that follow the explorer contract, strict CSP,
bad query arguments never a 500, and who may read them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from app.extensions import db
from app.models import utcnow
from tests.factories import make_account
from tests.helpers import text
from tests.insights.conftest import add_response, bulk_nps, topic


def _yesterday_noon() -> datetime:
    now = utcnow()
    return datetime(now.year, now.month, now.day, 12, tzinfo=UTC) - timedelta(days=1)


@pytest.fixture
def seeded(app):
    """The issue's known answer in the last 4 weeks, and a negative account on a subtopic."""
    with app.app_context():
        at = _yesterday_noon()
        billing = topic("Billing")
        invoices = topic("Invoices", parent=billing)
        bulk_nps(at, (480, 280, 140))
        bulk_nps(at, (20, 20, 60), topics={billing: "negative"})
        acme = make_account(name="Acme & <Sons>", arr=250_000)
        add_response(at, 2, topics={invoices: "negative"}, account_id=acme.id)
        db.session.commit()
        return {"billing": billing, "invoices": invoices, "acme": acme.id}


def test_topics_page_shows_the_figures_and_states_its_methods(viewer_client, seeded):
    resp = viewer_client.get("/insights/topics?days=28")
    assert resp.status_code == 200
    page = text(resp)
    assert "Billing" in page and "Invoices" in page
    # The issue's −7.78, moved by the one detractor on the subtopic: 29.87 − 37.78 = −7.91.
    assert "−7.91" in page
    for method in (
        "delta method",
        "HC3",
        "Fisher exact",
        "Benjamini–Hochberg",
        "Wilson",
        "each account counted",
    ):
        assert method in page
    assert "250,000" in page  # revenue at stake rolls up to the parent


def test_links_follow_the_explorer_contract(viewer_client, seeded):
    html = viewer_client.get("/insights/topics?days=28").get_data(as_text=True)
    explorer = [urlparse(h.replace("&amp;", "&")) for h in re.findall(r'href="(/responses\?[^"]+)"', html)]
    assert explorer, "topic rows link to the explorer"
    for link in explorer:
        args = parse_qs(link.query)
        assert set(args) <= {"topic", "start", "end", "survey", "mention_sentiment", "account"}
        for day in args.get("start", []) + args.get("end", []):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day)
    assert any(parse_qs(link.query).get("topic") == [str(seeded["billing"])] for link in explorer)


def test_topic_page_lists_accounts_with_links_and_draws_an_svg_trend(cs_client, seeded):
    resp = cs_client.get(f"/insights/topics/{seeded['billing']}?days=28")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert f'href="/accounts/{seeded["acme"]}"' in html
    assert "Acme &amp; &lt;Sons&gt;" in html  # escaped, never marked safe
    assert '<svg class="trend"' in html and "<polyline" in html
    assert f"account={seeded['acme']}" in html and "mention_sentiment=negative" in html
    assert "Invoices" in text(resp)  # the subtopics table


def test_pages_keep_the_strict_csp(viewer_client, seeded):
    for url in ("/insights/topics", f"/insights/topics/{seeded['billing']}"):
        resp = viewer_client.get(url)
        html = resp.get_data(as_text=True)
        assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
        assert not re.search(r"<[^>]+\sstyle=", html), f"inline style on {url}"
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"inline script on {url}"


BAD_QUERIES = [
    "days=abc",
    "days=-7",
    "days=99999999999999999999",
    "end=2026-13-45",
    "end=9999-12-31",
    "end=0001-01-01",
    "survey=abc",
    "survey=99999999999999999999",
    "sort=drop%20table",
    "days=7&days=28",
    "end=%ff",
    "days=%F0%9F%92%A9",
]


def test_bad_query_arguments_fall_back_to_defaults(viewer_client, seeded):
    for query in BAD_QUERIES:
        assert viewer_client.get(f"/insights/topics?{query}").status_code == 200, query
        assert viewer_client.get(f"/insights/topics/{seeded['billing']}?{query}").status_code == 200, query


def test_unknown_and_retired_topics_are_404(viewer_client, app, seeded):
    assert viewer_client.get("/insights/topics/999999").status_code == 404
    with app.app_context():
        from app.models import Topic

        db.session.get(Topic, seeded["invoices"]).is_active = False
        db.session.commit()
    assert viewer_client.get(f"/insights/topics/{seeded['invoices']}").status_code == 404


def test_every_sort_orders_rows(viewer_client, seeded):
    for sort in ("tree", "volume", "change", "impact", "revenue"):
        assert viewer_client.get(f"/insights/topics?sort={sort}").status_code == 200


def test_anonymous_readers_sign_in_first(client):
    resp = client.get("/insights/topics")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def _driver_cells(html: str) -> dict[str, str]:
    """Each driver cell's opening text (up to its first tag)."""
    return dict(re.findall(r'data-driver-cell="(\d+)">([^<]*)', html))


def test_the_driver_column_comes_in_a_second_request(viewer_client, seeded, app):
    """The page leaves the driver cells pending (with the script that fetches them, and a link without
    script); the fragment holds every topic's cell, the fitted estimate where there is one."""
    from app.insights import analytics
    from app.insights.periods import days_ending

    html = viewer_client.get("/insights/topics?days=28").get_data(as_text=True)
    billing = str(seeded["billing"])
    assert _driver_cells(html)[billing].strip() == "fitting…"
    assert "js/topic-drivers.js" in html and "data-drivers-url=" in html
    url = re.search(r'data-drivers-url="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "/insights/topics/drivers?" in url and "days=28" in url
    assert "drivers=1" in html  # the link for readers without script
    fragment = viewer_client.get(url)
    assert fragment.status_code == 200
    cells = _driver_cells(fragment.get_data(as_text=True))
    assert set(cells) == {billing, str(seeded["invoices"])}
    with app.app_context():
        end = datetime.strptime(parse_qs(urlparse(url).query)["end"][0], "%Y-%m-%d").date()
        fitted = analytics.drivers(days_ending(end, 28, "UTC"))
    value = fitted.estimates[seeded["billing"]].value
    assert f"{value:+.1f}".replace("-", "−") in fragment.get_data(as_text=True)


def test_the_driver_fragment_needs_a_reader_and_survives_bad_arguments(client, viewer_client, seeded):
    assert client.get("/insights/topics/drivers").status_code == 302
    for query in ("days=abc", "end=2026-99-99", "survey=x", "days=-5&end="):
        assert viewer_client.get(f"/insights/topics/drivers?{query}").status_code == 200, query
    html = viewer_client.get("/insights/topics?days=28&drivers=1").get_data(as_text=True)
    assert "fitting…" not in html  # asked for without script: fitted in the page's own request
