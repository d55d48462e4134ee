"""Dashboards from the response rollups vs the same numbers by a scan of the responses, in one run.

Bulk-generates responses (NPS, CSAT, CES) over two years and many accounts into a throwaway database
(SQLite in a temp folder, or the PostgreSQL database in BENCH_DATABASE_URL, whose name must contain
"test"; it is reset), then times, side by side:

- trends: NPS by day over the two years (what the Trends page reads, overall or by survey), from the day
  rollup ``response_day_rollups`` (day × survey × kind);
- overview: NPS, CSAT and CES of the last 90 days (the day rollup);
- charts split by tier, plan, stage, CSM (the segment rollup) and account (the month rollup, plus the fine
  one for partial months), at several grains and ranges, exactly as the Trends page reads them: the
  segment's values, the grain coarsened over 400 points, the counts per bucket and value,

once from the rollups and once by grouping ``responses`` (joined to the accounts), checking both give the
same counts. Then the cost of changing an account's attributes (its counts move between segment values).
``--responses 100000,1000000`` measures the growth: the database is filled to each size in turn.

Then the write cost of keeping both rollups, at the largest size: the triggers' cost per row (a batch
of single-row inserts in one transaction, rolled back, with and without the triggers), p95 of
single-answer transactions (insert + commit) and p95 of the answer endpoint itself (``POST /r/<token>``,
a one-click score on a fresh invitation, in-process through the test client), each with the triggers
and without them, in alternating blocks so both sides see the same machine. ``--redis-url`` queues the
answer's jobs as in production (else they run inline in the request). Prints the machine first, then one
JSON line per measure:

    .venv/bin/python benchmarks/dashboard_rollups.py --responses 100000,1000000 --accounts 2000 [--repeat 5]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_x .venv/bin/python benchmarks/dash...
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


def setup(n_accounts: int) -> tuple[dict[str, int], list[int]]:
    """Accounts and the three surveys; returns (survey ids by kind, account ids)."""
    from app.extensions import db
    from app.models import Account, Lifecycle, Survey, SurveyKind, User

    surveys = {}
    for kind in SCORES:
        survey = Survey(name=kind, kind=SurveyKind(kind), public_token=f"bench-{kind}-" + "0" * 30)
        db.session.add(survey)
        db.session.flush()
        surveys[kind] = survey.id
    csms = [
        {"email": f"csm{i}@bench.example", "name": f"CSM {i}", "role": "admin", "password_hash": "x"}
        for i in range(20)
    ]
    db.session.execute(sa.insert(User), csms)
    csm_ids = [None, *db.session.execute(sa.select(User.id)).scalars().all()]
    tiers = ["enterprise", "mid_market", "smb", None]
    plans = ["starter", "pro", "business", None]
    stages = [None, *(s.value for s in Lifecycle)]
    rows = [
        {
            "name": f"A{i}",
            "external_id": f"A{i}",
            "arr": 1000,
            "attributes": {},
            "tier": tiers[i % 4],
            "plan": plans[(i // 4) % 4],
            "lifecycle_stage": stages[i % len(stages)],
            "csm_owner_id": csm_ids[i % len(csm_ids)],
        }
        for i in range(n_accounts)
    ]
    db.session.execute(sa.insert(Account), rows)
    ids = db.session.execute(sa.select(Account.id)).scalars().all()
    db.session.commit()
    return surveys, list(ids)


def grow(have: int, n: int, surveys: dict[str, int], ids: list[int]) -> dict[str, float]:
    """Add responses until there are ``n`` (random kinds, scores, accounts, times over two years). The
    triggers are off during the bulk load (COPY on PostgreSQL) and the rollups rebuilt in one pass after."""
    from app.extensions import db
    from app.models import Response
    from app.trends.services import rebuild_rollups

    rng = random.Random(11 + have)
    dialect = db.engine.dialect.name
    set_triggers(False)
    now = datetime.now(UTC)
    began = time.perf_counter()
    for start in range(have, n, 20_000):
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
        if dialect == "postgresql":
            copy_rows(batch)
        else:
            db.session.execute(sa.insert(Response), batch)
    load = time.perf_counter() - began
    db.session.commit()
    began = time.perf_counter()
    set_triggers(True)
    rollup_rows = rebuild_rollups()
    db.session.commit()
    if dialect == "postgresql":
        with db.engine.connect() as conn:
            # as autovacuum would: the rebuild's deleted rows gone, the visibility map set
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return {
        "load_s": round(load, 1),
        "rebuild_s": round(time.perf_counter() - began, 1),
        "rollup_rows": rollup_rows,
        **{
            f"{name}_rollup_rows": db.session.execute(
                sa.text(f"SELECT count(*) FROM response_{name}_rollups")
            ).scalar_one()
            for name in ("day", "month", "segment")
        },
    }


def copy_rows(batch: list[dict]) -> None:
    """PostgreSQL: COPY a batch of responses through the session's connection (same transaction)."""
    from app.extensions import db

    columns = ["survey_id", "kind", "score", "account_id", "created_at", "analysis_state"]
    now = datetime.now(UTC)
    raw = db.session.connection().connection.driver_connection
    fixed = {"channel": "email", "locale": "en", "edit_count": 0, "analysis_attempts": 0, "analysis": "{}"}
    with raw.cursor() as cur:
        sql = f"COPY responses ({', '.join([*columns, *fixed, 'updated_at'])}) FROM STDIN"
        with cur.copy(sql) as copy:
            for row in batch:
                copy.write_row([*(row[c] for c in columns), *fixed.values(), now])


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


