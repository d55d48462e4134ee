"""Respondents in a real browser (headless Chromium): the score from the email link is saved after the
page loads, a comment and a changed score edit the same answer, keyboard-only answering works, a phone
screen fits, and no page breaks its Content Security Policy."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Response
from tests.browser.test_scanner_browser import HIDE_WEBDRIVER
from tests.factories import make_contact, make_invitation, make_survey

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def _invitation(app, kind: str = "nps", locale: str = "en") -> str:
    with app.app_context():
        _, token = make_invitation(make_survey(kind), make_contact(locale=locale))
        db.session.commit()
        return token


def _response(app) -> Response | None:
    with app.app_context():
        db.session.remove()
        return db.session.execute(sa.select(Response)).scalar_one_or_none()


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def test_the_score_from_the_email_link_is_saved_after_the_page_loads(app, page):
    token = _invitation(app)
    problems = _watch(page)
    # a person's ordinary browser (an automated one's save is kept apart: see test_scanner_browser.py)
    page.context.add_init_script(HIDE_WEBDRIVER)
    page.goto(f"/r/{token}/s/8")
    page.get_by_role("status").filter(has_text="Saved: your answer is 8.").wait_for()
    row = _response(app)
    assert (row.score, row.comment, row.edit_count) == (8, None, 0)
    assert problems == []


def test_change_the_score_and_add_a_comment(app, page):
    token = _invitation(app)
    page.goto(f"/r/{token}/s/9")
    page.get_by_role("status").filter(has_text="Saved: your answer is 9.").wait_for()
    page.locator("label[for=score-3]").click()
    page.get_by_role("status").filter(has_text="Saved: your answer is 3.").wait_for()
    comment = page.get_by_role("textbox", name="What should we fix first?")
    comment.fill("The export <b>times out</b>")
    page.get_by_role("button", name="Save my answer").click()
    page.wait_for_url(re.compile(r"/thanks$"))
    assert page.get_by_role("heading", name=re.compile("Thank you")).is_visible()
    row = _response(app)
    # all on the page that first answered: the first submission, not an edit
    assert (row.score, row.comment, row.edit_count) == (3, "The export <b>times out</b>", 0)
    page.get_by_role("link", name="Change my answer").click()
    assert page.get_by_role("radio", name="3").is_checked()
    assert page.get_by_role("textbox").input_value() == "The export <b>times out</b>"


def test_answering_with_the_keyboard_only(app, page):
    token = _invitation(app, "csat")
    page.goto(f"/r/{token}")
    assert page.get_by_role("radio", name="1 – Very unsatisfied").count() == 1
    assert page.get_by_role("radio", name="5 – Very satisfied").count() == 1
    page.keyboard.press("Tab")  # into the score group
    assert page.evaluate("document.activeElement.name") == "score"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.get_by_role("status").filter(has_text="Saved: your answer is").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "comment"
    page.keyboard.type("Quick and friendly")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/thanks$"))
    row = _response(app)
    assert row.comment == "Quick and friendly" and row.score in (3, 4)


def test_a_phone_screen_fits_and_answers(app, browser, live_server):
    token = _invitation(app, "nps", locale="de")
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    try:
        phone = context.new_page()
        problems = _watch(phone)
        phone.goto(f"/r/{token}/s/10")
        phone.get_by_role("status").filter(has_text="Gespeichert").wait_for()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        box = phone.locator("label[for=score-0]").bounding_box()
        # 0–10 in one row (issue 12): tall buttons, at least WCAG 2.5.8's 24 px wide
        assert box["height"] >= 40 and box["width"] >= 24
        assert "Wie wahrscheinlich" in phone.get_by_role("heading", level=1).inner_text()
        phone.locator("label[for=score-6]").tap()
        phone.get_by_role("status").filter(has_text="6").wait_for()
        assert problems == []
    finally:
        context.close()
    assert _response(app).score == 6


def test_no_console_errors_or_csp_violations_on_respondent_pages(app, page):
    token = _invitation(app, "ces")
    with app.app_context():
        ptoken = make_survey("form").public_token
        db.session.commit()
    problems = _watch(page)
    for url in (
        f"/r/{token}/s/5",
        f"/r/{token}/thanks",
        f"/r/{token}/unsubscribe",
        f"/s/{ptoken}",
        f"/s/{ptoken}/embed",
        "/r/not-a-token/s/1",
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert problems == [] or all("404" in p for p in problems), problems


def test_the_feedback_form_in_a_browser(app, page):
    with app.app_context():
        ptoken = make_survey("form").public_token
        db.session.commit()
    page.goto(f"/s/{ptoken}")
    page.get_by_label("An idea or a feature request").check()
    page.get_by_label("Your message").fill("Please add SSO")
    page.get_by_label("Your email (optional)").fill("pat@example.com")
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(re.compile(r"/thanks$"))
    row = _response(app)
    assert (row.form_category.value, row.comment, row.respondent_email) == (
        "feature_request",
        "Please add SSO",
        "pat@example.com",
    )
