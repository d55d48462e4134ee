"""The REST API's costs, each next to its baseline in the same run:

- bulk contact upsert through ``POST /api/v1/contacts/bulk`` (1,000 per call) vs the same number of rows
  through the CSV import (check + preview + confirm), in contacts/s;
- ``GET /api/v1/metrics`` (NPS by week and tier, 90 days, with intervals) at N responses vs the same
  figures summed straight from the rollups with one SQL query: median and p95 of R calls.

A throwaway SQLite database (or BENCH_DATABASE_URL, a PostgreSQL database whose name contains "test"; it is
reset). Prints one line about the machine, then one JSON line per measurement:

    .venv/bin/python benchmarks/api.py [--contacts 5000] [--responses 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _app(folder: str):
    from app import create_app
    from tests.conftest import test_config

    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        from app.config import load_config

        uri = load_config({"DATABASE_URL": url, "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    else:
        uri = f"sqlite:///{folder}/bench.db"
    return create_app(test_config(uri) | {"INSTANCE_PATH": folder})


def bench_upsert(app, client, headers: dict, n: int) -> dict:
    """contacts/s through the bulk API and through the CSV import, same row count, fresh emails each."""
    from app.accounts.imports.apply import apply_batch, store_batch
    from app.accounts.imports.plan import plan_upload

    began = time.perf_counter()
    created = 0
    for start in range(0, n, 1000):
        rows = [
            {"email": f"api{i}@bench.example", "name": f"Api {i}", "locale": "en"}
            for i in range(start, min(n, start + 1000))
        ]
        resp = client.post("/api/v1/contacts/bulk", json={"contacts": rows}, headers=headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        created += resp.json["counts"]["created"]
    api_s = time.perf_counter() - began
    csv = "email,name,language\n" + "".join(f"csv{i}@bench.example,Csv {i},en\n" for i in range(n))
    with app.app_context():
        began = time.perf_counter()
        plan, text = plan_upload("contacts", "bench.csv", csv.encode())
        batch = store_batch(plan, text, None)
        counts = apply_batch(batch.id, None)
        csv_s = time.perf_counter() - began
    return {
        "bench": "contacts_upsert",
        "rows": n,
        "api_created": created,
        "api_contacts_per_s": round(n / api_s),
        "csv_counts": counts,
        "csv_contacts_per_s": round(n / csv_s),
        "ratio_api_to_csv": round(csv_s / api_s, 2),
    }


def load_responses(app, n: int, accounts: int = 2000) -> None:
    """N NPS responses over 400 days at ``accounts`` accounts of three tiers (rollups kept by triggers)."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Account, Response, Survey

    rng = random.Random(7)
    now = datetime.now(UTC)
    with app.app_context():
        db.session.execute(
            sa.insert(Account),
            [
                {"name": f"A{i}", "tier": ("enterprise", "mid_market", "smb")[i % 3], "attributes": {}}
                for i in range(accounts)
            ],
        )
        survey = Survey(name="Bench NPS", kind="nps", public_token=secrets.token_urlsafe(24))
        db.session.add(survey)
        db.session.commit()
        ids = list(db.session.execute(sa.select(Account.id)).scalars())
        for start in range(0, n, 20000):
            rows = []
            for _ in range(start, min(n, start + 20000)):
                at = now - timedelta(seconds=rng.randint(0, 400 * 86400))
                rows.append(
                    {
                        "survey_id": survey.id,
                        "kind": "nps",
                        "channel": "email",
                        "score": rng.choice(range(11)),
                        "account_id": rng.choice(ids),
                        "locale": "en",
                        "analysis_state": "skipped",
                        "analysis": {},
                        "created_at": at,
                        "updated_at": at,
                        "edit_count": 0,
                        "analysis_attempts": 0,
                    }
                )
            db.session.execute(sa.insert(Response), rows)
            db.session.commit()


def bench_metrics(app, client, headers: dict, repeat: int, n: int) -> dict:
    """The endpoint vs one SQL sum over the rollups, same filters."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Account, ResponseRollup

    end = datetime.now(UTC).date()
    start = end - timedelta(days=90)
    query = {
        "kind": "nps",
        "bucket": "week",
        "segment": "tier",
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    endpoint = []
    for _ in range(repeat):
        t = time.perf_counter()
        resp = client.get("/api/v1/metrics", query_string=query, headers=headers)
        endpoint.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200
    r = ResponseRollup
    cols = [sa.func.sum(getattr(r, f"s{i}")) for i in range(11)]
    stmt = (
        sa.select(r.day, Account.tier, *cols)
        .join(Account, Account.id == r.account_key, isouter=True)
        .where(r.kind == "nps", r.day >= start, r.day <= end)
        .group_by(r.day, Account.tier)
    )
    raw = []
    with app.app_context():
        for _ in range(repeat):
            t = time.perf_counter()
            db.session.execute(stmt).all()
            raw.append((time.perf_counter() - t) * 1000)
        db.session.remove()
    return {
        "bench": "metrics",
        "responses": n,
        "rows_returned": len(resp.json["rows"]),
        "endpoint_ms_median": round(statistics.median(endpoint), 1),
        "endpoint_ms_p95": round(_pct(endpoint, 0.95), 1),
        "rollup_sql_ms_median": round(statistics.median(raw), 1),
        "rollup_sql_ms_p95": round(_pct(raw, 0.95), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--responses", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app.api import tokens
    from app.extensions import db
    from tests.conftest import reset_schema
    from tests.factories import make_user

    folder = tempfile.mkdtemp(prefix="clearloop-bench-api-")
    app = _app(folder)
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        secret = tokens.create_token(make_user(role="admin"), "bench", list(tokens.SCOPES), None).secret
        dialect = db.engine.dialect.name
    print(
        json.dumps(
            {
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "system": platform.platform(terse=True),
                "db": dialect,
            }
        )
    )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    print(json.dumps(bench_upsert(app, client, headers, args.contacts)), flush=True)
    began = time.perf_counter()
    load_responses(app, args.responses)
    print(
        json.dumps(
            {"bench": "load", "responses": args.responses, "seconds": round(time.perf_counter() - began, 1)}
        ),
        flush=True,
    )
    print(json.dumps(bench_metrics(app, client, headers, args.repeat, args.responses)))


if __name__ == "__main__":
    main()
