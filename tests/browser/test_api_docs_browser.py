"""A real browser: the API reference renders every resource from the vendored Swagger UI under the strict
CSP (no console errors, no CSP violations), and the token page makes a token shown once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_the_api_reference_renders_under_the_csp(page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Clearloop")
    expect(page.locator(".opblock-tag", has_text="api_people")).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/contacts/bulk")).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_a_token_is_made_and_shown_once(staff_page):
    page = staff_page("cs")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Zendesk sync")
    page.get_by_label(re.compile("^read")).check()
    page.get_by_role("button", name="Make token").click()
    secret = page.locator("code.token-secret").inner_text()
    assert re.fullmatch(r"clp_[A-Za-z0-9_-]{43}", secret)
    page.reload()
    expect(page.locator("code.token-secret")).to_have_count(0)
    expect(page.get_by_role("cell", name=re.compile("Zendesk sync"))).to_be_visible()
