"""Portfolio health: ARR at risk and by band, renewals at risk, scores/topics/health by stage, NPS by tier;
the accounts list's health columns, sorts and band filter."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.portfolio import arr_by_band, by_lifecycle, by_tier, health_for, renewals_at_risk
from app.extensions import db
from app.models import HealthBand, HealthSnapshot, Lifecycle, Mention, MentionSource, Tier, utcnow
from tests.accounts.conftest import text
from tests.factories import make_account, make_response, make_survey, make_topic


def snap(account, days_ago, score, band):
    db.session.add(
        HealthSnapshot(
            account_id=account.id,
            as_of=utcnow().date() - timedelta(days=days_ago),
            score=score,
            band=HealthBand(band),
            coverage=1.0,
        )
    )


@pytest.fixture
def book(rows):
    """Four live accounts (healthy, watch, at risk, no health) and a churned one at risk."""

    def build():
        today = utcnow().date()
        good = make_account(
            name="Good Co",
            arr=1000,
            tier=Tier.ENTERPRISE,
            lifecycle_stage=Lifecycle.GROWTH,
            renewal_date=today + timedelta(days=30),
        )
        watch = make_account(
            name="Watch Co",
            arr=300,
            tier=Tier.SMB,
            lifecycle_stage=Lifecycle.ONBOARDING,
            renewal_date=today + timedelta(days=60),
        )
        risky = make_account(
            name="Risky Co",
            arr=200,
            tier=Tier.SMB,
            lifecycle_stage=Lifecycle.ONBOARDING,
            renewal_date=today + timedelta(days=10),
        )
        later = make_account(name="Later Co", arr=50, renewal_date=today + timedelta(days=200))
        gone = make_account(name="Gone Co", arr=999, churned_on=today - timedelta(days=5))
        for account, history in (
            (good, [(100, 70, "healthy"), (30, 75, "healthy"), (0, 80, "healthy")]),
            (watch, [(95, 60, "healthy"), (0, 50, "watch")]),
            (risky, [(40, 55, "watch"), (0, 30, "at_risk")]),
            (later, [(0, 35, "at_risk")]),
            (gone, [(10, 20, "at_risk")]),
        ):
            for days_ago, score, band in history:
                snap(account, days_ago, score, band)
        nps = make_survey("nps")
        topic = make_topic("Billing")
        for score in (10, 9, 9):
            make_response(nps, score=score, account=good)
        for score in (2, 3):
            r = make_response(nps, score=score, account=watch, comment="billing is confusing")
            db.session.add(
                Mention(
                    response_id=r.id,
                    topic_id=topic.id,
                    source=MentionSource.PHRASE,
                    sentiment_label="negative",
                )
            )
        db.session.flush()
        return [good, watch, risky, later, gone]

    return rows(build)


def test_arr_at_risk_and_by_band(app, book):
    with app.app_context():
        bands = arr_by_band()
        by = {b.band: (b.accounts, b.arr) for b in bands.rows}
        assert by == {
            "healthy": (1, 1000),
            "watch": (1, 300),
            "at_risk": (2, 250),
            "insufficient": (0, 0),
            "none": (0, 0),
        }
        assert (bands.total_arr, bands.at_risk_arr, bands.at_risk_accounts) == (1550, 550, 3)
        assert bands.at_risk_share == pytest.approx(100 * 550 / 1550)


def test_arr_by_band_of_nothing(app):
    with app.app_context():
        bands = arr_by_band()
        assert (bands.total_arr, bands.at_risk_arr, bands.at_risk_share) == (0, 0, None)


def test_renewals_at_risk_are_the_next_90_days_watch_or_at_risk(app, book):
    _, watch, risky, *_ = book
    with app.app_context():
        rows = renewals_at_risk()
        assert [(r.account.id, r.days, r.band) for r in rows] == [
            (risky, 10, "at_risk"),
            (watch, 60, "watch"),
        ]
        assert (rows[0].change_30, rows[1].change_30) == (-25, -10)  # vs the newest snapshot 30+ days old


def test_health_change_over_30_and_90_days(app, book):
    good, watch, risky, later, _ = book
    with app.app_context():
        h = health_for([good, watch, risky, later])
        assert (h[good].score, h[good].change_30, h[good].change_90) == (80, 5, 10)
        assert (h[watch].change_30, h[watch].change_90) == (-10, -10)
        assert (h[risky].band, h[risky].change_30, h[risky].change_90) == ("at_risk", -25, None)
        assert h[later].change_30 is None


def test_by_stage_and_by_tier(app, book):
    with app.app_context():
        stages = {s.label: s for s in by_lifecycle()}
        onboarding = stages["Onboarding"]
        assert (onboarding.accounts, onboarding.arr, onboarding.at_risk) == (2, 500, 2)
        assert onboarding.health == pytest.approx(40.0)
        assert onboarding.scores["nps"].value == -100 and onboarding.scores["nps"].n == 2
        assert onboarding.topics[0]["name"] == "Billing" and onboarding.topics[0]["negative"] == 2
        assert stages["Growth"].scores["nps"].value == 100
        assert stages["No stage set"].accounts == 1  # Later Co; the churned account is not live
        tiers = {s.label: s for s in by_tier()}
        assert tiers["Enterprise"].nps_counts.nps_counts().promoters == 3
        assert tiers["SMB"].scores["nps"].n == 2


def test_portfolio_page_for_staff(viewer_client, book):
    page = viewer_client.get("/accounts/portfolio")
    assert page.status_code == 200
    body = text(page)
    for expected in (
        "ARR at risk 550",
        "Risky Co",
        "Watch Co",
        "By lifecycle stage",
        "Onboarding",
        "NPS by revenue tier",
        "Billing",
    ):
        assert expected in body, expected
    renewals = body.split("Renewals in the next 90 days")[1].split("By lifecycle stage")[0]
    assert "Good Co" not in renewals and "Later Co" not in renewals and "Gone Co" not in renewals
    html = page.get_data(as_text=True)
    assert "style=" not in html and "<script>" not in html


def test_empty_portfolio_page(viewer_client):
    body = text(viewer_client.get("/accounts/portfolio"))
    assert "No renewal at risk" in body and "No accounts yet" in body


def test_accounts_list_health_columns_sorts_and_filter(cs_client, book):
    page = text(cs_client.get("/accounts?sort=health"))
    order = [page.index(n) for n in ("Gone Co", "Risky Co", "Later Co", "Watch Co", "Good Co")]
    assert order == sorted(order)
    page = text(cs_client.get("/accounts?sort=-health30"))
    assert page.index("Good Co") < page.index("Watch Co") < page.index("Risky Co")
    assert "80 · Healthy" in page and "−25" in page
    risky_only = text(cs_client.get("/accounts?band=risky"))
    assert "Watch Co" in risky_only and "Risky Co" in risky_only and "Good Co" not in risky_only
    assert "ARR of these accounts" in risky_only
    none_yet = text(cs_client.get("/accounts?band=none"))
    assert "No accounts match" in none_yet
    for bad in ("/accounts?band=purple", "/accounts?sort=health7", "/accounts?band=%00"):
        resp = cs_client.get(bad)
        assert resp.status_code == 400, bad
