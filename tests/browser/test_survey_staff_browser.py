"""Staff in a real browser: create a survey, send it, and watch the send report; no CSP violations."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import make_account, make_contact

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_create_a_survey_send_it_and_read_the_report(app, staff_page):
    with app.app_context():
        account = make_account(name="Browser Corp")
        make_contact(account)
        make_contact(account, unsubscribed_at=db.func.now())
        db.session.commit()
    page = staff_page("admin")
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto("/surveys")
    page.get_by_role("link", name="New survey").first.click()
    page.get_by_label("Name").fill("Onboarding CSAT")
    page.get_by_label("Kind").select_option("csat")
    page.get_by_label("Follow-up after a low score").fill("What went wrong during onboarding?")
    page.get_by_role("button", name="Create survey").click()
    page.get_by_role("heading", name="Onboarding CSAT").wait_for()
    assert "/s/" in page.locator("#public-link").inner_text()
    page.get_by_role("link", name="Send", exact=True).click()
    page.get_by_label("Specific accounts").check()
    page.get_by_label("Accounts", exact=True).select_option(label="Browser Corp")
    page.get_by_role("button", name="Check audience").click()
    assert "1 skipped: Unsubscribed" in page.content()
    page.get_by_label("Specific accounts").check()
    page.get_by_label("Accounts", exact=True).select_option(label="Browser Corp")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_role("heading", name="Progress").wait_for()
    assert page.locator('[data-count="sent"]').inner_text() == "1"
    assert page.locator('[data-count="skipped"]').inner_text() == "1"
    page.get_by_role("link", name="Preview email").click()
    page.frame_locator("iframe.mail-frame").get_by_text("How satisfied are you").wait_for()
    page.goto("/outbox")
    page.get_by_role("link", name="How satisfied are you with Clearloop Demo Co.?").click()
    page.wait_for_load_state("networkidle")
    assert problems == [], problems
