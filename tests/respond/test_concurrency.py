"""The same answer posted many times at once against a real server: exactly one row, no 5xx."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Response
from tests.factories import make_invitation, make_survey
from tests.surveys.util import form_key

pytestmark = pytest.mark.committed

CLIENTS = 40


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - loopback test server
        return resp.read().decode()


def _hammer(url: str, fields: dict[str, str]) -> list[int]:
    body = urllib.parse.urlencode(fields).encode()
    start = threading.Barrier(CLIENTS)

    def post(_: int) -> int:
        request = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})  # noqa: S310
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310 - loopback
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(post, range(CLIENTS)))


def _rows(app) -> list[Response]:
    with app.app_context():
        return list(db.session.execute(sa.select(Response)).scalars())


def test_one_token_answered_by_many_clients_at_once_gives_one_row(app, live_server):
    with app.app_context():
        _, token = make_invitation(make_survey("nps"))
        db.session.commit()
    key = form_key(_get(f"{live_server.url}/r/{token}/s/6"))
    codes = _hammer(f"{live_server.url}/r/{token}", {"key": key, "score": "6", "comment": "Same words"})
    assert codes == [200] * CLIENTS
    [row] = _rows(app)
    assert (row.score, row.comment, row.edit_count) == (6, "Same words", 0)


def test_one_anonymous_page_posted_by_many_clients_at_once_gives_one_row(app, live_server):
    with app.app_context():
        ptoken = make_survey("csat").public_token
        db.session.commit()
    key = form_key(_get(f"{live_server.url}/s/{ptoken}"))
    codes = _hammer(f"{live_server.url}/s/{ptoken}", {"key": key, "score": "4"})
    assert codes == [200] * CLIENTS
    [row] = _rows(app)
    assert row.score == 4 and row.submission_id
