"""Mail scanners that run JavaScript (Microsoft Safe Links "detonation" and the like) open every link of
an invitation in a real browser without clicking anything: no answer may count (RELIABILITY 3, issue 17),
while a person who clicks a score keeps their answer — confirmed by any press or key, and kept even when
they close the tab at once in an ordinary browser."""

from __future__ import annotations

import contextlib
import email
import random
import re
from email.policy import default

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError

from app.extensions import db
from app.mail.message import build_invitation, to_wire
from app.models import Contact, Invitation, Response, ResponseRollup
from app.respond.suspect import INCLUDE_SUSPECTS
from tests.factories import make_invitation, make_survey
from tests.surveys.util import path_of

pytestmark = [pytest.mark.browser, pytest.mark.committed]

LINK = re.compile(r'href="(http://localhost/[^"]+)"')
# What a stealthier scanner does: hide that the browser is automated.
HIDE_WEBDRIVER = "Object.defineProperty(Navigator.prototype, 'webdriver', {get: () => false});"
SCRIPTS_RUN = 3000  # ms a scanner leaves its pages open: longer than the page's wait before its save


def _invitation(app) -> tuple[int, list[str], str]:
    """A rendered invitation: its id, every link of it (HTML, text, List-Unsubscribe) as paths, its token."""
    with app.app_context():
        inv, token = make_invitation(make_survey("nps"))
        db.session.commit()
        msg = email.message_from_bytes(to_wire(build_invitation(inv)), policy=default)
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        links = (
            LINK.findall(html)
            + re.findall(r"http://localhost/\S+", text)
            + [msg["List-Unsubscribe"].strip("<>")]
        )
        paths = list(dict.fromkeys(path_of(link) for link in links))  # in the email's order, once each
        assert len(paths) >= 11 + 3  # 11 scores, unsubscribe, one-click, the hidden link
        return inv.id, paths, token


def _state(app, invitation_id: int) -> dict:
    with app.app_context():
        db.session.remove()
        stored = db.session.execute(
            sa.select(Response.score, Response.scanner_suspect).execution_options(**{INCLUDE_SUSPECTS: True})
        ).all()
        inv = db.session.get(Invitation, invitation_id)
        return {
            "counted": db.session.execute(sa.select(sa.func.count(Response.id))).scalar_one(),
            "rollups": db.session.execute(
                sa.select(sa.func.coalesce(sa.func.sum(ResponseRollup.n), 0))
            ).scalar_one(),
            "stored": sorted((score, bool(suspect)) for score, suspect in stored),
            "responded": inv.responded_at is not None,
            "flagged": inv.scanner_flagged_at is not None,
            "unsubscribed": db.session.get(Contact, inv.contact_id).unsubscribed_at is not None,
        }