def rollup_by_day(kind: str, start, end, fine: bool = False) -> dict:
    """Per-day counts from the day rollup (what the Trends page reads) or, ``fine``, the fine one."""
    from app.models import ResponseDayRollup, ResponseRollup
    from app.trends.queries import grouped_counts

    table = ResponseRollup if fine else ResponseDayRollup
    cells = grouped_counts(kind, start, end, [table.day], table=table)
    return {str(k[0]): (c.n, *c.scores) for k, c in cells.items()}


def page_rows(segment: str, kind: str, start, end, grain: str) -> tuple[str, list]:
    """What the Trends page reads for a chart split by ``segment`` (``trend_rows``): the rows by quarter,
    which name the segment's values (the grain coarsens over 400 points), then at the grain shown when
    finer; from the segment rollup by an attribute, the month rollup plus the fine one at partial months by
    account. Query and fetch: the Python that turns rows into the chart is the same for a scan."""
    from app.trends.series import TrendFilters, trend_rows

    return trend_rows(TrendFilters(kind=kind, grain=grain, start=start, end=end, segment=segment))


def page_cells(segment: str, kind: str, start, end, grain: str) -> tuple[str, dict]:
    """``page_rows`` turned into the chart's cells {(bucket, key): Counts} (the page's whole read)."""
    from app.trends.series import segment_cells

    grain, rows = page_rows(segment, kind, start, end, grain)
    return grain, segment_cells(segment, rows)


def scan_rows(segment: str, kind: str, start, end, grain: str) -> tuple[str, list]:
    """The same rows by grouping the responses joined to the accounts (UTC workspace), at the grain the
    page settled on (the scan is spared finding the segment's values)."""
    from app.extensions import db
    from app.models import Account, Response
    from app.trends.series import bucket_sql

    day = (
        sa.func.date(Response.created_at)
        if db.engine.dialect.name == "sqlite"
        else sa.cast(sa.func.timezone("UTC", Response.created_at), sa.Date)
    )
    key = {
        "tier": Account.tier,
        "plan": Account.plan,
        "stage": Account.lifecycle_stage,
        "csm": Account.csm_owner_id,
        "account": sa.func.coalesce(Response.account_id, 0),
    }[segment]
    bucket = bucket_sql(day, grain)
    counts = [sa.func.sum(sa.case((Response.score == k, 1), else_=0)) for k in range(11)]
    low = datetime.combine(start, datetime.min.time(), UTC)
    high = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)
    stmt = (
        sa.select(bucket, key, sa.func.count(), *counts)
        .select_from(Response)
        .join(Account, Account.id == Response.account_id, isouter=True)
        .where(
            Response.kind == kind,
            Response.created_at >= low,
            Response.created_at < high,
            sa.not_(Response.scanner_suspect),
        )
        .group_by(bucket, key)
    )
    return grain, db.session.execute(stmt).all()


