"""A real browser: filter and search the explorer, open a response, select rows and tag them, and watch
the taxonomy editor's live preview follow the phrases being typed (CSP-safe scripts, no console errors)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.models import Mention, MentionSource
from tests.explorer.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def _errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_filter_search_open_and_bulk_tag(staff_page, app):
    with app.app_context():
        world = build_world()
    page = staff_page("pm")
    errors = _errors(page)
    page.get_by_role("link", name="Responses", exact=True).click()
    page.get_by_label("Topic", exact=True).select_option(label="Billing")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"**/responses?*topic={world.billing}*")
    rows = page.locator("table.explorer tbody tr")
    expect(rows).to_have_count(2)
    mark = page.locator("mark.topic.negative", has_text="invoices")
    expect(mark).to_have_attribute("title", "Invoices · negative")
    page.get_by_role("link", name="Remove the topic filter").click()  # remove the topic filter by its chip
    expect(rows).to_have_count(8)
    page.get_by_label("Search comments").fill("rechnung")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    page.get_by_label("Search comments").fill("")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(8)

    count = page.locator("[data-bulk-count]")
    expect(count).to_have_text("Select responses below")
    page.get_by_label(f"Select response #{world.r7}").check()
    page.get_by_label(f"Select response #{world.r6}").check()
    expect(count).to_have_text("2 selected")
    page.get_by_label("Tag selected with").select_option(label="Onboarding")
    page.get_by_role("button", name="Tag selected").click()
    expect(page.locator(".flash-success")).to_contain_text("Tagged 2 of 2")
    with app.app_context():
        tagged = db.session.execute(
            sa.select(Mention.response_id).where(
                Mention.topic_id == world.onboarding, Mention.source == MentionSource.MANUAL
            )
        ).scalars()
        assert sorted(tagged) == sorted([world.r6, world.r7, world.r8])

    page.get_by_role("link", name=f"#{world.r1}", exact=True).click()
    page.wait_for_url(f"**/responses/{world.r1}")
    expect(page.get_by_role("heading", name=f"Response #{world.r1}")).to_be_visible()
    assert errors == [], errors


def test_the_topic_editor_previews_matches_as_you_type(staff_page, app):
    from app.analysis.taxonomy_store import ensure_taxonomy
    from app.tasks import analysis as jobs
    from tests.analysis.conftest import add_responses, topic_id

    with app.app_context():
        ensure_taxonomy()
        jobs.analyze_responses(
            add_responses("Kanban is missing", "We need a kanban view", "The invoices are wrong")
        )
        invoices, billing = topic_id("billing.invoices"), topic_id("billing")
    page = staff_page("pm")
    errors = _errors(page)
    page.goto(f"/topics/{invoices}")
    panel = page.locator("#edit-preview")
    expect(panel).to_contain_text("Change the phrases")
    page.get_by_label("Phrases").fill("kanban")
    expect(panel).to_contain_text("2 start matching", timeout=15_000)
    expect(panel).to_contain_text("1 stop matching")
    expect(panel.get_by_text("We need a kanban view")).to_be_visible()
    page.get_by_label("Parent").select_option(label="Pricing")
    expect(panel).to_contain_text("move from “Billing” to “Pricing”", timeout=15_000)
    page.goto(f"/topics/{billing}")  # a parent is never offered its own subtopics (cycles refused)
    options = page.get_by_label("Parent").locator("option").all_inner_texts()
    assert "Billing" not in [o.strip("— ") for o in options] and "— Invoices" not in options
    assert errors == [], errors