def _detonate(browser, base_url: str, paths: list[str], hide_webdriver: bool, one_by_one: bool) -> None:
    """Open every link in its own tab, click nothing, let the pages' scripts run, close them."""
    context = browser.new_context(base_url=base_url)
    if hide_webdriver:
        context.add_init_script(HIDE_WEBDRIVER)
    try:
        pages = []
        for path in paths:
            tab = context.new_page()
            with contextlib.suppress(PlaywrightError):  # the hidden link's 204 aborts the navigation
                tab.goto(path)
            pages.append(tab)
            if one_by_one:
                tab.wait_for_timeout(SCRIPTS_RUN // 2)  # each link on its own, its script saved by now
        pages[-1].wait_for_timeout(SCRIPTS_RUN)
    finally:
        context.close()


def _scores_first(paths: list[str]) -> list[str]:
    """The links in a scanner's order: score links first (shuffled), the hidden link not before them."""
    scores = [p for p in paths if "/s/" in p]
    random.Random(17).shuffle(scores)
    return scores + [p for p in paths if p not in scores]


def test_a_scanner_running_javascript_opens_every_link_and_no_answer_counts(app, browser, live_server):
    """Safe Links-like: a headless browser (navigator.webdriver) opens all links of the email in quick
    succession, score links first, and leaves the tabs open while their scripts run."""
    invitation_id, paths, _ = _invitation(app)
    _detonate(browser, live_server.url, _scores_first(paths), hide_webdriver=False, one_by_one=False)
    state = _state(app, invitation_id)
    assert state["counted"] == 0 and state["rollups"] == 0, state
    assert all(suspect for _, suspect in state["stored"]), state  # kept at most as scanner-suspect
    assert not state["responded"] and not state["unsubscribed"] and state["flagged"], state


def test_a_stealthy_scanner_that_opens_a_score_link_first_leaves_no_counted_answer(app, browser, live_server):
    """A scanner hiding navigator.webdriver, score links first, one at a time: the first page's save counts
    for a moment, the next links flag the scanner, and that unconfirmed save is suspect from then on."""
    invitation_id, paths, _ = _invitation(app)
    scores = [p for p in paths if "/s/" in p]
    random.Random(17).shuffle(scores)
    others = [p for p in paths if p not in scores]
    _detonate(
        browser, live_server.url, scores[:3] + others + scores[3:], hide_webdriver=True, one_by_one=True
    )
    state = _state(app, invitation_id)
    assert state["counted"] == 0 and state["rollups"] == 0, state
    assert len(state["stored"]) == 1 and state["stored"][0][1], state
    assert not state["responded"] and not state["unsubscribed"] and state["flagged"], state


def _wait_for(predicate, page, timeout_ms: int = 10_000):
    for _ in range(timeout_ms // 100):
        if predicate():
            return
        page.wait_for_timeout(100)
    raise AssertionError("timed out")


def test_a_person_clicks_a_score_then_interacts_and_one_answer_counts(app, page):
    """The worst case for a person: their browser says it is automated (as Playwright's does), so the
    page's own save is suspect; their first press on the page confirms it."""
    invitation_id, _, token = _invitation(app)
    page.goto(f"/r/{token}/s/9")
    page.get_by_role("status").filter(has_text="Saved: your answer is 9.").wait_for()
    assert _state(app, invitation_id)["stored"] == [(9, True)]
    assert _state(app, invitation_id)["counted"] == 0
    page.get_by_role("heading", level=1).click()  # any press on the page: a person is reading it
    _wait_for(lambda: _state(app, invitation_id)["counted"] == 1, page)
    state = _state(app, invitation_id)
    assert state["stored"] == [(9, False)] and state["rollups"] == 1 and state["responded"], state
    assert not state["flagged"]


def test_a_person_who_clicks_a_score_and_closes_the_tab_keeps_their_answer(app, browser, live_server):
    """An ordinary browser, no press at all: the page saves once it was visible a moment, and it counts."""
    invitation_id, _, token = _invitation(app)
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(HIDE_WEBDRIVER)  # an ordinary browser: not automated
    try:
        tab = context.new_page()
        tab.goto(f"/r/{token}/s/7")
        tab.get_by_role("status").filter(has_text="Saved: your answer is 7.").wait_for()
        tab.close()
    finally:
        context.close()
    state = _state(app, invitation_id)
    assert state["counted"] == 1 and state["stored"] == [(7, False)] and state["rollups"] == 1, state
    assert state["responded"] and not state["flagged"]


def test_a_person_after_a_scanner_presses_a_key_and_their_answer_counts(app, page):
    """The email was just scanned (the hidden link opened): the page's save is held and asks for a press;
    the person's first key records the answer."""
    invitation_id, _, token = _invitation(app)
    page.request.get(f"/r/{token}/h")
    page.goto(f"/r/{token}/s/4")
    page.get_by_role("status").filter(has_text="Please press Save").wait_for()
    assert _state(app, invitation_id)["stored"] == []
    page.keyboard.press("Tab")
    page.get_by_role("status").filter(has_text="Saved: your answer is 4.").wait_for()
    state = _state(app, invitation_id)
    assert state["counted"] == 1 and state["stored"] == [(4, False)] and state["responded"], state
