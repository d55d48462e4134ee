"""A real browser edits the health model (a sum error, then a save that shows in the history) and overrides
an account's health from its page: no console errors or CSP violations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def _errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_admin_edits_the_health_model(staff_page, tmp_path):
    page = staff_page("admin")
    errors = _errors(page)
    page.get_by_role("link", name="Health model").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Health model").is_visible()
    page.locator("#w_nps").fill("30")
    page.get_by_role("button", name="Save as a new version").click()
    assert page.get_by_text("Weights must add up to 100; these add up to 110.").is_visible()
    page.locator("#w_csat").fill("0")
    page.get_by_role("button", name="Preview band changes").click()
    assert page.get_by_text("Nothing saved yet").is_visible()
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("saved; from the next recompute").is_visible()
    errors = [e for e in errors if "422" not in e]  # the refused sum above: a form error, as intended
    history = page.get_by_role("region", name="Version history")
    assert history.get_by_text("NPS weight 20 → 30; CSAT weight 10 → 0").is_visible()
    page.screenshot(path=str(tmp_path / "health-model.png"), full_page=True)
    assert errors == []


def test_cs_overrides_an_accounts_health(staff_page, app, tmp_path):
    from app.health.overrides import local_today
    from tests.factories import make_account

    with app.app_context():
        account_id = make_account(name="Beacon Energy").id
        db.session.commit()
        until = (local_today() + timedelta(days=30)).isoformat()
    page = staff_page("cs")
    errors = _errors(page)
    page.goto(f"/accounts/{account_id}")
    page.get_by_text("Override health").click()
    page.get_by_label("Band").select_option("at_risk")
    page.get_by_label("Reason").first.fill("Champion left; renewal call cancelled")
    page.get_by_label("Until (at most 90 days)").fill(until)
    page.get_by_role("button", name="Override", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("At risk (override)").is_visible()
    assert page.get_by_text("Reason: Champion left; renewal call cancelled").is_visible()
    page.screenshot(path=str(tmp_path / "health-override.png"), full_page=True)
    page.get_by_role("button", name="Remove override now").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("No override: the computed health stands.").is_visible()
    assert errors == []
