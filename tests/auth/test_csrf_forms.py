"""Every staff form, table-driven: posted with its own fields and the token it renders it is not refused;
posted without the token it is refused with 400 and nothing in the database changes (issue 20).

The table is built the way a person meets the forms: an admin opens every staff page (list pages and the
detail pages of a small seeded world) and every ``<form method="post">`` on them is one row.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from app.access import view_access
from app.extensions import db
from tests.factories import (
    make_account,
    make_contact,
    make_invitation,
    make_response,
    make_send,
    make_survey,
    make_topic,
)
from tests.helpers import Form, forms

# Forms that must be in the table whatever else changes: the ones a mutation run showed were unguarded.
MUST_COVER = {
    "/admin/users/<int:user_id>/role",
    "/admin/users/<int:user_id>/sessions",
    "/surveys/<int:survey_id>/send",
    "/settings",
    "/logout",
    "/accounts/new",
    "/topics",
}


def _seed() -> dict[str, int]:
    from app.models import SendStatus, Team

    survey = make_survey()
    account = make_account(name="Formco")
    contact = make_contact(account, email="dana@formco.example")
    send = make_send(survey, status=SendStatus.SCHEDULED)
    make_invitation(survey, contact=contact, send=send)
    response = make_response(survey, score=3, comment="The invoices are wrong", contact_id=contact.id)
    topic = make_topic("Invoices")
    team = Team(name="Billing team")
    db.session.add(team)
    db.session.commit()
    return {
        "survey": survey.id,
        "account": account.id,
        "contact": contact.id,
        "send": send.id,
        "response": response.id,
        "topic": topic.id,
        "team": team.id,
    }


def _pages(app, ids: dict[str, int]) -> list[str]:
    """Every staff GET page without arguments, and the detail pages of the seeded world."""
    pages = []
    for rule in app.url_map.iter_rules():
        access = view_access(app.view_functions[rule.endpoint])
        if rule.endpoint == "static" or isinstance(access, str) or "GET" not in rule.methods:
            continue
        if not rule.arguments:
            pages.append(rule.rule)
            continue
        values = {}
        for arg in rule.arguments:
            kind = arg.removesuffix("_id")
            if kind not in ids:
                break
            values[arg] = ids[kind]
        else:
            pages.append(rule.build(values, append_unknown=False)[1])
    return sorted({p for p in pages if not p.endswith((".csv", ".json", ".html", ".svg", ".png"))})


def _rule_of(app, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method="POST")
    except Exception:
        return None
    return next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _snapshot() -> str:
    """A digest of every row of every table."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _table(app, admin) -> dict[str, tuple[str, Form]]:
    """Rule → (page, form): the first form found for each place a staff form posts to."""
    ids = _seed_ids(app)
    found: dict[str, tuple[str, Form]] = {}
    for page in _pages(app, ids):
        resp = admin.get(page)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        for form in forms(resp):
            if form.method != "post":
                continue
            for target in [form.action, *form.formactions]:
                rule = _rule_of(app, target)
                if rule and rule not in found and not rule.startswith(("/r/", "/s/", "/api/")):
                    found[rule] = (
                        page,
                        Form(target, form.method, form.fields, form.submits, files=form.files),
                    )
    return found


def _seed_ids(app) -> dict[str, int]:
    with app.app_context():
        return _seed()


DESTRUCTIVE = ("delete", "logout", "sessions", "retire", "discard", "cancel", "remove", "reject", "merge")


def _destructive_last(item) -> tuple[bool, str]:
    """Forms that remove what other forms live on are posted after those."""
    return any(word in item[0] for word in DESTRUCTIVE), item[0]


def test_every_staff_form_needs_its_token_and_works_with_it(app, login):
    admin = app.test_client()
    login(admin, "admin")
    table = _table(app, admin)
    missing = MUST_COVER - set(table)
    assert not missing, f"these forms were not found on any staff page: {sorted(missing)}"
    assert len(table) >= 25, sorted(table)
    problems = []
    for rule, (page, form) in sorted(table.items(), key=_destructive_last):
        client = app.test_client()
        login(client, "admin")
        rendered = next(
            (f for f in forms(client.get(page)) if f.action == form.action or form.action in f.formactions),
            None,
        )
        if rendered is None:
            problems.append(f"{rule}: the form vanished from {page}")
            continue
        data = rendered.data()
        token = data.pop("csrf_token", None)
        if not token:
            problems.append(f"{rule}: the form on {page} renders no csrf_token")
            continue
        with app.app_context():
            before = _snapshot()
        refused = client.post(form.action, data=data, csrf=False)
        with app.app_context():
            after = _snapshot()
        if refused.status_code != 400:
            problems.append(f"{rule}: without the token it answered {refused.status_code}, not 400")
        if after != before:
            problems.append(f"{rule}: without the token the database changed")
        accepted = client.post(form.action, data={**data, "csrf_token": token}, csrf=False)
        accepted.get_data()  # a streamed export holds its app context until it is read
        accepted.close()
        if accepted.status_code == 400 and b"CSRF" in accepted.data:
            problems.append(f"{rule}: refused with the token of its own page")
    assert not problems, "\n".join(problems)
