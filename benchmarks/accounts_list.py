"""Accounts and contacts lists at scale: 100k accounts, 300k contacts, 200k NPS answers.

Builds a throwaway database (SQLite in a temp folder, or the PostgreSQL database in BENCH_DATABASE_URL,
whose name must contain "test"; it is reset), then times each list query (count + one page) and a whole
page render through the app. Prints one JSON line per case:

    .venv/bin/python benchmarks/accounts_list.py [--accounts 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

CASES = {
    "accounts: default (name)": ("accounts", ""),
    "accounts: sort -arr": ("accounts", "sort=-arr"),
    "accounts: sort renewal": ("accounts", "sort=renewal"),
    "accounts: sort -nps (12-month shrunk NPS)": ("accounts", "sort=-nps"),
    "accounts: sort nps": ("accounts", "sort=nps"),
    "accounts: search 'north'": ("accounts", "q=north"),
    "accounts: tier+renewal 90d": ("accounts", "tier=enterprise&renewal_days=90"),
    "accounts: csm owner, page 20": ("accounts", "csm=3&page=20"),
    "accounts: deep page 1500": ("accounts", "page=1500"),
    "contacts: default (email)": ("contacts", ""),
    "contacts: search 'smith'": ("contacts", "q=smith"),
    "contacts: one account": ("contacts", "account=4242"),
    "contacts: unsubscribed": ("contacts", "status=unsubscribed"),
}


def build(n_accounts: int) -> None:
    """Fill the database with accounts, contacts and NPS answers in bulk."""
    from app.extensions import db
    from app.models import Account, Contact, Response, Role, Survey, SurveyKind, User

    rng = random.Random(7)
    users = [
        User(email=f"csm{i}@bench.example", name=f"CSM {i}", role=Role.CS, password_hash="x")  # noqa: S106 - never signs in
        for i in range(20)
    ]
    db.session.add_all(users)
    survey = Survey(
        name="NPS",
        kind=SurveyKind.NPS,
        public_token="bench-token-000000000000000000000000000000",  # noqa: S106
    )
    db.session.add(survey)
    db.session.flush()
    words = ["North", "Blue", "Iron", "Harbor", "Summit", "Lumen", "Cobalt", "Red", "Bright", "Key", "Silver"]
    now, today = datetime.now(UTC), date.today()
    accounts = [
        {
            "name": f"{rng.choice(words)} {rng.choice(words)} {i}",
            "external_id": f"B-{i}",
            "domain": f"b{i}.example",
            "arr": rng.randint(1_000, 900_000),
            "tier": rng.choice(["enterprise", "mid_market", "smb"]),
            "plan": rng.choice(["Starter", "Growth", "Business", "Enterprise"]),
            "renewal_date": today + timedelta(days=rng.randint(-30, 365)),
            "csm_owner_id": rng.choice(users).id if rng.random() < 0.7 else None,
            "attributes": {},
        }
        for i in range(n_accounts)
    ]
    for start in range(0, len(accounts), 5000):
        db.session.execute(sa.insert(Account), accounts[start : start + 5000])
    ids = db.session.execute(sa.select(Account.id)).scalars().all()
    last = ["smith", "jones", "brown", "lee", "patel", "garcia"]
    contacts = [
        {
            "email": f"p{i}@bench.example",
            "name": f"Person {rng.choice(last)} {i}",
            "account_id": rng.choice(ids),
            "locale": "en",
            "attributes": {},
            "unsubscribed_at": now if rng.random() < 0.03 else None,
        }
        for i in range(3 * n_accounts)
    ]
    for start in range(0, len(contacts), 5000):
        db.session.execute(sa.insert(Contact), contacts[start : start + 5000])
    answers = [
        {
            "survey_id": survey.id,
            "kind": "nps",
            "score": rng.randint(0, 10),
            "account_id": rng.choice(ids),
            "created_at": now - timedelta(days=rng.randint(0, 540)),
            "analysis_state": "skipped",
        }
        for _ in range(2 * n_accounts)
    ]
    for start in range(0, len(answers), 5000):
        db.session.execute(sa.insert(Response), answers[start : start + 5000])
    from app.health.services import refresh_account_nps

    refresh_account_nps()  # the stored 12-month NPS the list sorts by (the health jobs keep it current)
    db.session.commit()


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` runs after one warm-up."""
    fn()
    out = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        out.append((time.perf_counter() - began) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.queries import AccountFilters, ContactFilters, list_accounts, list_contacts
    from app.extensions import db
    from tests.conftest import reset_schema, test_config

    url = os.environ.get("BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="clearloop-bench-")
    if url:
        from app.config import load_config

        uri = load_config({"DATABASE_URL": url, "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    else:
        uri = f"sqlite:///{folder}/bench.db"
    app = create_app(test_config(uri) | {"INSTANCE_PATH": folder})
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        began = time.perf_counter()
        build(args.accounts)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        print(
            json.dumps(
                {
                    "bench": "accounts_list",
                    "case": "build",
                    "accounts": args.accounts,
                    "seconds": round(time.perf_counter() - began, 1),
                    "db": db.engine.dialect.name,
                }
            )
        )
    for case, (kind, query) in CASES.items():
        with app.test_request_context(f"/?{query}"):
            from flask import request

            filters = (AccountFilters if kind == "accounts" else ContactFilters).from_args(
                MultiDict(request.args)
            )
            fn = (
                (lambda f=filters: list_accounts(f))
                if kind == "accounts"
                else (lambda f=filters: list_contacts(f))
            )
            runs = timed(lambda fn=fn: (fn(), db.session.rollback()), args.repeat)
            page = fn()
        print(
            json.dumps(
                {
                    "bench": "accounts_list",
                    "case": case,
                    "accounts": args.accounts,
                    "rows": len(page.items),
                    "total": page.total,
                    "ms_median": round(statistics.median(runs), 1),
                    "ms_max": round(max(runs), 1),
                    "db": uri.split(":")[0],
                }
            )
        )
    render(app, args.repeat)


def render(app, repeat: int) -> None:
    """A whole request: sign-in cookie, query, template."""
    from app.extensions import db
    from tests.factories import make_user

    with app.app_context():
        make_user(
            role="viewer",
            email="bench-viewer@bench.example",
            password="correct horse battery staple 42",  # noqa: S106
        )
    from tests.helpers import BrowserClient

    # CSRF is on (tests/conftest.py: test_config): sign in the way a browser does, with the form's token.
    # Before, a plain client's sign-in was refused and every GET timed a redirect to /login (about 1 ms).
    client = BrowserClient(app, app.response_class, use_cookies=True)
    signed_in = client.post(
        "/login", data={"email": "bench-viewer@bench.example", "password": "correct horse battery staple 42"}
    )
    if signed_in.status_code not in (200, 302, 303):
        raise SystemExit(f"sign-in refused: {signed_in.status_code}")
    for path in ("/accounts", "/accounts?sort=-nps", "/contacts?q=smith"):
        status = client.get(path).status_code
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}, not 200: the page is not what is timed")
        runs = timed(lambda p=path: client.get(p), repeat)
        print(
            json.dumps(
                {
                    "bench": "accounts_list",
                    "case": f"GET {path}",
                    "status": status,
                    "ms_median": round(statistics.median(runs), 1),
                    "ms_max": round(max(runs), 1),
                }
            )
        )
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
