"""The accounts and contacts lists: search, filters, allow-listed sorts, paging, bounded queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.models import Lifecycle, Tier, utcnow
from tests.accounts.conftest import text
from tests.factories import make_account, make_contact, make_response, make_survey, make_user


def names_in(resp) -> list[str]:
    """Account or contact links in list order."""
    return re.findall(r'href="/(?:accounts|contacts)/\d+">([^<]+)</a>', resp.get_data(as_text=True))


@pytest.fixture
def accounts(rows):
    """Four accounts that differ in every filterable way."""

    def build():
        owner = make_user(role="cs", name="Casey Owner")
        today = utcnow().date()
        return [
            make_account(
                name="Acme Logistics",
                domain="acme.example",
                external_id="ACC-1",
                arr=120_000,
                tier=Tier.ENTERPRISE,
                plan="Enterprise",
                lifecycle_stage=Lifecycle.GROWTH,
                renewal_date=today + timedelta(days=20),
                csm_owner=owner,
            ),
            make_account(
                name="Bolt Retail",
                domain="bolt.example",
                external_id="ACC-2",
                arr=9_000,
                tier=Tier.SMB,
                plan="Starter",
                lifecycle_stage=Lifecycle.AT_RISK,
                renewal_date=today + timedelta(days=200),
            ),
            make_account(
                name="Cobalt 100% Media",
                domain="cobalt.example",
                external_id="X_9",
                arr=50_000,
                tier=Tier.MID_MARKET,
                plan="Business",
                renewal_date=today - timedelta(days=5),
            ),
            make_account(
                name="delta health",
                domain="delta.example",
                external_id="ACC-4",
                arr=75_000,
                tier=Tier.MID_MARKET,
                plan="Business",
                csm_owner=owner,
            ),
        ]

    return rows(build)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=acme", ["Acme Logistics"]),
        ("q=ACME", ["Acme Logistics"]),
        ("q=bolt.example", ["Bolt Retail"]),
        ("q=ACC-4", ["delta health"]),
        ("q=ACC", []),  # external IDs match exactly, names and domains by substring
        ("q=100%25", ["Cobalt 100% Media"]),  # % is a literal, not a wildcard
        ("q=X_9", ["Cobalt 100% Media"]),
        ("q=_", []),
        ("tier=mid_market", ["Cobalt 100% Media", "delta health"]),
        ("plan=Starter", ["Bolt Retail"]),
        ("lifecycle=at_risk", ["Bolt Retail"]),
        ("csm=0", ["Bolt Retail", "Cobalt 100% Media"]),
        ("renewal_days=30", ["Acme Logistics"]),
        ("renewal_days=365&tier=smb", ["Bolt Retail"]),
        ("sort=-arr", ["Acme Logistics", "delta health", "Cobalt 100% Media", "Bolt Retail"]),
        ("sort=arr", ["Bolt Retail", "Cobalt 100% Media", "delta health", "Acme Logistics"]),
        ("sort=renewal", ["Cobalt 100% Media", "Acme Logistics", "Bolt Retail", "delta health"]),
    ],
)
def test_accounts_search_filter_and_sort(viewer_client, accounts, query, expected):
    resp = viewer_client.get(f"/accounts?{query}")
    assert resp.status_code == 200
    assert names_in(resp) == expected


def test_filter_by_csm_owner(viewer_client, accounts, app):
    from app.extensions import db
    from app.models import Account

    with app.app_context():
        owner_id = db.session.get(Account, accounts[0]).csm_owner_id
    resp = viewer_client.get(f"/accounts?csm={owner_id}")
    assert names_in(resp) == ["Acme Logistics", "delta health"]
    assert "Casey Owner" in text(resp)


def test_sort_by_nps_uses_the_shrunk_12_month_figure_with_accounts_without_answers_last(viewer_client, rows):
    """Issue 14 §1/§4: the list shows the 12-month NPS shrunk toward the tier, with the raw figure and n."""
    from app.health.services import refresh_account_nps

    def build():
        survey = make_survey("nps")
        low, high, none, one = (make_account(name=n) for n in ("Low", "High", "None", "One"))
        for score in (10, 2, 3):
            make_response(survey, score=score, account=low, created_at=utcnow() - timedelta(days=30))
        make_response(survey, score=10, account=low)  # the newest answer no longer decides
        for _ in range(4):
            make_response(survey, score=9, account=high)
        make_response(survey, score=0, account=one)  # one detractor: shrunk, not -100
        make_response(survey, score=0, account=none, created_at=utcnow() - timedelta(days=400))  # too old
        refresh_account_nps()
        return [low, high, none, one]

    rows(build)
    page = viewer_client.get("/accounts?sort=-nps")
    assert names_in(page) == ["High", "Low", "One", "None"]
    assert names_in(viewer_client.get("/accounts?sort=nps")) == ["One", "Low", "High", "None"]
    # prior (every account, no tiers): 9 answers, 6 promoters, 3 detractors;
    # One: (0 + 10·6/9 − 1 − 10·3/9) / (1 + 10) · 100 = +21; Low: (2 + 6.67 − 2 − 3.33) / 14 = +24
    body = text(page)
    assert "+21 raw -100 · n=1 · few" in body and "+24 raw +0 · n=4" in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=password_hash", "Cannot sort by 'password_hash'"),
        ("sort=-name;drop", "Cannot sort by"),
        ("tier=platinum", "Unknown tier 'platinum'"),
        ("lifecycle=dead", "Unknown lifecycle stage"),
        ("renewal_days=-3", "Renewal within (days) must be a whole number"),
        ("page=0", "Page must be a whole number"),
        ("page=abc", "Page must be a whole number"),
        ("csm=me", "CSM owner must be a whole number"),
        ("q=" + "x" * 201, "Search text is limited to 200 characters"),
    ],
)
def test_bad_list_parameters_are_refused_with_a_reason(viewer_client, query, message):
    resp = viewer_client.get(f"/accounts?{query}")
    assert resp.status_code == 400
    assert message in text(resp)


def test_paging(viewer_client, rows):
    rows(lambda: [make_account(name=f"Paged {i:03d}") for i in range(57)])
    first = viewer_client.get("/accounts?q=Paged")
    second = viewer_client.get("/accounts?q=Paged&page=2")
    assert len(names_in(first)) == 50 and len(names_in(second)) == 7
    assert names_in(second)[0] == "Paged 050"
    assert "Page 2 of 2" in text(second) and "57 in all" in text(second)
    assert names_in(viewer_client.get("/accounts?q=Paged&page=9")) == []


def test_list_queries_do_not_grow_with_the_page(viewer_client, rows, app):
    """Fifty accounts, each with an owner, contacts and answers, in a fixed handful of statements."""

    def build():
        survey = make_survey("nps")
        for i in range(50):
            account = make_account(name=f"Bulk {i:02d}", csm_owner=make_user(role="cs"))
            make_contact(account=account)
            make_response(survey, score=i % 11, account=account)

    rows(build)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        resp = viewer_client.get("/accounts?q=Bulk&sort=-nps")
    finally:
        event.remove(sa.engine.Engine, "before_cursor_execute", count)
    assert len(names_in(resp)) == 50
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    # 12: the health overrides in force (app/health) and the zone of their local day, whatever the page size
    assert len(selects) <= 12, f"{len(selects)} SELECTs for one page: {selects}"


@pytest.fixture
def people(rows):
    def build():
        acme = make_account(name="Acme", domain="acme.example")
        other = make_account(name="Other Co")
        now = utcnow()
        return [
            make_contact(
                acme,
                email="jane@acme.example",
                name="Jane Roe",
                locale="de",
                last_surveyed_at=now - timedelta(days=3),
            ),
            make_contact(acme, email="bob@acme.example", name="Bob Stone", unsubscribed_at=now),
            make_contact(
                other,
                email="zed@other.example",
                name="Zed Acme",
                bounced_at=now,
                bounce_count=1,
                last_surveyed_at=now - timedelta(days=40),
            ),
            acme,
        ]

    return rows(build)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=JANE", ["jane@acme.example"]),
        ("q=acme", ["bob@acme.example", "jane@acme.example", "zed@other.example"]),  # email, name or account
        ("q=other co", ["zed@other.example"]),
        ("locale=de", ["jane@acme.example"]),
        ("status=unsubscribed", ["bob@acme.example"]),
        ("status=bounced", ["zed@other.example"]),
        ("status=emailable", ["jane@acme.example"]),
        ("surveyed_days=7", ["jane@acme.example"]),
        ("surveyed_days=60&sort=-surveyed", ["jane@acme.example", "zed@other.example"]),
        ("sort=-email", ["zed@other.example", "jane@acme.example", "bob@acme.example"]),
    ],
)
def test_contacts_search_filter_and_sort(viewer_client, people, query, expected):
    resp = viewer_client.get(f"/contacts?{query}&q2=")
    assert resp.status_code == 200
    shown = [e for e in names_in(resp) if "@" in e]
    assert [
        e for e in shown if e in {"jane@acme.example", "bob@acme.example", "zed@other.example"}
    ] == expected


def test_contacts_of_one_account(viewer_client, people):
    resp = viewer_client.get(f"/contacts?account={people[3]}")
    assert sorted(e for e in names_in(resp) if "@" in e) == ["bob@acme.example", "jane@acme.example"]
    assert "People at Acme" in text(resp)


@pytest.mark.parametrize(
    "query", ["locale=xx", "status=deleted", "sort=token_hash", "surveyed_days=x", "account=-1"]
)
def test_bad_contact_filters_are_refused(viewer_client, query):
    assert viewer_client.get(f"/contacts?{query}").status_code == 400


def test_viewers_read_without_edit_buttons_and_cs_sees_them(viewer_client, cs_client, accounts):
    for path in ("/accounts", "/contacts", f"/accounts/{accounts[0]}"):
        assert "Import CSV" not in text(viewer_client.get(path)) and "Edit account" not in text(
            viewer_client.get(path)
        )
    assert "Import CSV" in text(cs_client.get("/accounts"))
    assert "Edit account" in text(cs_client.get(f"/accounts/{accounts[0]}"))


def test_empty_lists_say_what_to_do(cs_client):
    assert "No accounts yet" in text(cs_client.get("/accounts"))
    assert "No accounts match" in text(cs_client.get("/accounts?q=nothing-like-this"))
    assert "No contacts yet" in text(cs_client.get("/contacts"))


def test_a_broad_search_stops_counting_at_the_cap(viewer_client, rows, monkeypatch):
    from app.accounts import listing

    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    rows(
        lambda: (
            [make_account(name=f"Capped {i}") for i in range(5)]
            + [make_contact(name=f"Capped {i}") for i in range(5)]
        )
    )
    page = text(viewer_client.get("/accounts?q=capped"))
    assert "3+ accounts" in page and "More than 3 match this search" in page
    assert "10 accounts" in text(
        viewer_client.get("/accounts?tier=")
    )  # no search: an exact count (5 + 5 for contacts)
    assert "3+ contacts" in text(viewer_client.get("/contacts?q=capped"))
