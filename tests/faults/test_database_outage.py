"""PostgreSQL unreachable (a TCP proxy the test cuts): 503 with Retry-After and no traceback, answers
refused rather than half-written, and recovery by itself when the database is back (issue 17 suite)."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Response
from tests.factories import make_survey
from tests.faults.conftest import KEY_RE, TcpProxy, wait_for

pytestmark = [pytest.mark.committed, pytest.mark.faults]


def _get(host: str, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection(*host.split(":"), timeout=30)
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), resp.read().decode(errors="replace")


def _post(host: str, path: str, body: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection(*host.split(":"), timeout=30)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), resp.read().decode(errors="replace")


def test_postgresql_unreachable_gives_503_with_retry_after_then_recovers(app, stack, database_uri):
    with app.app_context():
        survey = make_survey()
        db.session.commit()
        ptoken = survey.public_token
    parts = urlsplit(database_uri)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxied = urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"))
    host = stack.web(DATABASE_URL=proxied)
    status, _, page = _get(host, f"/s/{ptoken}")
    assert status == 200
    key = KEY_RE.search(page).group(1)

    proxy.cut()
    for path in (f"/s/{ptoken}", "/healthz"):  # (the sign-in page itself needs no database)
        status, headers, body = _get(host, path)
        assert status == 503, (path, status, body[:300])
        assert headers.get("Retry-After") and "Traceback" not in body and "briefly unavailable" in body
    status, headers, body = _post(host, f"/s/{ptoken}", f"key={key}&score=8&comment=while+down")
    assert status == 503 and headers.get("Retry-After") and "Traceback" not in body

    proxy.restore()
    wait_for(lambda: _get(host, "/healthz")[0] == 200, 30, 0.5, "the app to reach the database again")
    status, _, _ = _post(host, f"/s/{ptoken}", f"key={key}&score=8&comment=after+the+outage")
    assert status == 303
    with app.app_context():
        comments = list(db.session.execute(sa.select(Response.comment)).scalars())
    assert comments == ["after the outage"]  # the refused answer left no partial row; the retry made one
    log = stack.log_of(stack.procs[0][0])
    assert "Traceback" not in log, log[-3000:]
    proxy.cut()
