"""A real browser (Debian Chromium): a PM reads topic analytics and sets up a team; an admin previews and
sends its digest. No console errors or CSP violations; nothing wider than a 1366 px window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.insights.periods import last_complete_week
from app.models import Digest, Team, utcnow
from tests.factories import make_account, make_user
from tests.insights.conftest import add_response, bulk_nps, topic

pytestmark = [pytest.mark.browser, pytest.mark.committed]


@pytest.fixture
def feedback(app):
    """Last week's answers about Billing (negative, a large account) and Onboarding."""
    with app.app_context():
        week = last_complete_week(utcnow(), "Europe/Berlin")  # what "send now" and the preview cover
        at = datetime.combine(week.first + timedelta(days=2), time(12), UTC)
        billing, onboarding = topic("Billing"), topic("Onboarding")
        bulk_nps(at, (30, 20, 10))
        bulk_nps(at, (2, 3, 15), topics={billing: "negative"})
        acme = make_account(name="Acme", arr=120_000)
        add_response(at, 2, comment="Billing is a mess", topics={billing: "negative"}, account_id=acme.id)
        add_response(
            at - timedelta(days=7), 9, comment="Onboarding was easy", topics={onboarding: "positive"}
        )
        make_user("viewer", name="Vera Viewer", email="vera@example.com")
        db.session.commit()
        return {"billing": billing}


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_a_pm_reads_topic_analytics_and_opens_a_topic(staff_page, feedback):
    page = staff_page("pm")
    page.set_viewport_size({"width": 1366, "height": 900})
    problems = _watch(page)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Topic analytics").click()
    page.get_by_role("heading", name="Topic analytics").wait_for()
    _fits(page)
    assert page.locator("svg.spark").count() >= 2
    page.get_by_label("Order").select_option("impact")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**sort=impact**")
    first = page.locator(".insight-table tbody tr").first
    assert "Billing" in first.inner_text()  # the most negative impact comes first
    first.get_by_role("link", name="Billing").click()
    page.get_by_role("heading", name="Billing").wait_for()
    assert page.locator("svg.trend polyline.line").count() == 1
    assert page.get_by_role("link", name="Acme").is_visible()
    _fits(page)
    assert problems == []


def test_a_pm_creates_a_team_and_an_admin_sends_its_digest(staff_page, feedback, app, browser, live_server):
    page = staff_page("pm")
    problems = _watch(page)
    page.goto("/teams")
    page.get_by_role("link", name="New team").first.click()
    page.get_by_role("button", name="Create team").click()  # nothing filled in: refused in the page
    assert page.get_by_role("alert").first.inner_text() == "Give the team a name."
    assert problems == [
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
    ]
    problems.clear()
    page.get_by_label("Name", exact=True).fill("Billing squad")
    page.get_by_label("Follow every topic").uncheck()
    page.get_by_role("group", name="Topics").get_by_label("Billing").check()
    page.get_by_role("group", name="Members").get_by_label("Vera Viewer <vera@example.com>").check()
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Create team").click()
    page.get_by_role("heading", name="Billing squad").wait_for()
    assert "Saved the team" in page.content()
    _fits(page)
    assert problems == []
    with app.app_context():
        team_id = db.session.execute(sa.select(Team.id)).scalar_one()

    admin = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}).new_page()
    admin_problems = _watch(admin)
    from tests.conftest import TEST_PASSWORD

    with app.app_context():
        email = make_user("admin", password=TEST_PASSWORD).email
    admin.goto("/login")
    admin.get_by_label("Email").fill(email)
    admin.get_by_label("Password").fill(TEST_PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.wait_for_url(lambda url: not url.endswith("/login"))
    admin.goto(f"/teams/{team_id}")
    admin.get_by_role("link", name="Preview the digest").click()
    admin.get_by_role("heading", name="Most negative themes").wait_for()
    assert "Billing is a mess" in admin.content()
    _fits(admin)
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Send now").click()
    admin.wait_for_url("**/digests/**")
    assert "vera@example.com" in admin.content()
    assert admin_problems == []
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Digest)).scalar() == 1