def account_page(kind: str, start, end, grain: str, rank: str = "answers", top: int = 5) -> tuple:
    """The Trends page's whole read of a chart split by account (``account_split``): the top N accounts,
    the rest together and no account by bucket, and the first page of the ranked table of every account.
    Returns (grain shown, cells, [(rank, account, counts)] of the table's page)."""
    from app.trends.series import TrendFilters, account_split

    filters = TrendFilters(
        kind=kind, grain=grain, start=start, end=end, segment="account", top=top, rank=rank
    )
    shown, cells, table, _top = account_split(filters)
    return shown, cells, [(r.rank, r.key, r.counts) for r in table.rows]


def account_scan(kind: str, start, end, grain: str, rank: str = "answers", top: int = 5) -> tuple:
    """The same by one scan of the responses grouped by bucket and account (``scan_rows``, at the grain the
    page settled on), ranked and folded in Python: each account's totals, the top N, the rest together."""
    from app.extensions import db
    from app.models import Account
    from app.trends.queries import Counts
    from app.trends.series import ACCOUNTS_PER_PAGE, OTHERS, _as_date

    _, rows = scan_rows("account", kind, start, end, grain)
    totals: dict[int, Counts] = {}
    per_cell: list[tuple] = []
    for r in rows:
        counts = Counts(int(r[2]), tuple(int(v) for v in r[3:]))
        per_cell.append((_as_date(r[0]), int(r[1]), counts))
        if r[1]:
            totals[int(r[1])] = totals.get(int(r[1]), Counts.empty()) + counts
    if rank == "arr":
        arr = dict(db.session.execute(sa.select(Account.id, Account.arr)).all())
        ranked = sorted(totals.items(), key=lambda kc: (-(arr.get(kc[0]) or 0), -kc[1].n, kc[0]))
    else:
        ranked = sorted(totals.items(), key=lambda kc: (-kc[1].n, kc[0]))
    shown = {k for k, _ in ranked[:top]}
    cells: dict = {}
    for bucket, key, counts in per_cell:
        at = (bucket, key if key in shown or key == 0 else OTHERS)
        cells[at] = cells.get(at, Counts.empty()) + counts
    page = [(i + 1, k, c) for i, (k, c) in enumerate(ranked[:ACCOUNTS_PER_PAGE])]
    return grain, cells, page


def scan_cells(segment: str, rows: list) -> dict:
    """``scan_rows`` as the chart's cells (enum keys as their values, as the segment rollup stores them)."""
    from app.trends.queries import Counts
    from app.trends.series import _as_date, segment_key

    return {
        (_as_date(r[0]), segment_key(segment, getattr(r[1], "value", r[1]))): Counts(int(r[2]), tuple(r[3:]))
        for r in rows
    }


def overview_rollups(start, end) -> list:
    """NPS, CSAT and CES of the period from the day rollup."""
    from app.trends.queries import kind_counts

    return [kind_counts(k, start, end).metric(k) for k in SCORES]


def overview_scan(start, end) -> list:
    """The same figures from the responses: per-day counts summed."""
    from app.trends.queries import Counts

    out = []
    for kind in SCORES:
        total = Counts.empty()
        for n, *scores in scan_by_day(kind, start, end).values():
            total = total + Counts(n, tuple(scores))
        out.append(total.metric(kind))
    return out


