"""In a real browser: the re-tag progress bar follows the run (CSP-safe script), then the page reloads."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import RetagRun, RetagState

pytestmark = [pytest.mark.committed, pytest.mark.browser]


def _set(app, run_id: int, **values) -> None:
    with app.app_context():
        run = db.session.get(RetagRun, run_id)
        for key, value in values.items():
            setattr(run, key, value)
        db.session.commit()


def test_the_progress_bar_polls_until_the_run_is_done(app, staff_page):
    with app.app_context():
        run = RetagRun(reason="taxonomy: edited Billing", state=RetagState.RUNNING, total=8, processed=2)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    page = staff_page("viewer")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/tagging")
    bar = page.locator(f'[data-retag-status$="/runs/{run_id}.json"] progress')
    assert bar.get_attribute("value") == "25"
    _set(app, run_id, processed=6)
    expect(bar).to_have_attribute("value", "75", timeout=10_000)  # the script polled the JSON endpoint
    assert "6 of 8 responses" in page.locator("[data-retag-text]").inner_text()
    _set(app, run_id, processed=8, state=RetagState.DONE)
    page.wait_for_selector("[data-retag-state] .badge-good")  # reloaded: the run shows done
    assert page.locator("[data-retag-status]").count() == 0
    assert errors == [], errors
