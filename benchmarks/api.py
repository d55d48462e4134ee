"""The REST API's costs, each next to its baseline in the same run:

- bulk contact upsert through ``POST /api/v1/contacts/bulk`` (1,000 per call) vs the same number of rows
  through the CSV import (check + preview + confirm), in contacts/s, ``--rounds`` rounds side by side
  (fresh addresses each round; medians and the median of the per-round ratios);
- ``GET /api/v1/metrics`` at ``--responses`` responses vs the same figures summed straight from the
  rollups with one SQL query: median and p95 of ``--repeat`` calls each, for NPS by week × tier over 90
  days and NPS by month over a year, checking both sides count the same responses.

The responses are generated in bulk, not through the ORM: PostgreSQL ``COPY`` (rollup trigger off, then
one rebuild), SQLite ``executemany`` on the driver (rollup triggers dropped, then one rebuild and the
triggers back). A throwaway SQLite database, or BENCH_DATABASE_URL (a PostgreSQL database whose name
contains "test"; it is reset). Prints the machine first, then one JSON line per measurement:

    .venv/bin/python benchmarks/api.py --contacts 5000 --responses 1000000 [--repeat 30] [--rounds 3]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_test .venv/bin/python benchmarks/api.py …
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

RESPONSE_COLUMNS = (
    "survey_id", "kind", "channel", "score", "account_id", "locale", "analysis_state", "analysis",
    "created_at", "updated_at", "edit_count", "analysis_attempts",
)  # fmt: skip


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


def upsert_round(app, client, headers: dict, n: int, tag: str) -> tuple[float, float, int, dict]:
    """One round: seconds for ``n`` new contacts through the bulk API, then through the CSV import."""
    from app.accounts.imports.apply import apply_batch, store_batch
    from app.accounts.imports.plan import plan_upload

    began = time.perf_counter()
    created = 0
    for start in range(0, n, 1000):
        rows = [
            {"email": f"api{tag}-{i}@bench.example", "name": f"Api {i}", "locale": "en"}
            for i in range(start, min(n, start + 1000))
        ]
        resp = client.post("/api/v1/contacts/bulk", json={"contacts": rows}, headers=headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        created += resp.json["counts"]["created"]
    api_s = time.perf_counter() - began
    csv = "email,name,language\n" + "".join(f"csv{tag}-{i}@bench.example,Csv {i},en\n" for i in range(n))
    with app.app_context():
        began = time.perf_counter()
        plan, text = plan_upload("contacts", "bench.csv", csv.encode())
        batch = store_batch(plan, text, None)
        counts = apply_batch(batch.id, None)
        csv_s = time.perf_counter() - began
    return api_s, csv_s, created, counts


def bench_upsert(app, client, headers: dict, n: int, rounds: int) -> dict:
    """contacts/s through the bulk API and through the CSV import, same rows, ``rounds`` times."""
    api, csv, ratios = [], [], []
    for r in range(rounds):
        api_s, csv_s, created, counts = upsert_round(app, client, headers, n, f"r{r}")
        assert created == n, (created, n)
        api.append(n / api_s)
        csv.append(n / csv_s)
        ratios.append(csv_s / api_s)
        print(json.dumps({"bench": "contacts_upsert", "round": r + 1, "rows": n,
                          "api_contacts_per_s": round(n / api_s), "csv_contacts_per_s": round(n / csv_s),
                          "csv_counts": counts}), flush=True)  # fmt: skip
    return {
        "bench": "contacts_upsert",
        "rows": n,
        "rounds": rounds,
        "api_contacts_per_s_median": round(statistics.median(api)),
        "csv_contacts_per_s_median": round(statistics.median(csv)),
        "ratio_api_to_csv_median": round(statistics.median(ratios), 2),
    }


def _response_rows(survey_id: int, account_ids: list[int], n: int, rng: random.Random):
    """``n`` NPS responses over 400 days, as tuples in RESPONSE_COLUMNS order."""
    now = datetime.now(UTC)
    for _ in range(n):
        at = now - timedelta(seconds=rng.randint(0, 400 * 86400))
        yield (survey_id, "nps", "email", rng.randint(0, 10), rng.choice(account_ids), "en", "skipped", "{}",
               at, at, 0, 0)  # fmt: skip


def load_responses(app, n: int, accounts: int = 2000) -> dict:
    """N NPS responses at ``accounts`` accounts of three tiers, in bulk; the rollups rebuilt in one pass."""
    from app.extensions import db
    from app.models import Account, Survey
    from app.trends.services import rebuild_rollups

    rng = random.Random(7)
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
        dialect = db.engine.dialect.name
        began = time.perf_counter()
        conn = db.session.connection()
        raw = conn.connection.dbapi_connection
        if dialect == "postgresql":
            conn.exec_driver_sql("ALTER TABLE responses DISABLE TRIGGER response_rollups")
            columns = ", ".join(RESPONSE_COLUMNS)
            with raw.cursor() as cur, cur.copy(f"COPY responses ({columns}) FROM STDIN") as out:
                for row in _response_rows(survey.id, ids, n, rng):
                    out.write_row(row)
            conn.exec_driver_sql("ALTER TABLE responses ENABLE TRIGGER response_rollups")
        else:
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'responses'"
            ).all()
            for name, _ in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            marks = ", ".join("?" * len(RESPONSE_COLUMNS))
            insert = f"INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}) VALUES ({marks})"
            rows = _response_rows(survey.id, ids, n, rng)
            cursor = raw.cursor()
            stamp = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite format, naive UTC (app.models.base)
            while chunk := [r for _, r in zip(range(50_000), rows, strict=False)]:
                cursor.executemany(
                    insert, [(*r[:8], r[8].strftime(stamp), r[9].strftime(stamp), *r[10:]) for r in chunk]
                )
            for _, statement in triggers:
                conn.exec_driver_sql(statement)
        loaded = time.perf_counter() - began
        began = time.perf_counter()
        rollup_rows = rebuild_rollups()
        db.session.commit()
        rebuilt = time.perf_counter() - began
        if dialect == "postgresql":
            with db.engine.connect() as auto:
                auto.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
    return {"bench": "load", "responses": n, "load_s": round(loaded, 1),
            "rollup_rebuild_s": round(rebuilt, 1), "rollup_rows": rollup_rows}  # fmt: skip


def bench_metrics(app, client, headers: dict, repeat: int, n: int, days: int, bucket: str, segment) -> dict:
    """The endpoint vs one SQL sum over the rollups, same filters, same counted responses."""
    from app.extensions import db
    from app.models import Account, ResponseDayRollup, ResponseRollup

    end = datetime.now(UTC).date()
    start = end - timedelta(days=days - 1)
    query = {"kind": "nps", "bucket": bucket, "start": start.isoformat(), "end": end.isoformat()}
    if segment:
        query["segment"] = segment
    endpoint = []
    for _ in range(repeat + 1):  # the first call warms up
        t = time.perf_counter()
        resp = client.get("/api/v1/metrics", query_string=query, headers=headers)
        endpoint.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    endpoint = endpoint[1:]
    r = ResponseRollup if segment else ResponseDayRollup  # what the endpoint reads (app/api/figures.py)
    cols = [sa.func.sum(getattr(r, f"s{i}")) for i in range(11)]
    stmt = sa.select(r.day, *cols).where(r.kind == "nps", r.day >= start, r.day <= end)
    if segment:
        stmt = stmt.add_columns(Account.tier).join(Account, Account.id == r.account_key, isouter=True)
        stmt = stmt.group_by(r.day, Account.tier)
    else:
        stmt = stmt.group_by(r.day)
    raw = []
    with app.app_context():
        for _ in range(repeat + 1):
            t = time.perf_counter()
            rows = db.session.execute(stmt).all()
            raw.append((time.perf_counter() - t) * 1000)
        db.session.remove()
    raw = raw[1:]
    counted_sql = sum(sum(int(v or 0) for v in row[1:12]) for row in rows)
    counted_api = sum(row["n"] for row in resp.json["rows"])
    return {
        "bench": "metrics",
        "query": f"NPS by {bucket}{' × ' + segment if segment else ''}, {days} days",
        "responses": n,
        "rows_returned": len(resp.json["rows"]),
        "same_counts": counted_sql == counted_api,
        "responses_counted": counted_api,
        "endpoint_ms_median": round(statistics.median(endpoint), 1),
        "endpoint_ms_p95": round(_pct(endpoint, 0.95), 1),
        "rollup_sql_ms_median": round(statistics.median(raw), 1),
        "rollup_sql_ms_p95": round(_pct(raw, 0.95), 1),
        "ratio_median": round(statistics.median(endpoint) / statistics.median(raw), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--responses", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app.api import tokens
    from app.extensions import db
    from benchmarks.machine import print_machine
    from tests.conftest import reset_schema
    from tests.factories import make_user

    folder = tempfile.mkdtemp(prefix="clearloop-bench-api-")
    app = _app(folder)
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        secret = tokens.create_token(make_user(role="admin"), "bench", list(tokens.SCOPES), None).secret
        dialect = db.engine.dialect.name
    print_machine("api", {**vars(args), "db": dialect})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    print(json.dumps(bench_upsert(app, client, headers, args.contacts, args.rounds)), flush=True)
    print(json.dumps(load_responses(app, args.responses)), flush=True)
    for days, bucket, segment in ((90, "week", "tier"), (365, "month", None)):
        result = bench_metrics(app, client, headers, args.repeat, args.responses, days, bucket, segment)
        print(json.dumps({**result, "db": dialect}), flush=True)


if __name__ == "__main__":
    main()