def attribute_change(ids: list[int], rounds: int = 5) -> dict:
    """Milliseconds to change one account's tier, plan, stage and CSM (the accounts' trigger moves its
    counts between segment values), median of ``rounds`` accounts, each rolled back."""
    from app.extensions import db
    from app.models import Account

    runs, answers = [], []
    for account_id in ids[1 : 1 + rounds]:
        answers.append(
            db.session.execute(
                sa.text("SELECT count(*) FROM responses WHERE account_id = :a"), {"a": account_id}
            ).scalar_one()
        )
        began = time.perf_counter()
        db.session.execute(
            sa.update(Account)
            .where(Account.id == account_id)
            .values(tier="smb", plan="zeta", lifecycle_stage="at_risk", csm_owner_id=None)
        )
        runs.append((time.perf_counter() - began) * 1000)
        db.session.rollback()
    return {
        "case": "account attribute change (four segments moved)",
        "median_ms": round(statistics.median(runs), 1),
        "answers_per_account": round(statistics.median(answers)),
    }


def set_triggers(on: bool) -> None:
    """Switch the rollup upkeep on or off (PostgreSQL: the trigger; SQLite: drop / recreate the three)."""
    from app.extensions import db
    from app.trends.rollup_sql import ACCOUNT_TRIGGERS_SQLITE, TRIGGERS_SQLITE, sqlite_triggers

    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            sa.text(f"ALTER TABLE responses {'ENABLE' if on else 'DISABLE'} TRIGGER response_rollups")
        )
    else:
        for name in (*TRIGGERS_SQLITE, *ACCOUNT_TRIGGERS_SQLITE):
            db.session.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
        for statement in sqlite_triggers() if on else []:
            db.session.execute(sa.text(statement))
    db.session.commit()


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return statistics.quantiles(values, n=20)[18]


def interleaved(measure, n: int, block: int = 25) -> tuple[list, list]:
    """``measure(i)`` ((wall, cpu) milliseconds) n times with the triggers and n times without, in
    alternating blocks; the triggers end switched on and the rollups rebuilt (the untracked answers are
    counted again)."""
    from app.trends.services import rebuild_rollups

    with_ms: list[tuple[float, float]] = []
    without_ms: list[tuple[float, float]] = []
    i = 0
    while len(with_ms) < n or len(without_ms) < n:
        for on, out in ((True, with_ms), (False, without_ms)):
            set_triggers(on)
            for _ in range(min(block, n - len(out))):
                out.append(measure(i))
                i += 1
    set_triggers(True)
    from app.extensions import db

    rebuild_rollups()
    db.session.commit()
    return with_ms, without_ms


def per_row_cost(survey_id: int, n: int, rounds: int = 3) -> dict:
    """Microseconds per single-row insert (one statement each, one transaction, rolled back) with both
    rollups' triggers and without them, in alternating rounds: the triggers' own cost, without the
    noise of commits and requests. Medians of ``rounds``, by CPU time (SQLite runs in this process),
    which a busy machine disturbs far less than the wall clock. SQLite only: on PostgreSQL thousands of
    updates of the same rollup rows in one transaction grow each row's version chain (no pruning before
    the commit), which no answer does; there the trigger function's server time per committed answer is
    read instead (``trigger_function_stats``)."""
    from app.extensions import db
    from app.models import Response

    clock = time.process_time

    def batch() -> float:
        began = clock()
        for i in range(n):
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
        elapsed = (clock() - began) * 1e6 / n
        db.session.rollback()
        return elapsed

    with_us: list[float] = []
    without_us: list[float] = []
    for _ in range(rounds):
        for on, out in ((True, with_us), (False, without_us)):
            set_triggers(on)
            out.append(batch())
    set_triggers(True)
    w, wo = statistics.median(with_us), statistics.median(without_us)
    return {"with_cpu_us": round(w, 1), "without_cpu_us": round(wo, 1), "trigger_cpu_us": round(w - wo, 1)}


