"""Take the README's screenshots of the main pages from a running demo instance (headless Chromium).

Usage: .venv/bin/python docs/take_screenshots.py http://127.0.0.1:5000 EMAIL PASSWORD
Needs Debian's chromium (apt-get install -y chromium). Writes docs/screenshots/*.png.

`flask demo seed` writes 26 weeks of health snapshots, so the portfolio, health and account pages have a
history. Each page is captured at the window's size, except
the account page, captured down to its health card (history chart, override and churn panel), and its topics
and follow-ups (account-cs.png).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(base: str, email: str, password: str) -> None:
    """Sign in and capture each main page."""
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(base_url=base, viewport={"width": 1360, "height": 900})
        page.goto("/login")
        page.screenshot(path=OUT / "login.png")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: not url.endswith("/login"))
        for name, path in [
            ("overview", "/"),
            ("responses", "/responses"),
            ("trends", "/trends?kind=nps&grain=month&segment=tier"),
            ("surveys", "/surveys"),
            ("accounts", "/accounts"),
            ("topics", "/topics"),
            ("tagging", "/tagging"),
            ("portfolio", "/accounts/portfolio"),
            ("health-model", "/health/model"),
            ("backtest", "/health/backtest?months=12&horizon=90&run=1"),
        ]:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=OUT / f"{name}.png", full_page=False)
        page.goto("/accounts?sort=health")  # the least healthy account: a health story, follow-ups, topics
        page.locator("tbody a").first.click()
        page.wait_for_load_state("networkidle")
        bottom = page.locator("section[aria-label='Health']").bounding_box()
        clip = {"x": 0, "y": 0, "width": 1360, "height": int(bottom["y"] + bottom["height"] + 20)}
        page.screenshot(path=OUT / "account.png", full_page=True, clip=clip)
        page.locator("div.grid-2:has(section[aria-label='Follow-ups'])").screenshot(
            path=OUT / "account-cs.png"
        )
        page.goto("/outbox")
        link = page.locator("tbody a").first
        if link.count():
            link.click()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            page.screenshot(path=OUT / "email.png")
            match = re.search(r"(/r/[A-Za-z0-9_-]+/s/9)\b", page.content())
            if match:
                mobile = browser.new_page(base_url=base, viewport={"width": 390, "height": 800})
                mobile.goto(match.group(1))
                mobile.wait_for_load_state("networkidle")
                mobile.wait_for_timeout(800)
                mobile.screenshot(path=OUT / "respond-mobile.png")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
