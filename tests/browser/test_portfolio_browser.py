"""A real browser reads Portfolio health and an account's new parts on a small known book of accounts: the
figures on the page are the ones computed by hand from the fixture, a renewal row opens its account, the
page fits a 360 px phone and a desktop window, and nothing is logged to the console (a CSP violation is a
console error in Chromium). An admin adds a Trends annotation through the form and finds it on the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import (
    ArrChange,
    ArrSource,
    HealthBand,
    HealthSnapshot,
    Lifecycle,
    Mention,
    MentionSource,
    Tier,
    utcnow,
)

pytestmark = [pytest.mark.browser, pytest.mark.committed]

WIDTHS = (360, 1280)


def _errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _fits(page, width: int) -> bool:
    """Nothing widens the page past the window (wide tables scroll inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


def _book(app) -> dict[str, int]:
    """Five accounts, all added 400 days ago (so they count in the 12-month retention cohort):

    =========  =======  ========================  ==============  =========  ==========================
    account    ARR now  ARR 12 months ago         health now      renewal    other
    =========  =======  ========================  ==============  =========  ==========================
    Good Co    120,000  120,000                   80 healthy      in 30 d    3 NPS answers (10, 9, 9)
    Watch Co    30,000  20,000 (+10,000, 100 d)   50 watch (−8)   in 60 d    2 NPS answers, a follow-up
    Risky Co    20,000  25,000 (−5,000, 50 d)     30 at risk      in 10 d
    Later Co     5,000  5,000                     35 at risk      in 200 d
    Gone Co          0  10,000, churned 5 d ago   (churned)
    =========  =======  ========================  ==============  =========  ==========================

    Live ARR 175,000; at risk (watch + at risk) 55,000 = 31.4 %, 3 accounts. Renewals at risk in 90 days:
    Risky Co and Watch Co, 50,000 ARR. All accounts: S = 180,000, E = 175,000, Σ min = 165,000: GRR 91.7 %,
    NRR 97.2 %. Surveyed (Good, Watch): S = 140,000, E = 150,000: GRR 100.0 %, NRR 107.1 %.
    """
    from tests.factories import make_account, make_contact, make_response, make_survey, make_topic
    from tests.followups.conftest import answer

    with app.app_context():
        now = utcnow()
        today = now.date()
        added = now - timedelta(days=400)

        def account(name, arr, **kw):
            return make_account(name=name, arr=arr, created_at=added, **kw)

        good = account(
            "Good Co",
            120_000,
            tier=Tier.ENTERPRISE,
            lifecycle_stage=Lifecycle.GROWTH,
            renewal_date=today + timedelta(days=30),
        )
        watch = account(
            "Watch Co",
            30_000,
            tier=Tier.SMB,
            lifecycle_stage=Lifecycle.ONBOARDING,
            renewal_date=today + timedelta(days=60),
        )
        risky = account(
            "Risky Co",
            20_000,
            tier=Tier.SMB,
            lifecycle_stage=Lifecycle.ONBOARDING,
            renewal_date=today + timedelta(days=10),
        )
        later = account("Later Co", 5_000, renewal_date=today + timedelta(days=200))
        gone = account("Gone Co", 10_000, churned_on=today - timedelta(days=5))
        for acct, old, new, days_ago in ((watch, 20_000, 30_000, 100), (risky, 25_000, 20_000, 50)):
            db.session.add(
                ArrChange(
                    account_id=acct.id,
                    old_arr=old,
                    new_arr=new,
                    effective_on=today - timedelta(days=days_ago),
                    source=ArrSource.EDIT,
                )
            )
        for acct, history in (
            (good, [(100, 70, "healthy"), (30, 75, "healthy"), (0, 80, "healthy")]),
            (watch, [(95, 60, "healthy"), (60, 64, "healthy"), (30, 58, "watch"), (0, 50, "watch")]),
            (risky, [(40, 55, "watch"), (0, 30, "at_risk")]),
            (later, [(0, 35, "at_risk")]),
            (gone, [(10, 20, "at_risk")]),
        ):
            for days_ago, score, band in history:
                db.session.add(
                    HealthSnapshot(
                        account_id=acct.id,
                        as_of=today - timedelta(days=days_ago),
                        score=score,
                        band=HealthBand(band),
                        coverage=1.0,
                        drivers={"why": "Fixture history."},
                    )
                )
        nps = make_survey("nps", name="Relationship NPS")
        for score in (10, 9, 9):
            make_response(nps, score=score, account=good, created_at=datetime.now(UTC) - timedelta(days=20))
        contact = make_contact(account=watch, name="Dana Diaz", email="dana@watch.example")
        db.session.commit()
        # A detractor's answer through the respondent's service: the default rules open a follow-up.
        answer(2, "Invoices were wrong again and nobody called back.", contact=contact, survey=nps)
        # After the answer: its analysis runs inline and re-tags the untagged answers.
        billing = make_topic("Billing")
        r = make_response(nps, score=3, account=watch, comment="billing is confusing")
        db.session.add(
            Mention(
                response_id=r.id, topic_id=billing.id, source=MentionSource.PHRASE, sentiment_label="negative"
            )
        )
        db.session.commit()
        return {"good": good.id, "watch": watch.id, "risky": risky.id}


def test_portfolio_figures_links_and_widths(staff_page, app):
    ids = _book(app)
    page = staff_page("cs")
    errors = _errors(page)
    page.get_by_role("link", name="Portfolio health").click()
    page.wait_for_url("**/accounts/portfolio")
    assert page.get_by_role("heading", name="Portfolio health").is_visible()

    kpis = page.get_by_role("region", name="ARR at risk").inner_text()
    assert "55,000" in kpis and "31.4 % of 175,000" in kpis and "3 accounts on watch or at risk" in kpis
    assert "50,000 ARR renewing" in kpis

    bands = page.get_by_role("region", name="ARR by health band")
    rows = [r.split("\t") for r in bands.locator("tbody tr").all_inner_texts()]
    assert [[c.strip() for c in r] for r in rows] == [
        ["Healthy", "1", "120,000", "68.6 %"],
        ["Watch", "1", "30,000", "17.1 %"],
        ["At risk", "2", "25,000", "14.3 %"],
        ["Insufficient data", "0", "0", "0.0 %"],
        ["No health yet", "0", "0", "0.0 %"],
    ]
    assert bands.locator("svg.bandbar rect").count() == 3

    renewals = page.get_by_role("region", name="Renewals at risk")
    names = renewals.locator("tbody tr td:first-child").all_inner_texts()
    assert names == ["Risky Co", "Watch Co"]  # soonest first; Good Co is healthy, Later Co renews in 200 days
    watch_row = renewals.locator("tbody tr", has_text="Watch Co").inner_text()
    assert (
        "60 days" in watch_row and "30,000" in watch_row and "50 · Watch" in watch_row and "−8" in watch_row
    )

    retention = page.get_by_role("region", name="Revenue retention").inner_text()
    assert "100.0 %" in retention and "107.1 %" in retention  # surveyed: GRR, NRR
    assert "91.7 %" in retention and "97.2 %" in retention  # everyone

    stages = page.get_by_role("region", name="By lifecycle stage").inner_text()
    assert "Onboarding" in stages and "Billing" in stages
    tiers = page.get_by_role("region", name="NPS by revenue tier").inner_text()
    assert "Enterprise" in tiers and "+100" in tiers  # Good Co's three promoters

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert _fits(page, width), f"the portfolio page is wider than {width} px"
        assert page.get_by_role("heading", name="Portfolio health").is_visible()

    page.set_viewport_size({"width": 1280, "height": 860})
    with page.expect_navigation():
        renewals.get_by_role("link", name="Watch Co").click()
    assert page.url.endswith(f"/accounts/{ids['watch']}")
    assert page.get_by_role("heading", name="Watch Co").is_visible()
    assert errors == []


def test_account_page_new_parts(staff_page, app):
    ids = _book(app)
    page = staff_page("cs")
    errors = _errors(page)
    page.goto(f"/accounts/{ids['watch']}")
    page.wait_for_load_state("networkidle")

    health = page.get_by_role("region", name="Health", exact=True)
    assert health.locator(".health-score").inner_text() == "50"
    chart = health.locator("svg.healthchart")
    assert chart.is_visible() and chart.locator("circle").count() == 4  # four snapshots
    assert "Health history (4 daily snapshots)" in health.inner_text()
    # every date label is drawn inside the chart (centred first/last labels were cut at its edges)
    inside = chart.evaluate(
        """svg => { const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text.bucket')].map(t => t.getBoundingClientRect())
                .every(r => r.left >= box.left - 0.5 && r.right <= box.right + 0.5); }"""
    )
    assert inside, "a date label of the health chart sticks out of the chart"
    panel = page.get_by_role("region", name="Health override and churn")
    assert panel.get_by_text("No override: the computed health stands.").is_visible()
    assert panel.locator("summary").all_inner_texts() == ["Override health", "Record churn"]

    arr = page.get_by_role("region", name="ARR history").locator("tbody tr").first.inner_text()
    assert "20,000" in arr and "30,000" in arr and "+10,000" in arr and "Edit form" in arr

    topics = page.get_by_role("region", name="Topics")
    assert topics.get_by_role("link", name="Billing").is_visible()

    followups = page.get_by_role("region", name="Follow-ups")
    assert "1 open" in followups.locator("h2").inner_text()
    assert "Dana Diaz" in followups.inner_text()

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert _fits(page, width), f"the account page is wider than {width} px"
        assert chart.bounding_box()["width"] <= width

    page.set_viewport_size({"width": 1280, "height": 860})
    with page.expect_navigation():
        followups.locator("tbody a").first.click()
    assert "/followups/" in page.url and "Invoices were wrong again" in page.locator("main").inner_text()
    assert errors == []


def test_admin_annotates_the_trends_chart(staff_page, app):
    from tests.factories import make_response, make_survey

    with app.app_context():
        nps = make_survey("nps", name="Relationship NPS")
        for month, score in ((1, 10), (2, 3), (3, 9)):
            make_response(nps, score=score, created_at=datetime(2026, month, 10, 12, tzinfo=UTC))
        db.session.commit()
    page = staff_page("admin")
    errors = _errors(page)
    page.get_by_role("link", name="Trends").click()
    page.get_by_role("link", name="Annotations").click()
    page.wait_for_url("**/trends/annotations")
    page.get_by_label("Date").fill("2026-02-15")
    page.get_by_label("Label").fill("Billing outage")
    page.get_by_role("button", name="Add annotation").click()
    page.wait_for_url("**/trends/annotations")
    assert page.get_by_text("Annotation “Billing outage” added on 2026-02-15.").is_visible()

    page.goto("/trends?kind=nps&grain=month&start=2026-01-01&end=2026-03-31")
    page.wait_for_load_state("networkidle")
    note = page.locator("svg.trendchart g.note")
    assert note.count() == 1
    assert note.locator("title").text_content() == "2026-02-15: Billing outage"
    assert "Billing outage" in page.get_by_role("region", name="Annotations").inner_text()
    assert errors == []


def test_overrides_list_and_backtest_pages(staff_page, app):
    from app.health.overrides import local_today, set_override
    from app.models import Account, User

    ids = _book(app)
    page = staff_page("admin")
    with app.app_context():
        admin = db.session.execute(db.select(User).order_by(User.id.desc())).scalars().first()
        risky = db.session.get(Account, ids["risky"])
        set_override(
            risky, "watch", "Signed a renewal term sheet", local_today() + timedelta(days=30), admin.id
        )
        db.session.commit()
    errors = _errors(page)
    page.goto("/health/overrides")
    rows = page.get_by_role("region", name="Overrides").locator("tbody tr")
    assert rows.count() == 1 and "Signed a renewal term sheet" in rows.first.inner_text()
    with page.expect_navigation():
        rows.first.get_by_role("link", name="Risky Co").click()
    assert page.url.endswith(f"/accounts/{ids['risky']}")
    assert (
        "Reason: Signed a renewal term sheet"
        in page.get_by_role("region", name="Health override and churn").inner_text()
    )

    page.goto("/health/backtest")
    page.get_by_label("Monthly as-of dates").fill("3")
    page.get_by_role("button", name="Run the backtest").click()
    page.wait_for_load_state("networkidle")
    result = page.get_by_role("region", name="Backtest result")
    assert "3 monthly dates, churn within 90 days" in result.inner_text()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert _fits(page, width), f"the backtest page is wider than {width} px"
    assert errors == []
