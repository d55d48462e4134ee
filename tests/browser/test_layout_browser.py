"""Issue 12 item 10, measured in a real browser: tables fit their cards, role pickers are readable, long
links wrap, and the 0–10 scale stays one row on a 360 px phone with its ends labelled under it."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.mail.message import build_invitation
from app.mail.transport import OutboxTransport
from tests.factories import make_contact, make_invitation, make_send, make_survey, make_user

pytestmark = [pytest.mark.browser, pytest.mark.committed]

FITS = """(sel) => [...document.querySelectorAll(sel)].every(t => {
  const card = t.closest('.card'); const r = t.getBoundingClientRect(), c = card.getBoundingClientRect();
  return r.right <= c.right + 1 && r.left >= c.left - 1 && t.scrollWidth <= t.clientWidth + 1;
})"""


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_users_page_has_readable_role_pickers_and_fits(app, staff_page):
    with app.app_context():
        for role in ("cs", "pm", "viewer"):
            make_user(role=role, email=f"a-rather-long-address-{role}@customer-success.example")
        db.session.commit()
    page = staff_page("admin")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/admin/users")
    widths = page.eval_on_selector_all("td select", "els => els.map(e => e.getBoundingClientRect().width)")
    assert widths and min(widths) >= 100
    assert page.evaluate(FITS, ".card table") and _page_width(page) <= 1366
    button = page.get_by_role("button", name="Sign out everywhere").first
    box = button.bounding_box()
    assert box["height"] < 30  # one line, not clipped or wrapped


def test_send_history_and_a_long_outbox_message_fit_a_laptop_window(app, staff_page):
    with app.app_context():
        survey = make_survey("nps", name="Relationship NPS with a long name for the table")
        send = make_send(survey, audience={"type": "tier", "values": ["enterprise", "mid_market", "smb"]})
        inv, _ = make_invitation(survey, make_contact(), send=send)
        OutboxTransport().send(build_invitation(inv), "invitation")
        db.session.commit()
    page = staff_page("admin")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/sends")
    assert page.evaluate(FITS, ".card table") and page.get_by_text("Answered").is_visible()
    page.goto("/outbox")
    page.locator("table a").first.click()
    page.wait_for_load_state()
    assert _page_width(page) <= 1366


def test_the_nps_scale_is_one_row_on_a_phone(app, page):
    with app.app_context():
        _, token = make_invitation(make_survey("nps"))
        db.session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"/r/{token}")
    tops = page.eval_on_selector_all(
        ".scale label", "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert len(tops) == 11 and len(set(tops)) == 1
    widths = page.eval_on_selector_all(".scale label", "els => els.map(e => e.getBoundingClientRect().width)")
    assert min(widths) >= 24  # WCAG 2.5.8 target size
    assert _page_width(page) <= 360
    ends = page.locator(".scale-ends span")
    assert ends.first.inner_text() == "Not at all likely" and ends.last.inner_text() == "Extremely likely"
    first, last = (
        page.locator(".scale label").first.bounding_box(),
        page.locator(".scale label").last.bounding_box(),
    )
    low, high = ends.first.bounding_box(), ends.last.bounding_box()
    assert low["y"] > first["y"] and abs(low["x"] - first["x"]) < 4  # under the ends of the scale
    assert abs((high["x"] + high["width"]) - (last["x"] + last["width"])) < 4
