"""Hostile input over every route of ``app.url_map`` and every form field, for each role and anonymous:
never a 5xx (issue 17 §9–13).

Two parts: a deterministic sweep (each route × method × role with every hostile value in every argument the
route's page names, plus the reserved ``url_for`` names) and a hypothesis search over random combinations.
The app runs with ``TESTING`` on, so an unhandled exception reaches the test as a traceback. Bounded: about
a minute on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROLES = ("anonymous", "viewer", "pm", "cs", "admin")
HOSTILE = [
    "\x00",
    "a\x00b",
    "\x01\x1b[31m",
    "99999999999",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "-1",
    "0",
    "²",
    "１２",
    "٣",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "x" * 5000,
    "/%09/evil.example",
    "/\t/evil.example",
    "/\r\n/x",
    "NaN",
    "1e309",
    "'; DROP TABLE users;--",
    "<script>alert(1)</script>",
    "\u202e",
]
# Argument names every route gets, besides the ones its own page shows: filters, paging, url_for's own.
COMMON_ARGS = [
    "page",
    "q",
    "sort",
    "survey",
    "account",
    "contact",
    "topic",
    "end",
    "start",
    "days",
    "score",
    "next",
    "state",
    "lang",
    "kind",
    "csm",
    "into",
    "reminder",
    "to",
    "parent_id",
    "response_id",
    "after",
    "endpoint",
    "_method",
    "_external",
    "_anchor",
    "_scheme",
    "embed",
    "account_hint",
    "comment",
]
NAME_RE = re.compile(r'name="([^"]+)"')


def _fill(rule, ids: dict[str, int], tokens: dict[str, str], value: str | None = None) -> str:
    """The rule's path with real ids and tokens (or a hostile number for int parts when given)."""
    path = rule.rule
    for arg in rule._converters:
        converter = rule._converters[arg].__class__.__name__
        if converter == "IntegerConverter":
            real = str(ids.get(arg, 1))
            replacement = value if value is not None and value.lstrip("-").isdigit() else real
        elif arg == "filename":
            replacement = "app.css"
        else:
            replacement = tokens.get(arg, "x")
        path = re.sub(rf"<[^>]*:?{arg}>", replacement, path)
    return path


@pytest.fixture
def world(app: Flask, login, monkeypatch) -> Iterator[dict]:
    """One row of every kind (so id routes reach their code), the clients per role, CSRF off."""
    from app.extensions import db
    from tests.factories import (
        make_contact,
        make_invitation,
        make_response,
        make_survey,
        make_topic,
    )

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    with app.app_context():
        survey = make_survey()
        contact = make_contact()
        invitation, token = make_invitation(survey, contact)
        response = make_response(survey, comment="Slow exports")
        topic = make_topic()
        ids = {
            "account_id": contact.account_id,
            "contact_id": contact.id,
            "survey_id": survey.id,
            "send_id": invitation.send_id,
            "response_id": response.id,
            "topic_id": topic.id,
        }
        tokens = {"token": token, "ptoken": survey.public_token, "score": "9"}
        db.session.commit()
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            login(client, role)
        clients[role] = client
    yield {"ids": ids, "tokens": tokens, "clients": clients, "rules": _rules(app)}


def _rules(app: Flask) -> list[tuple]:
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in {"auth.logout", "static"}:
            continue  # sign-out would end the role's session mid-sweep; static files take no input
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule, method))
    return out


def _request(client, method: str, path: str, args, form: dict | None = None, failures=None, **kw):
    """Send one request; a 5xx or an exception is a failure (collected when ``failures`` is a list)."""
    where = f"{method} {path[:80]} args={str(args)[:160]} form={str(form)[:160]}"
    try:
        kw.setdefault("data", form)
        resp = client.open(path, method=method, query_string=args, **kw)
    except Exception as exc:  # TESTING: an unhandled error reaches us as itself
        if failures is None:
            raise
        failures.append(f"{where} -> {exc.__class__.__name__}: {str(exc)[:120]}")
        return None
    if resp.status_code >= 500:
        if failures is None:
            raise AssertionError(f"{where} -> {resp.status_code}")
        failures.append(f"{where} -> {resp.status_code}")
    return resp


def _field_names(client, path: str) -> list[str]:
    resp = client.get(path)
    if resp.status_code != 200:
        return []
    return sorted(set(NAME_RE.findall(resp.get_data(as_text=True))) - {"csrf_token"})


# Refused wherever they appear (400 before any view runs), so each is sent alone, never in a rotation.
POISON = ["\x00", "a\x00b", "\x01\x1b[31m", "/\t/evil.example", "/\r\n/x"]


def _rotations(names: list[str], rounds: int) -> Iterator[dict[str, str]]:
    """Argument sets giving each name a different hostile value in each round."""
    values = [v for v in HOSTILE if v not in POISON]
    for r in range(rounds):
        yield {name: values[(k + r * 5) % len(values)] for k, name in enumerate(names)}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_hostile_values_never_5xx(world, role):
    """Each role in its own test (each well under the time limit on PostgreSQL)."""
    failures: list[str] = []
    client = world["clients"][role]
    thorough = role in ("anonymous", "admin")  # the others mostly meet 403s: fewer rounds
    for rule, method in world["rules"]:
        path = _fill(rule, world["ids"], world["tokens"])
        fields = _field_names(client, path) if thorough and "GET" in rule.methods else []
        names = sorted(set(COMMON_ARGS + fields))
        for value in ["99999999999", "9223372036854775808"] if thorough else ["2147483648"]:
            hostile_path = _fill(rule, world["ids"], world["tokens"], value)
            if hostile_path != path:
                _request(client, method, hostile_path, {}, failures=failures)
        sets = list(_rotations(names, 4 if thorough else 1))
        if thorough:
            sets += [dict.fromkeys(names, value) for value in (POISON[0], POISON[2])]
            sets += [{"endpoint": "x", "_method": "POST", "_external": "1", "_anchor": "x"}]
        for args in sets:
            if method == "GET":
                _request(client, "GET", path, args, failures=failures)
            else:
                _request(client, method, path, {}, args, failures=failures)
        if not thorough:
            continue
        # Invalid UTF-8 in the query string and the body; wrong content types.
        raw = "&".join(f"{name}=%ff%fe" for name in names)
        _request(client, method, path, raw, None, failures=failures)
        if method == "POST":
            for body, kind in (
                (b"\xff\xfe\x00", "text/plain"),
                (raw.encode(), "application/x-www-form-urlencoded"),
                (b"--x\r\n", "multipart/form-data; boundary=x"),
            ):
                _request(client, method, path, {}, None, failures=failures, data=body, content_type=kind)
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} requests failed:\n" + "\n".join(unique[:80])


HOSTILE_TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=4),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_random_hostile_combinations_never_5xx(world, data):
    role = data.draw(st.sampled_from(ROLES))
    rule, method = data.draw(st.sampled_from(world["rules"]))
    client = world["clients"][role]
    path = _fill(rule, world["ids"], world["tokens"], data.draw(st.one_of(st.none(), HOSTILE_TEXT)))
    names = data.draw(st.lists(st.sampled_from(COMMON_ARGS), max_size=6, unique=True))
    args = {name: data.draw(HOSTILE_TEXT) for name in names}
    if method == "GET":
        _request(client, "GET", path, args)
    else:
        _request(client, method, path, {}, args)
