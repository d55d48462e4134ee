"""Dashboards from the response rollups vs the same numbers by a scan of the responses, in one run.

Bulk-generates responses (NPS, CSAT, CES) over two years and many accounts into a throwaway database
(SQLite in a temp folder, or the PostgreSQL database in BENCH_DATABASE_URL, whose name must contain
"test"; it is reset), then times, side by side:

- trends: NPS by day over the two years (what the Trends page reads), and
- overview: NPS, CSAT and CES of the last 90 days,

once from ``response_rollups`` and once by grouping ``responses``, checking both give the same counts.
Then the write cost of keeping the rollups: p95 of single-answer transactions (insert + commit) with the
triggers and without them. Prints the machine first, then one JSON line per measure:

    .venv/bin/python benchmarks/dashboard_rollups.py --responses 100000 --accounts 2000 [--repeat 5]
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

SCORES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def build(n: int, n_accounts: int) -> dict[str, int]:
    """Accounts, three surveys and ``n`` responses over two years (rollups rebuilt in one pass after)."""
    from app.extensions import db
    from app.models import Account, Response, Survey, SurveyKind
    from app.trends.services import rebuild_rollups

    rng = random.Random(11)
    surveys = {}
    for kind in SCORES:
        survey = Survey(name=kind, kind=SurveyKind(kind), public_token=f"bench-{kind}-" + "0" * 30)
        db.session.add(survey)
        db.session.flush()
        surveys[kind] = survey.id
    rows = [
        {"name": f"A{i}", "external_id": f"A{i}", "arr": 1000, "attributes": {}} for i in range(n_accounts)
    ]
    db.session.execute(sa.insert(Account), rows)
    ids = db.session.execute(sa.select(Account.id)).scalars().all()
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        db.session.execute(sa.text("ALTER TABLE responses DISABLE TRIGGER response_rollups"))
    now = datetime.now(UTC)
    began = time.perf_counter()
    for start in range(0, n, 20_000):
        batch = []
        for _ in range(min(20_000, n - start)):
            kind = rng.choice(("nps", "nps", "csat", "ces"))
            low, high = SCORES[kind]
            batch.append(
                {
                    "survey_id": surveys[kind],
                    "kind": kind,
                    "score": rng.randint(low, high),
                    "account_id": rng.choice(ids) if rng.random() < 0.95 else None,
                    "created_at": now - timedelta(seconds=rng.randint(0, 730 * 86_400)),
                    "analysis_state": "skipped",
                }
            )
        db.session.execute(sa.insert(Response), batch)
    load = time.perf_counter() - began
    began = time.perf_counter()
    if dialect == "postgresql":
        db.session.execute(sa.text("ALTER TABLE responses ENABLE TRIGGER response_rollups"))
        rollup_rows = rebuild_rollups()
    else:
        rollup_rows = db.session.execute(sa.text("SELECT count(*) FROM response_rollups")).scalar_one()
    db.session.commit()
    if dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return {
        "load_s": round(load, 1),
        "rebuild_s": round(time.perf_counter() - began, 1),
        "rollup_rows": rollup_rows,
    }


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median milliseconds of ``repeat`` runs after a warm-up, and the last result."""
    result = fn()
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        runs.append((time.perf_counter() - began) * 1000)
    return statistics.median(runs), result


def scan_by_day(kind: str, start, end) -> dict:
    """The same per-day counts as the rollups, by grouping the responses (UTC workspace)."""
    from app.extensions import db
    from app.models import Response

    day = (
        sa.func.date(Response.created_at)
        if db.engine.dialect.name == "sqlite"
        else sa.cast(sa.func.timezone("UTC", Response.created_at), sa.Date)
    )
    counts = [sa.func.sum(sa.case((Response.score == k, 1), else_=0)) for k in range(11)]
    rows = db.session.execute(
        sa.select(day, sa.func.count(), *counts)
        .where(
            Response.kind == kind, Response.created_at >= datetime.combine(start, datetime.min.time(), UTC)
        )
        .group_by(day)
    ).all()
    return {str(r[0]): tuple(int(x) for x in r[1:]) for r in rows if str(r[0]) <= str(end)}


