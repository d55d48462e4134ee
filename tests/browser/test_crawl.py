"""Issue 12's crawl: on the demo data, every role signs in and follows every same-site link it is shown
(GET, breadth first, a few URLs per route shape). It fails on any 5xx, on any link shown to a role that
answers 403 or 404, and on any page wider than a 1366 px window; respondent pages must fit 360 px."""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest

from app.demo.seed import seed_demo
from app.extensions import db
from tests.conftest import TEST_PASSWORD
from tests.factories import make_invitation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.committed]

ROLES = ("admin", "cs", "pm", "viewer")
RENDER_PER_SHAPE = 1  # pages opened in the browser per route shape (width, 5xx)
CHECK_PER_SHAPE = 3  # links per route shape whose answer is checked (403/404/5xx)
NEVER = re.compile(r"^/(static/|logout)")  # assets; signing out ends the crawl
NOT_IN_BROWSER = re.compile(r"/export|\.csv\b|/download")  # files: their answer is checked, not rendered
LINKS = """() => [...document.querySelectorAll('a[href]')]
  .map(a => new URL(a.getAttribute('href'), location.href).href)"""
WIDTH = "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def shape(path_and_query: str) -> str:
    """A route shape: numbers and tokens in the path become placeholders; a query counts only as 'some'
    (the explorer's filters combine endlessly; a few of them stand for all)."""
    parts = urlsplit(path_and_query)
    path = re.sub(r"/\d+", "/N", parts.path)
    path = re.sub(r"/[A-Za-z0-9_-]{20,}", "/T", path)
    return path + ("?…" if parts.query else "")


def _same_site(url: str, base: str) -> str | None:
    if not url.startswith(base):
        return None
    rest = url[len(base) :].split("#", 1)[0]
    return rest or "/"


def _sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


def _crawl(page, base: str, role: str, problems: list[str]) -> tuple[int, int]:
    """Breadth first from the overview; returns how many pages were opened and links checked."""
    rendered: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    seen = {"/"}
    queue = deque([("/", "sign-in")])
    opened = requested = 0
    while queue:
        url, source = queue.popleft()
        requested += 1
        key = shape(url)
        if rendered[key] < RENDER_PER_SHAPE and not NOT_IN_BROWSER.search(url):
            answer = page.goto(base + url)  # one request: its status, then the rendered page
            status, html = answer.status, "text/html" in (answer.headers.get("content-type") or "")
        else:
            answer = page.request.get(base + url, max_redirects=5)
            status, html = answer.status, False
        if status >= 500 or status in (403, 404):
            problems.append(f"{role}: {url} answers {status} (linked from {source})")
            continue
        if not html:
            continue
        rendered[key] += 1
        opened += 1
        width = page.evaluate(WIDTH)
        if width > 1366:
            problems.append(f"{role}: {url} is {width} px wide in a 1366 px window")
        for href in page.evaluate(LINKS):
            target = _same_site(href, base)
            if target is None or target in seen or NEVER.search(target):
                continue
            seen.add(target)
            if checked[shape(target)] < CHECK_PER_SHAPE:
                checked[shape(target)] += 1
                queue.append((target, url))
    return opened, requested


@pytest.mark.timeout(600)  # ~1 min alone; a machine shared with other suites may need several
def test_every_role_can_follow_every_link_it_is_shown(app, browser, live_server):
    started = time.monotonic()
    with app.app_context():
        result = seed_demo(20261124)
        logins = {"admin": (result.email, result.password)}
        for role in ROLES[1:]:
            logins[role] = (make_user(role=role, password=TEST_PASSWORD).email, TEST_PASSWORD)
        db.session.commit()
    problems: list[str] = []
    opened, checked = {}, {}
    print(f"seeded in {time.monotonic() - started:.0f} s")
    for role in ROLES:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            _sign_in(page, *logins[role])
            opened[role], checked[role] = _crawl(page, live_server.url, role, problems)
        finally:
            context.close()
    print(f"crawl: {opened} pages opened, {checked} links checked in {time.monotonic() - started:.0f} s")
    assert problems == [], "\n".join(problems)
    assert min(opened.values()) >= 15, opened  # the crawl really went somewhere


def test_respondent_pages_fit_a_phone(app, browser, live_server):
    with app.app_context():
        inv, token = make_invitation()
        public = inv.survey
        public.public_link_enabled = True
        db.session.commit()
        ptoken = public.public_token
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    page = context.new_page()
    problems = []
    try:
        for url in (
            f"/r/{token}",
            f"/r/{token}/s/7",
            f"/r/{token}/thanks",
            f"/r/{token}/unsubscribe",
            f"/s/{ptoken}",
            f"/s/{ptoken}/embed",
            f"/s/{ptoken}/thanks",
        ):
            answer = page.goto(url)
            width = page.evaluate(WIDTH)
            if answer.status >= 400 or width > 360:
                problems.append(f"{url}: {answer.status}, {width} px wide at 360 px")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
