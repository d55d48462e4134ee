"""Helpers shared by the survey, respond and mail tests."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask.testing import FlaskClient

KEY_RE = re.compile(r'name="key" value="([^"]*)"')
JSON = {"Accept": "application/json"}


def form_key(html: str) -> str:
    """The signed form key a respondent page carries."""
    match = KEY_RE.search(html)
    assert match, "the page has no form key"
    return match.group(1)


def path_of(url: str) -> str:
    """The path (and query) of an absolute link from an email."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def open_score(client: FlaskClient, token: str, score: int | str) -> str:
    """GET a score link and return the page's form key."""
    resp = client.get(f"/r/{token}/s/{score}")
    assert resp.status_code == 200, resp.status_code
    return form_key(resp.get_data(as_text=True))


def answer(client: FlaskClient, token: str, score: int, json: bool = True, **fields):
    """Open a score link, then post the answer the way the page does."""
    key = open_score(client, token, score)
    data = {"key": key, "score": str(score), **fields}
    return client.post(f"/r/{token}", data=data, headers=JSON if json else {})