def rollup_by_day(kind: str, start, end) -> dict:
    """Per-day counts from the rollups (what the Trends page reads)."""
    from app.models import ResponseRollup as R
    from app.trends.queries import grouped_counts

    cells = grouped_counts(kind, start, end, [R.day])
    return {str(k[0]): (c.n, *c.scores) for k, c in cells.items()}


def overview_rollups(start, end) -> list:
    """NPS, CSAT and CES of the period from the rollups."""
    from app.trends.queries import kind_counts

    return [kind_counts(k, start, end).metric(k).value for k in SCORES]


def answer_p95(with_triggers: bool, n: int) -> float:
    """p95 milliseconds of one-answer transactions (insert + commit), with or without rollup upkeep."""
    from app.extensions import db
    from app.models import Response, Survey

    survey_id = db.session.execute(sa.select(Survey.id).where(Survey.kind == "nps")).scalar_one()
    dialect = db.engine.dialect.name
    toggle = "ENABLE" if with_triggers else "DISABLE"
    if dialect == "postgresql":
        db.session.execute(sa.text(f"ALTER TABLE responses {toggle} TRIGGER response_rollups"))
        db.session.commit()
    elif not with_triggers:
        saved = (
            db.session.execute(
                sa.text(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'response_rollups_%'"
                )
            )
            .scalars()
            .all()
        )
        for name in ("insert", "delete", "update"):
            db.session.execute(sa.text(f"DROP TRIGGER response_rollups_{name}"))
        db.session.commit()
    runs = []
    for i in range(n):
        began = time.perf_counter()
        db.session.execute(
            sa.insert(Response),
            {
                "survey_id": survey_id,
                "kind": "nps",
                "score": i % 11,
                "account_id": 1 + i % 50,
                "created_at": datetime.now(UTC),
                "analysis_state": "skipped",
            },
        )
        db.session.commit()
        runs.append((time.perf_counter() - began) * 1000)
    if dialect == "postgresql":
        db.session.execute(sa.text("ALTER TABLE responses ENABLE TRIGGER response_rollups"))
    elif not with_triggers:
        for statement in saved:
            db.session.execute(sa.text(statement))
        from app.trends.services import rebuild_rollups

        rebuild_rollups()
    db.session.commit()
    return statistics.quantiles(runs, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--answers", type=int, default=300, help="single-answer transactions per p95 side")
    args = parser.parse_args()
    print(
        json.dumps(
            {"machine": {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}}
        )
    )
    from flask_migrate import upgrade

    from app import create_app
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
        dbname = db.engine.dialect.name
        built = build(args.responses, args.accounts)
        print(
            json.dumps(
                {"bench": "dashboard_rollups", "case": "build", "db": dbname, "rows": args.responses, **built}
            )
        )
        today = datetime.now(UTC).date()
        two_years, ninety = today - timedelta(days=729), today - timedelta(days=89)
        cases = {
            "trends: NPS by day, 2 years": (
                lambda: rollup_by_day("nps", two_years, today),
                lambda: scan_by_day("nps", two_years, today),
            ),
            "overview: NPS, CSAT, CES of 90 days": (
                lambda: overview_rollups(ninety, today),
                lambda: [scan_by_day(k, ninety, today) for k in SCORES],
            ),
        }
        for case, (rollup, scan) in cases.items():
            rollup_ms, rolled = timed(rollup, args.repeat)
            scan_ms, scanned = timed(scan, args.repeat)
            same = rolled == scanned if case.startswith("trends") else None
            print(
                json.dumps(
                    {
                        "bench": "dashboard_rollups",
                        "case": case,
                        "db": dbname,
                        "rows": args.responses,
                        "rollup_ms": round(rollup_ms, 1),
                        "scan_ms": round(scan_ms, 1),
                        "ratio": round(scan_ms / rollup_ms, 1) if rollup_ms else None,
                        "same_counts": same,
                    }
                )
            )
        with_p95 = answer_p95(True, args.answers)
        without_p95 = answer_p95(False, args.answers)
        print(
            json.dumps(
                {
                    "bench": "dashboard_rollups",
                    "case": "answer transaction p95",
                    "db": dbname,
                    "rows": args.responses,
                    "with_rollups_ms": round(with_p95, 2),
                    "without_ms": round(without_p95, 2),
                    "overhead": round(with_p95 / without_p95 - 1, 3) if without_p95 else None,
                }
            )
        )


if __name__ == "__main__":
    main()
