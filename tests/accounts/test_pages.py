"""The account page (facts, contacts, recent responses, NPS over 12 months) and the contact page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.details import nps_history
from app.extensions import db
from app.models import DeliveryState, Invitation, Lifecycle, Send, Tier, utcnow
from tests.accounts.conftest import text
from tests.factories import make_account, make_contact, make_response, make_survey, make_user


@pytest.fixture
def story(rows):
    """An account with an owner, a contact, attributes and answers of several ages."""

    def build():
        owner = make_user(role="cs", name="Casey Owner")
        account = make_account(
            name="Acme <Logistics>",
            domain="acme.example",
            external_id="ACC-9",
            arr=120_000,
            plan="Enterprise",
            tier=Tier.ENTERPRISE,
            lifecycle_stage=Lifecycle.RENEWAL,
            csm_owner=owner,
            renewal_date=utcnow().date() + timedelta(days=45),
            attributes={"industry": "Retail", "seats": 250},
        )
        contact = make_contact(account, email="jane@acme.example", name="Jane Roe", title="VP Ops")
        nps = make_survey("nps", name="Relationship NPS")
        now = utcnow()
        for score in (10, 9, 9, 3):
            make_response(
                nps, score=score, account=account, contact=contact, created_at=now - timedelta(days=10)
            )
        make_response(nps, score=0, account=account, created_at=now - timedelta(days=400))  # too old to count
        make_response(
            nps,
            score=2,
            account=account,
            contact=contact,
            comment="<script>alert(1)</script> slow!",
            created_at=now - timedelta(days=1),
        )
        return [account, contact]

    return rows(build)


def test_account_page_shows_facts_contacts_responses_and_nps(viewer_client, story):
    resp = viewer_client.get(f"/accounts/{story[0]}")
    assert resp.status_code == 200
    page = text(resp)
    for expected in (
        "Acme <Logistics>",
        "120,000",
        "MRR 10,000",
        "Enterprise",
        "Renewal",
        "in 45 days",
        "Casey Owner",
        "industry",
        "Retail",
        "seats",
        "250",
        "Jane Roe",
        "VP Ops",
        "<script>alert(1)</script> slow!",
    ):
        assert expected in page, expected
    body = resp.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body  # user text is escaped, never markup
    # Last 12 months: 3 promoters, 2 detractors (3 and 2) of 5 → NPS +20; the 400-day-old 0 is out.
    assert "+20" in page and "5 answers" in page
    assert "3 promoters · 0 passives · 2 detractors" in page


def test_nps_history_by_month(app, story):
    with app.app_context():
        history = nps_history(story[0])
    assert len(history.months) == 12
    assert history.months[-1].month == utcnow().date().replace(day=1)
    assert history.overall.n == 5 and round(history.overall.value) == 20
    assert sum(m.score.n for m in history.months) == 5


def test_nps_history_month_edges(app, rows):
    def build():
        account = make_account()
        nps = make_survey("nps")
        make_response(nps, score=10, account=account, created_at=datetime(2026, 1, 31, 23, 59, tzinfo=UTC))
        make_response(nps, score=0, account=account, created_at=datetime(2026, 2, 1, 0, 1, tzinfo=UTC))
        make_response(nps, score=10, account=account, created_at=datetime(2025, 2, 28, 12, tzinfo=UTC))
        return account

    account_id = rows(build)
    with app.app_context():
        history = nps_history(account_id, now=datetime(2026, 2, 15, tzinfo=UTC))
    by_month = {m.month.isoformat(): m.score for m in history.months}
    assert history.months[0].month.isoformat() == "2025-03-01"  # Feb 2025 is 12 months back: excluded
    assert by_month["2026-01-01"].value == 100 and by_month["2026-02-01"].value == -100
    assert history.overall.n == 2


def test_contact_page_shows_consent_invitations_and_responses(viewer_client, rows, app):
    def build():
        contact = make_contact(
            email="pat@acme.example",
            name="Pat Lee",
            locale="fr",
            unsubscribed_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        )
        survey = make_survey("csat", name="Support CSAT")
        send = Send(survey=survey)
        db.session.add(send)
        db.session.flush()
        db.session.add(
            Invitation(
                send=send,
                survey=survey,
                contact=contact,
                token_salt="s" * 32,
                token_hash="h" * 64,
                state=DeliveryState.SKIPPED,
                skip_reason="unsubscribed",
            )
        )
        make_response(survey, score=2, contact=contact, comment="Took three days to answer.")
        return contact

    contact_id = rows(build)
    page = text(viewer_client.get(f"/contacts/{contact_id}"))
    for expected in (
        "Pat Lee",
        "pat@acme.example",
        "French",
        "unsubscribed",
        "02 Mar 2026 09:30 UTC",
        "Support CSAT",
        "skipped",
        "unsubscribed",
        "Took three days to answer.",
        "Invitations 1",
    ):
        assert expected in page, expected
    assert "Only they can undo an unsubscribe" in page


def test_missing_records_are_404(viewer_client):
    assert viewer_client.get("/accounts/999999").status_code == 404
    assert viewer_client.get("/contacts/999999").status_code == 404


def test_an_account_without_answers_says_so(viewer_client, rows):
    account_id = rows(lambda: make_account(name="Quiet Co"))
    page = text(viewer_client.get(f"/accounts/{account_id}"))
    assert "No NPS answers in 12 months" in page and "No contacts" in page and "No responses yet" in page
