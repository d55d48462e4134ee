"""A real browser opens Trends and an account page: charts drawn, no console errors or CSP violations,
a chart point leads to the responses behind it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.models import Tier

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def _seed(app) -> int:
    from app.health.services import recompute_health
    from tests.factories import make_account, make_response, make_survey

    with app.app_context():
        nps = make_survey("nps", name="Relationship NPS")
        acct = make_account(name="Beacon Energy", tier=Tier.ENTERPRISE)
        for month, score in ((1, 10), (1, 9), (2, 3), (3, 9), (3, 0)):
            make_response(
                nps, score=score, account=acct, created_at=datetime(2026, month, 10, 12, tzinfo=UTC)
            )
        recompute_health(datetime(2026, 3, 20, tzinfo=UTC), [acct.id])
        db.session.commit()
        return acct.id


def test_trends_page_draws_the_chart_and_links_to_responses(staff_page, app):
    _seed(app)
    page = staff_page("cs")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.get_by_role("link", name="Trends").click()
    page.goto(page.url.split("?")[0] + "?kind=nps&grain=month&start=2026-01-01&end=2026-03-31&segment=tier")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Trends").is_visible()
    chart = page.locator("svg.trendchart")
    assert chart.is_visible() and chart.locator("polyline.line").count() == 1
    assert chart.locator("circle.dot").count() == 3
    with page.expect_navigation():
        page.get_by_role("link", name="2", exact=True).first.click()  # January's answers, from the table
    assert "/responses" in page.url and "tier=enterprise" in page.url and "start=2026-01-01" in page.url
    assert errors == []


def test_account_page_shows_health(staff_page, app):
    account_id = _seed(app)
    page = staff_page("viewer")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"/accounts/{account_id}")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Health").is_visible()
    assert page.locator("svg.spark").count() == 1
    assert errors == []


def test_trends_split_by_account_top_accounts_rest_and_ranked_table(staff_page, app, monkeypatch):
    """Seven accounts: the top 5 drawn, the other two as one line, every account in the ranked table,
    paged; the top and ranking selects appear once split by account."""
    from tests.factories import make_account, make_response, make_survey

    monkeypatch.setattr("app.trends.series.ACCOUNTS_PER_PAGE", 4)
    with app.app_context():
        nps = make_survey("nps", name="Relationship NPS")
        for i in range(7):
            acct = make_account(name=f"Acme {i + 1}", arr=1000 * (7 - i))
            for month in range(1, 8 - i if i < 3 else 3):
                make_response(
                    nps, score=9, account=acct, created_at=datetime(2026, month, 10, 12, tzinfo=UTC)
                )
        db.session.commit()
    page = staff_page("viewer")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/trends?kind=nps&grain=month&start=2026-01-01&end=2026-06-30&segment=account")
    page.wait_for_load_state("networkidle")
    chart = page.locator("svg.trendchart")
    assert chart.locator("polyline.line").count() == 6  # five accounts and "All other accounts (2)"
    assert page.get_by_role("cell", name="All other accounts (2)").first.is_visible()
    assert page.get_by_label("Top accounts").is_visible() and page.get_by_label("Ranked by").is_visible()
    table = page.get_by_role("region", name="Every account")
    assert table.get_by_role("row").count() == 5  # a header and the first 4 of 7
    with page.expect_navigation():
        table.get_by_role("link", name="Next").click()
    assert "page=2" in page.url
    assert page.get_by_role("region", name="Every account").get_by_role("link", name="Acme 7").is_visible()
    page.get_by_label("Ranked by").select_option("arr")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "rank=arr" in page.url
    assert errors == []