def trigger_function_stats(dbname: str) -> dict:
    """PostgreSQL: calls and mean milliseconds of the trigger function on the server (``track_functions``,
    switched on for this database by the run), since the last reset: its own cost per answer, which the
    client's clock and a busy machine blur. Connections are closed first so their counts are flushed."""
    from app.extensions import db

    if dbname != "postgresql":
        return {}
    db.session.remove()
    db.engine.dispose()
    time.sleep(1.5)
    row = db.session.execute(
        sa.text(
            "SELECT calls, total_time, self_time FROM pg_stat_user_functions"
            " WHERE funcname = 'response_rollups_apply'"
        )
    ).first()
    db.session.commit()
    if row is None or not row.calls:
        return {"trigger_calls": 0}
    return {"trigger_calls": row.calls, "trigger_mean_ms": round(row.total_time / row.calls, 4)}


def reset_function_stats(dbname: str) -> None:
    """PostgreSQL: start counting the trigger function's calls and time afresh."""
    from app.extensions import db

    if dbname == "postgresql":
        db.session.execute(sa.text("SELECT pg_stat_reset()"))
        db.session.commit()


def insert_measure(survey_id: int):
    """One-answer transactions: a Core insert and a commit."""
    from app.extensions import db
    from app.models import Response

    def one(i: int) -> tuple[float, float]:
        began, cpu = time.perf_counter(), time.process_time()
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
        return (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000

    return one


def seed_invitations(n: int, survey_id: int, account_id: int) -> list[tuple[str, dict[str, str]]]:
    """``n`` delivered invitations of the NPS survey, each with the POST a one-click answer sends."""
    from benchmarks.fixtures import answer_post
    from benchmarks.fixtures import seed_invitations as seed

    pairs = seed(n, survey_id=survey_id, account_id=account_id)
    return [answer_post(token, inv_id, i % 11) for i, (token, inv_id) in enumerate(pairs)]


def endpoint_measure(app, requests: list[tuple[str, dict[str, str]]]):
    """The answer endpoint through the test client (a fresh invitation each time)."""
    from app.extensions import db

    client = app.test_client()

    def one(i: int) -> tuple[float, float]:
        path, data = requests[i]
        db.session.remove()  # the request uses its own session, as under gunicorn
        began, cpu = time.perf_counter(), time.process_time()
        resp = client.post(path, data=data, headers={"Accept": "application/json"})
        elapsed = (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000
        if resp.status_code >= 400:
            raise SystemExit(f"answer refused: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
        return elapsed

    return one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", default="100000", help="sizes, comma-separated (growth)")
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--answers", type=int, default=300, help="answers per side for each p95")
    parser.add_argument("--block", type=int, default=25, help="answers per side before switching")
    parser.add_argument("--redis-url", default="", help="queue the answer's jobs in this Redis database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database a previous run filled (BENCH_DATABASE_URL or --sqlite-path): no reset, "
        "responses added only up to each size",
    )
    parser.add_argument(
        "--sqlite-path", default="", help="SQLite file to use (kept; with --reuse, read again)"
    )
    parser.add_argument("--reads-only", action="store_true", help="skip the write measures")
    parser.add_argument("--only", default="", help="measure only the read cases whose name has this text")
    args = parser.parse_args()
    sizes = sorted({int(x.replace("_", "")) for x in args.responses.split(",")})
    from benchmarks.machine import print_machine

    print_machine("dashboard_rollups", vars(args))
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from tests.conftest import reset_schema, test_config

    url = os.environ.get("BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="clearloop-bench-")
    if url:
        from app.config import load_config

        if "test" not in url.rsplit("/", 1)[-1]:
            raise SystemExit("BENCH_DATABASE_URL must name a database with 'test' in its name (it is reset)")
        uri = load_config({"DATABASE_URL": url, "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    else:
        uri = f"sqlite:///{args.sqlite_path or folder + '/bench.db'}"
    config = test_config(uri) | {"INSTANCE_PATH": folder, "WTF_CSRF_ENABLED": False}
    if args.redis_url:
        config["REDIS_URL"] = args.redis_url
    app = create_app(config)
    with app.app_context():
        if args.reuse:
            reuse(args, sizes)
            return
        reset_schema(db.engine)
        if db.engine.dialect.name == "postgresql":  # the trigger function's own time (pg_stat_user_functions)
            with db.engine.connect() as conn:
                name = db.engine.url.database
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    f"ALTER DATABASE \"{name}\" SET track_functions = 'pl'"
                )
            db.engine.dispose()
        upgrade()
        dbname = db.engine.dialect.name
        surveys, ids = setup(args.accounts)
        have = 0
        for size in sizes:
            built = grow(have, size, surveys, ids)
            have = size
            print(
                json.dumps(
                    {"bench": "dashboard_rollups", "case": "build", "db": dbname, "rows": size, **built}
                )
            )
            measure_reads(dbname, size, args.repeat, args.only)
        print(json.dumps({"bench": "dashboard_rollups", "db": dbname, "rows": have, **attribute_change(ids)}))
        if args.reads_only:
            return
        survey_id = surveys["nps"]
        cost = per_row_cost(survey_id, 2_000) if dbname == "sqlite" else {"skipped": "see per_row_cost"}
        print(
            json.dumps(
                {
                    "bench": "dashboard_rollups",
                    "case": "trigger cost per row",
                    "db": dbname,
                    "rows": have,
                    **cost,
                }
            ),
            flush=True,
        )
        with_ms, without_ms = interleaved(insert_measure(survey_id), args.answers, args.block)
        report_write("insert + commit p95", dbname, have, with_ms, without_ms)
        requests = seed_invitations(2 * args.answers, survey_id, ids[0])
        db.session.remove()
        reset_function_stats(dbname)
        with_ms, without_ms = interleaved(endpoint_measure(app, requests), args.answers, args.block)
        stats = trigger_function_stats(dbname)
        report_write(
            "answer endpoint p95", dbname, have, with_ms, without_ms, redis=bool(args.redis_url), **stats
        )
    if args.redis_url:
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()


def reuse(args, sizes: list[int]) -> None:
    """Measure the reads again on the database a previous run filled, growing it to each larger size."""
    from app.extensions import db
    from app.models import Account, Survey

    dbname = db.engine.dialect.name
    surveys = {s.kind.value: s.id for s in db.session.execute(sa.select(Survey)).scalars()}
    ids = list(db.session.execute(sa.select(Account.id).order_by(Account.id)).scalars())
    have = db.session.execute(sa.text("SELECT count(*) FROM responses")).scalar_one()
    for size in sizes:
        if size > have:
            built = grow(have, size, surveys, ids)
            print(
                json.dumps(
                    {"bench": "dashboard_rollups", "case": "build", "db": dbname, "rows": size, **built}
                )
            )
            have = size
        measure_reads(dbname, have, args.repeat, args.only)


def measure_reads(dbname: str, size: int, repeat: int, only: str = "") -> None:
    """The Trends and overview reads, from the rollups and by a scan, side by side."""
    today = datetime.now(UTC).date()
    two_years, ninety = today - timedelta(days=729), today - timedelta(days=89)
    year = today - timedelta(days=364)
    cases = {
        "trends: NPS by day, 2 years": (
            lambda: rollup_by_day("nps", two_years, today),
            lambda: scan_by_day("nps", two_years, today),
        ),
        "overview: NPS, CSAT, CES of 90 days": (
            lambda: overview_rollups(ninety, today),
            lambda: overview_scan(ninety, today),
        ),
    }
    # charts split by an account attribute, as the Trends page reads them
    splits = {}
    for segment, grain, start, label in (
        ("tier", "month", two_years, "2 years"),
        ("tier", "week", year, "1 year"),
        ("tier", "day", ninety, "90 days"),
        ("csm", "month", year, "1 year"),
        ("stage", "month", two_years, "2 years"),
        ("plan", "week", year, "1 year"),
        ("account", "quarter", two_years, "2 years (every account: the CSV's read)"),
    ):
        shown = page_rows(segment, "nps", start, today, grain)[0]  # after coarsening
        splits[f"trends split: NPS by {segment}, {grain}, {label}"] = (segment, grain, start, shown)
        cases[f"trends split: NPS by {segment}, {grain}, {label}"] = (
            lambda s=segment, g=grain, b=start: page_rows(s, "nps", b, today, g),
            lambda s=segment, g=shown, b=start: scan_rows(s, "nps", b, today, g),
        )
    # split by account: the top 5 accounts, the rest together, no account and the ranked table's first
    # page (the page's whole read, both ways: query, fetch and cells)
    accounts = set()
    for grain, start, label, rank in (
        ("month", year, "1 year", "answers"),
        ("week", year, "1 year", "answers"),
        ("quarter", two_years, "2 years", "answers"),
        ("month", two_years, "2 years", "arr"),
        ("day", ninety, "90 days", "answers"),
    ):
        case = f"trends split: NPS by account (top 5 by {rank} + the rest), {grain}, {label}"
        shown = account_page("nps", start, today, grain, rank)[0]
        accounts.add(case)
        cases[case] = (
            lambda g=grain, b=start, r=rank: account_page("nps", b, today, g, r),
            lambda g=shown, b=start, r=rank: account_scan("nps", b, today, g, r),
        )
    for case, (rollup, scan) in cases.items():
        if only not in case:
            continue
        rollup_ms, rolled = timed(rollup, repeat)
        scan_ms, scanned = timed(scan, repeat)
        same, extra = rolled == scanned, {}
        if case in accounts:
            extra = {"grain": rolled[0], "cells": len(rolled[1]), "table_rows": len(rolled[2])}
        if case in splits:  # the same cells both ways, and the page's whole read (rows into the chart)
            segment, grain, start, _ = splits[case]
            page_ms, (shown, cells) = timed(
                lambda s=segment, g=grain, b=start: page_cells(s, "nps", b, today, g), repeat
            )
            same = cells == scan_cells(segment, scanned[1]) and shown == scanned[0]
            extra = {"grain": shown, "cells": len(cells), "page_cells_ms": round(page_ms, 1)}
        print(
            json.dumps(
                {
                    "bench": "dashboard_rollups",
                    "case": case,
                    "db": dbname,
                    "rows": size,
                    "rollup_ms": round(rollup_ms, 1),
                    "scan_ms": round(scan_ms, 1),
                    "ratio": round(scan_ms / rollup_ms, 1) if rollup_ms else None,
                    "same_counts": same,
                    **extra,
                }
            ),
            flush=True,
        )


def report_write(
    case: str, dbname: str, rows: int, with_ms: list[float], without_ms: list[float], **extra
) -> None:
    """One JSON line: p95 and median with and without the rollup upkeep, and the p95 overhead; the CPU
    medians too (this process's: the app, and SQLite's work, not PostgreSQL's server)."""
    with_cpu, without_cpu = [c for _, c in with_ms], [c for _, c in without_ms]
    with_ms, without_ms = [w for w, _ in with_ms], [w for w, _ in without_ms]
    w, wo = p95(with_ms), p95(without_ms)
    print(
        json.dumps(
            {
                "bench": "dashboard_rollups",
                "case": case,
                "db": dbname,
                "rows": rows,
                "n": len(with_ms),
                "with_rollups_p95_ms": round(w, 2),
                "without_p95_ms": round(wo, 2),
                "with_median_ms": round(statistics.median(with_ms), 2),
                "without_median_ms": round(statistics.median(without_ms), 2),
                "overhead_p95": round(w / wo - 1, 3) if wo else None,
                "overhead_median": round(statistics.median(with_ms) / statistics.median(without_ms) - 1, 3),
                "with_cpu_median_ms": round(statistics.median(with_cpu), 2),
                "without_cpu_median_ms": round(statistics.median(without_cpu), 2),
                **extra,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
