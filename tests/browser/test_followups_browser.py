"""A real browser closes the loop: a detractor's answer opens a follow-up; the owner finds it in the list,
marks the customer contacted, replies by email, resolves it as outer loop with a root-cause topic; an
admin previews a rule and is refused a rule without conditions. No console errors (strict CSP)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FollowUp, FollowUpState, OutboxMessage, Tier
from tests.factories import make_account, make_contact, make_topic
from tests.followups.conftest import answer

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def _shot(page, name: str) -> None:
    """Save a screenshot for the README when CLEARLOOP_SCREENSHOT_DIR is set."""
    folder = os.environ.get("CLEARLOOP_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)


def test_the_followup_flow(staff_page, app):
    page = staff_page("admin")  # the first admin: the default owner of accounts without a CSM
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    with app.app_context():
        make_topic("Billing")
        account = make_account(name="Beacon Energy", tier=Tier.ENTERPRISE, arr=240_000)
        contact = make_contact(account=account, name="Dana Diaz", email="dana@beacon.example")
        answer(3, "Invoices were wrong three months in a row and nobody called back.", contact=contact)
        db.session.commit()

    page.get_by_role("link", name="Follow-ups", exact=True).click()
    page.wait_for_url("**/followups")
    row = page.get_by_role("link", name="Dana Diaz (Beacon Energy)")
    assert row.is_visible() and "1 open" in page.locator(".counts").inner_text()
    _shot(page, "followups")
    row.click()
    assert page.get_by_role("heading", name="Follow-up #").first.is_visible() or "Dana Diaz" in page.content()
    assert "Invoices were wrong three months in a row" in page.locator("main").inner_text()

    contacted = page.get_by_role("form", name="Mark contacted")
    contacted.get_by_label("How").select_option("call")
    contacted.get_by_label("Note (optional)").fill("Called Dana, agreed a credit note")
    contacted.get_by_role("button", name="Mark contacted").click()
    assert "Marked as contacted." in page.get_by_role("status").first.inner_text()

    reply = page.get_by_role("form", name="Reply to the respondent")
    reply.get_by_label("Subject").fill("Your invoices")
    reply.get_by_label("Message").fill("Hi Dana,\n\nThe credit note is on its way.\n\nThanks")
    reply.get_by_role("button", name="Send reply").click()
    assert "Reply queued" in page.get_by_role("status").first.inner_text()

    resolve = page.get_by_role("form", name="Resolve")
    resolve.get_by_role("button", name="Resolve").click()  # nothing chosen: the browser's own check stops it
    resolve.get_by_label("Reason").select_option("bug_logged")
    resolve.get_by_label("Resolution note").fill("Credit note sent; invoice bug filed")
    resolve.get_by_label("Outer loop: root cause sent to product").check()
    resolve.get_by_label("Root-cause topic (outer loop)").select_option(label="Billing")
    resolve.get_by_role("button", name="Resolve").click()
    assert "Resolved." in page.get_by_role("status").first.inner_text()
    timeline = page.locator("ol.timeline").inner_text()
    assert "contacted → resolved" in timeline and "replied to dana@beacon.example" in timeline
    _shot(page, "followup")

    page.goto("/followups/metrics")
    assert "time to first contact" in page.locator("main").inner_text().lower()

    page.goto("/followups/rules/new")
    page.get_by_label("Name").fill("Everything")
    page.get_by_role("button", name="Save").click()
    assert "at least one condition" in page.get_by_role("alert").first.inner_text()
    page.get_by_label("NPS detractor (0–6)").check()
    page.get_by_role("button", name="Preview on the last 30 days").click()
    assert "would have opened 1 follow-up" in page.get_by_role("status").first.inner_text()
    _shot(page, "followup-rule")

    with app.app_context():
        followup = db.session.execute(sa.select(FollowUp)).scalar_one()
        assert followup.state == FollowUpState.RESOLVED and followup.loop == "outer"
        to = set(db.session.execute(sa.select(OutboxMessage.to_addr)).scalars())
        assert "dana@beacon.example" in to
    assert [e for e in errors if "status of 422" not in e] == []  # the refused rule's page is a 422
