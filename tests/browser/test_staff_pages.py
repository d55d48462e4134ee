"""A real browser signs in and opens the overview; the page is usable with a keyboard and shows no errors."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_sign_in_and_open_the_overview(staff_page):
    page = staff_page("cs")
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert page.get_by_role("navigation", name="Main navigation").is_visible()
    assert "Net Promoter Score" in page.content()


def test_wrong_password_shows_a_message_in_the_page(page):
    page.goto("/login")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the right one")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Email or password is not right."


def test_no_console_errors_or_csp_violations_on_the_overview(staff_page):
    page = staff_page("admin")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert errors == []


def test_sign_out_ends_the_session(staff_page):
    page = staff_page("viewer")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto("/")
    assert page.url.endswith("/login?next=%2F")
