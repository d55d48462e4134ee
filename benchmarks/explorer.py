"""The feedback explorer's queries at scale: 1M responses with ~2M mentions (default), PostgreSQL or SQLite.

Builds a throwaway database (SQLite in a temp folder, or the PostgreSQL database in BENCH_DATABASE_URL,
whose name must contain "test"; it is reset), then runs each explorer query 50 times with varying values
and, in the same run, a plain indexed SELECT of the same page size (newest first, by the same cursor).
Prints JSON lines with ``query``, ``p50_ms``, ``p95_ms``, ``baseline_p50_ms``, ``ratio`` (p50 / baseline
p50; the two alternate query by query), plus what rendering the page also costs (its rows with contact,
account, survey, tags and intents; the capped count). The explorer's page is one statement (its ids by
the filters, joined back to their rows), built once per shape of filters and run with the page's values,
returning the columns its list shows (``full_rows_p50_ms``: the same statement returning full rows, as
the plain SELECT does), after the page's one read of the workspace settings (its time zone):

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1/bench_test .venv/bin/python benchmarks/explorer.py
    .venv/bin/python benchmarks/explorer.py --responses 100000          # SQLite, smaller

It also times the Topics page's figures for a quarter the same way, as its two requests compute them
(``app.insights.analytics.topic_analytics`` with the driver fit deferred, and ``analytics.drivers``).
``--build-only`` builds and stops; ``--reuse`` measures on the PostgreSQL data set a previous run built;
``--only explorer|analytics`` measures one kind; ``--day-tables N`` also times topic analytics on N
quarters with and without the per-day tables, alternating; ``--driver-tables N`` the driver column on N
quarters with and without the pattern table (migration topics_0004), alternating.

Goals (issue 15): explorer pages within 3x the plain SELECT, p95 under 150 ms.
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
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as wsgi.py runs the web processes (before numpy)

import sqlalchemy as sa

PAGE = 50
DAYS = 540
SENTENCES = [
    ("The invoices are wrong every month and support is slow to answer", "en"),
    ("Exporting reports to Excel keeps failing for our finance team", "en"),
    ("Onboarding was smooth, the checklist helped a lot", "en"),
    ("The dashboard takes forever to load in the morning", "en"),
    ("We love the new kanban board, it saves us hours", "en"),
    ("Pricing went up again without any new features", "en"),
    ("Single sign-on with Okta broke after the last release", "en"),
    ("The mobile app crashes when I upload a photo", "en"),
    ("Search never finds the document I am looking for", "en"),
    ("Great product, our customers noticed the difference", "en"),
    ("Notifications arrive twice and some never arrive", "en"),
    ("Permissions are confusing for new admins", "en"),
    ("Die Rechnungen sind seit Monaten falsch", "de"),
    ("Der Export nach Excel funktioniert nicht", "de"),
    ("Les factures arrivent toujours en retard", "fr"),
    ("Le tableau de bord est très lent", "fr"),
    ("Las facturas llegan tarde cada mes", "es"),
    ("La aplicación móvil se cierra sola", "es"),
]
SEARCHES = [
    "invoice",
    "excel export",
    "onboarding",
    "dashboard load",
    "kanban",
    "pricing",
    "okta",
    "crash",
    "rechnung",
    "facture",
    "notification",
    "permission admin",
]


def _bulk(table, rows: list[dict], chunk: int = 10_000, copy: bool = False) -> None:
    """Insert rows: batched INSERTs, or COPY on PostgreSQL (rows must then carry every NOT NULL column)."""
    from app.extensions import db

    if not rows:
        return
    if not copy or db.session.get_bind().dialect.name != "postgresql":
        for start in range(0, len(rows), chunk):
            db.session.execute(sa.insert(table), rows[start : start + chunk])
        return
    columns = list(rows[0])
    raw = db.session.connection().connection.dbapi_connection
    name = table.__tablename__
    quoted = ", ".join('"' + c + '"' for c in columns)
    with raw.cursor() as cur, cur.copy(f"COPY {name} ({quoted}) FROM STDIN") as out:
        for row in rows:
            out.write_row(
                [json.dumps(v) if isinstance(v, dict) else getattr(v, "value", v) for v in row.values()]
            )


def build(n: int, seed: int = 7) -> None:
    """Accounts, contacts, surveys, the default taxonomy, n responses, ~2n mentions and some intents."""
    from app.analysis.taxonomy_store import seed_default_taxonomy
    from app.extensions import db
    from app.models import Account, Contact, Mention, Response, ResponseIntent, Survey, SurveyKind, Topic

    rng = random.Random(seed)
    seed_default_taxonomy()
    surveys = [
        Survey(name=f"{k.value} survey", kind=k, public_token=f"bench-{k.value}".ljust(43, "0"))
        for k in (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.FORM)
    ]
    db.session.add_all(surveys)
    db.session.flush()
    n_accounts = max(50, n // 500)
    _bulk(
        Account,
        [
            {
                "name": f"Account {i}",
                "external_id": f"B-{i}",
                "arr": rng.randint(1_000, 900_000),
                "tier": rng.choice(["enterprise", "mid_market", "smb"]),
                "attributes": {},
                "plan": rng.choice(["Starter", "Growth", "Business"]),
            }
            for i in range(n_accounts)
        ],
    )
    accounts = db.session.execute(sa.select(Account.id)).scalars().all()
    _bulk(
        Contact,
        [
            {
                "email": f"p{i}@bench.example",
                "name": f"Person {i}",
                "account_id": rng.choice(accounts),
                "locale": "en",
                "attributes": {},
            }
            for i in range(n_accounts * 5)
        ],
    )
    contacts = db.session.execute(sa.select(Contact.id, Contact.account_id)).all()
    topics = db.session.execute(sa.select(Topic.id)).scalars().all()
    now = datetime.now(UTC)
    next_id = 1
    for start in range(0, n, 50_000):
        responses, mentions, intents = [], [], []
        for _ in range(min(50_000, n - start)):
            survey = rng.choice(surveys)
            text, lang = rng.choice(SENTENCES)
            contact = rng.choice(contacts)
            score = {SurveyKind.NPS: rng.randint(0, 10), SurveyKind.CSAT: rng.randint(1, 5)}.get(survey.kind)
            responses.append(
                {
                    "id": next_id,
                    "survey_id": survey.id,
                    "kind": survey.kind,
                    "score": score,
                    "comment": f"{text} ({next_id})" if rng.random() < 0.8 else None,
                    "contact_id": contact.id,
                    "account_id": contact.account_id,
                    "language": lang,
                    "locale": lang,
                    "analysis_state": "done",
                    "channel": "email",
                    "sentiment_label": rng.choice(["positive", "neutral", "negative"]),
                    "created_at": now - timedelta(seconds=rng.randint(0, DAYS * 86400)),
                    "updated_at": now,
                    "analysis": {},
                    "edit_count": 0,
                    "analysis_attempts": 0,
                }
            )
            for topic in rng.sample(topics, rng.choice([1, 2, 2, 3])):
                mentions.append(
                    {
                        "response_id": next_id,
                        "topic_id": topic,
                        "source": "phrase",
                        "rejected": False,
                        "sentiment_label": rng.choice(["positive", "neutral", "negative"]),
                        "start": 0,
                        "end": 5,
                        "confidence": 1.0,
                        "created_at": now,
                    }
                )
            if rng.random() < 0.3:
                intents.append(
                    {
                        "response_id": next_id,
                        "label": rng.choice(["bug_report", "complaint", "praise"]),
                        "score": 0.8,
                        "sentence_index": 0,
                        "created_at": now,
                    }
                )
            next_id += 1
        _bulk(Response, responses, copy=True)
        _bulk(Mention, mentions, copy=True)
        _bulk(ResponseIntent, intents, copy=True)
        db.session.commit()


def _without_indexes(conn) -> list[str]:
    """PostgreSQL: drop the big secondary indexes before the load; their definitions, to build after."""
    names = [
        "ix_responses_comment_search",
        "ix_responses_created_id",
        "ix_mentions_topic_response",
        "ix_mentions_response_topic",
        "ix_topic_hits_created_topic",
        "ix_responses_created_counted",
    ]
    defs = [
        d
        for (d,) in conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = ANY(%(n)s)", {"n": names}
        ).all()
    ]
    for name in names:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    # topic_hits, the per-day and account tables and the response rollups are computed once after the
    # load (as migrations topics_0001/2/3 and rollup_0001/2 do)
    for table, trigger in DERIVED_TRIGGERS:
        conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    return defs


HITS_TRIGGERS = ("topic_hits_mentions_insert", "topic_hits_mentions_delete", "topic_hits_mentions_update")
DERIVED_TRIGGERS = (
    *[("mentions", t) for t in HITS_TRIGGERS],
    *[("topic_hits", f"topic_days_hits_{e}") for e in ("insert", "delete", "update")],
    *[("topic_hits", f"topic_account_hits_{e}") for e in ("insert", "delete", "update")],
    *[("topic_hits", f"topic_pattern_hits_{e}") for e in ("insert", "delete", "update")],
    *[("topic_account_bits", f"topic_account_bit_months_{e}") for e in ("insert", "delete", "update")],
    ("responses", "topic_day_totals"),
    ("responses", "response_rollups"),
)


def _topic_hits_rebuilt() -> list[str]:
    """The statements that recompute topic_hits from every response (its index is built after them),
    then the per-day and account tables from it and the responses, and the response rollups."""
    from app.insights import accounts_sql, days_sql, months_sql, patterns_sql
    from app.insights.hits_sql import rebuild_statements
    from app.trends import rollup_sql

    return [
        *rebuild_statements(),
        *days_sql.rebuild_statements("postgresql"),
        *accounts_sql.rebuild_statements(),
        *months_sql.rebuild_statements(),
        *patterns_sql.rebuild_statements(),
        *rollup_sql.rebuild_statements("postgresql"),
    ]


def timed(fn, values: list) -> list[float]:
    """Milliseconds of ``fn(v)`` for each value, after one warm-up."""
    fn(values[0])
    out = []
    for v in values:
        began = time.perf_counter()
        fn(v)
        out.append((time.perf_counter() - began) * 1000)
    return out


def timed_side_by_side(fn, base, values: list) -> tuple[list[float], list[float]]:
    """Milliseconds of ``fn(v)`` and ``base(v)`` for each value, alternating (so a change in the
    machine's load falls on both sides alike), after one warm-up of each."""
    fn(values[0])
    base(values[0])
    runs, bases = [], []
    for v in values:
        for f, out in ((fn, runs), (base, bases)):
            began = time.perf_counter()
            f(v)
            out.append((time.perf_counter() - began) * 1000)
    return runs, bases


def p95(runs: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(runs)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def cases(rng: random.Random) -> dict[str, list]:
    """For each explorer query, 50 (filters, baseline cursor) pairs."""
    from app.explorer.filters import ExplorerFilters
    from app.explorer.queries import conditions, cursor_of, order_by
    from app.extensions import db
    from app.models import Response, Topic

    parents = sa.select(Topic.parent_id).where(Topic.parent_id.is_not(None))
    roots = db.session.execute(sa.select(Topic.id).where(Topic.id.in_(parents))).scalars().all()
    today = datetime.now(UTC).date()
    out: dict[str, list] = {
        "topic + 90 days, first page": [],
        "topic, page 500": [],
        "full-text search, first page": [],
    }
    for _ in range(50):
        start = today - timedelta(days=rng.randint(90, DAYS))
        f = ExplorerFilters(topic=rng.choice(roots), start=start, end=start + timedelta(days=89))
        out["topic + 90 days, first page"].append((f, None))
    topic = roots[0]
    where = conditions(ExplorerFilters(topic=topic))
    matching = db.session.execute(sa.select(sa.func.count()).select_from(Response).where(*where)).scalar_one()
    depth = min(PAGE * 499, max(0, matching - PAGE * 60))  # page 500, or as deep as a small run allows
    stmt = sa.select(Response).where(*where).order_by(*order_by("newest")).offset(depth).limit(PAGE * 50)
    for row in db.session.execute(stmt).scalars().all()[::PAGE][:50]:
        c = cursor_of("newest", row)
        out["topic, page 500"].append((ExplorerFilters(topic=topic, after=c), c))
    if depth < PAGE * 499:
        out[f"topic, page {depth // PAGE + 1}"] = out.pop("topic, page 500")
    for i in range(50):
        out["full-text search, first page"].append((ExplorerFilters(q=SEARCHES[i % len(SEARCHES)]), None))
    db.session.rollback()
    return out


def measure(name: str, pairs: list) -> dict:
    """The explorer's page query vs the plain SELECT of one page, plus rows and count of the page."""
    from app.explorer.queries import after_cursor, conditions, count, page_rows
    from app.extensions import db
    from app.models import Response

    def plain(pair) -> list[Response]:
        stmt = sa.select(Response).order_by(Response.created_at.desc(), Response.id.desc()).limit(PAGE + 1)
        if pair[1] is not None:
            stmt = stmt.where(after_cursor("newest", pair[1]))
        out = list(db.session.execute(stmt).scalars())
        db.session.rollback()
        return out

    def explorer(pair) -> list[Response]:
        out = page_rows(pair[0], related=False, listed=True)  # the page's statement, as explorer_page runs it
        db.session.rollback()
        return out

    def full(pair) -> None:
        page_rows(pair[0], related=False)  # the same statement returning full rows, as the plain SELECT does
        db.session.rollback()

    def rows(pair) -> None:
        page_rows(pair[0], listed=True)  # and what a row shows: contact, account, survey, tags, intents
        db.session.rollback()

    def counted(pair) -> None:
        count(conditions(pair[0]))
        db.session.rollback()

    runs, base = timed_side_by_side(explorer, plain, pairs)
    shown = [len(explorer(p)) for p in pairs[:5]]
    return {
        "bench": "explorer",
        "query": name,
        "p50_ms": round(statistics.median(runs), 1),
        "p95_ms": round(p95(runs), 1),
        "baseline_p50_ms": round(statistics.median(base), 1),
        "ratio": round(statistics.median(runs) / statistics.median(base), 2),
        "full_rows_p50_ms": round(statistics.median(timed(full, pairs)), 1),
        "with_rows_p50_ms": round(statistics.median(timed(rows, pairs)), 1),
        "count_p50_ms": round(statistics.median(timed(counted, pairs[:10])), 1),
        "rows": statistics.median(shown),
        "db": db.engine.dialect.name,
    }


def quarters(rng: random.Random) -> list:
    """50 quarters (91 local days) inside the data, each with its previous quarter and 26 weeks of trend
    (what the Topics page asks for), in UTC."""
    from app.insights.periods import days_ending

    today = datetime.now(UTC).date()
    return [days_ending(today - timedelta(days=rng.randint(1, DAYS - 182)), 91, "UTC") for _ in range(50)]


def measure_analytics(periods: list) -> list[dict]:
    """The Topics page's figures for a quarter as its two requests compute them, each vs the plain SELECT
    of one page, alternating: the page (``topic_analytics`` with the driver fit deferred: every topic's
    counts, sentiment, NPS impact with intervals, distinct and negative accounts with their ARR, 26-week
    trend, the emerging test) and its driver column (``analytics.drivers``: the two least-squares fits).
    The emerging test's few-minute cache is emptied before each call, so every call computes everything."""
    from app.extensions import db
    from app.insights import analytics
    from app.models import Response

    def plain(period) -> None:
        stmt = sa.select(Response).order_by(Response.created_at.desc(), Response.id.desc()).limit(PAGE + 1)
        list(db.session.execute(stmt).scalars())
        db.session.rollback()

    def figures(period) -> None:
        analytics._EMERGING.clear()
        analytics.topic_analytics(period, None, trend_weeks=26, with_driver="deferred")
        db.session.rollback()

    def drivers(period) -> None:
        analytics.drivers(period, None)
        db.session.rollback()

    def summary(name: str, runs: list[float], base: list[float]) -> dict:
        return {
            "bench": "explorer",
            "query": name,
            "p50_ms": round(statistics.median(runs), 1),
            "p95_ms": round(p95(runs), 1),
            "baseline_p50_ms": round(statistics.median(base), 1),
            "ratio": round(statistics.median(runs) / statistics.median(base), 2),
            "queries": len(runs),
            "db": db.engine.dialect.name,
        }

    out = []
    for name, fn in (
        ("topic analytics, quarter (Topics page, driver fit deferred)", figures),
        ("topic analytics, quarter: the driver column (second request)", drivers),
    ):
        runs: list[float] = []
        base: list[float] = []
        for start in range(0, len(periods), 10):  # a line every 10 queries: a slow run still tells something
            more_runs, more_base = timed_side_by_side(fn, plain, periods[start : start + 10])
            runs += more_runs
            base += more_base
            if start + 10 < len(periods):
                print(json.dumps(summary(name, runs, base) | {"partial": True}), flush=True)
        out.append(summary(name, runs, base))
    return out


def measure_day_tables(periods: list) -> dict:
    """``topic_analytics`` for the same quarters with the per-day tables (as the page runs) and with them
    switched off (``day_tables_usable`` false: the additive figures from ``topic_hits`` and ``responses``
    by instant, the path before migration topics_0002), alternating; medians of the whole call and of its
    ``windows`` step."""
    from app.extensions import db
    from app.insights import analytics
    from app.insights import queries as q

    usable, windows = q.day_tables_usable, q.windows
    runs: dict[str, list[float]] = {"with": [], "without": [], "with_windows": [], "without_windows": []}

    def once(period, side: str) -> None:
        spent: list[float] = []

        def timed_windows(*args, **kwargs):
            began = time.perf_counter()
            out = windows(*args, **kwargs)
            spent.append((time.perf_counter() - began) * 1000)
            return out

        q.day_tables_usable = usable if side == "with" else (lambda _periods: False)
        q.windows = timed_windows
        try:
            analytics._EMERGING.clear()
            began = time.perf_counter()
            analytics.topic_analytics(period, None, trend_weeks=26, with_driver="deferred")
            runs[side].append((time.perf_counter() - began) * 1000)
            runs[f"{side}_windows"].append(spent[0])
        finally:
            q.day_tables_usable, q.windows = usable, windows
            db.session.rollback()

    once(periods[0], "with")  # warm-up
    once(periods[0], "without")
    for side in runs:
        runs[side].clear()
    for period in periods:
        for side in ("with", "without"):
            once(period, side)
    return {
        "bench": "explorer",
        "query": "topic analytics, quarter: with vs without the per-day tables",
        **{f"{k}_p50_ms": round(statistics.median(v), 1) for k, v in runs.items()},
        "queries": len(periods),
        "db": db.engine.dialect.name,
    }


def measure_driver_tables(periods: list) -> dict:
    """The driver column (``analytics.drivers``) for the same quarters with the pattern table (as the page
    runs: ``topic_pattern_days``, PostgreSQL) and with it switched off (the answers grouped by response
    from ``topic_hits``, the path before migration topics_0004), alternating; medians of the whole call
    and of its grouping step, and whether both gave the same estimates."""
    from app.extensions import db
    from app.insights import analytics
    from app.insights import queries as q

    groups, from_hits = q.nps_topic_groups, q.nps_topic_groups_from_hits
    runs: dict[str, list[float]] = {"with": [], "without": [], "with_groups": [], "without_groups": []}
    same = True

    def once(period, side: str):
        spent: list[float] = []

        def timed_groups(*args, **kwargs):
            began = time.perf_counter()
            out = (groups if side == "with" else from_hits)(*args, **kwargs)
            spent.append((time.perf_counter() - began) * 1000)
            return out

        q.nps_topic_groups = timed_groups
        try:
            began = time.perf_counter()
            fitted = analytics.drivers(period, None)
            runs[side].append((time.perf_counter() - began) * 1000)
            runs[f"{side}_groups"].append(spent[0])
            return fitted
        finally:
            q.nps_topic_groups = groups
            db.session.rollback()

    once(periods[0], "with")  # warm-up
    once(periods[0], "without")
    for side in runs:
        runs[side].clear()
    for period in periods:
        fast, slow = once(period, "with"), once(period, "without")
        for key, want in slow.estimates.items():
            got = fast.estimates.get(key)
            if (got is None) != (want is None) or (
                want is not None
                and (got.n != want.n or abs(got.value - want.value) > 1e-9 or abs(got.se - want.se) > 1e-9)
            ):
                same = False
    return {
        "bench": "explorer",
        "query": "topic analytics, quarter: the driver column with vs without the pattern table",
        **{f"{k}_p50_ms": round(statistics.median(v), 1) for k, v in runs.items()},
        **{f"{k}_p95_ms": round(p95(v), 1) for k, v in runs.items() if "_" not in k},
        "same_estimates": same,
        "queries": len(periods),
        "db": db.engine.dialect.name,
    }


def main() -> None:
    """Build the data set, then print one JSON line per explorer query."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--build-only", action="store_true", help="build the data set and stop")
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the data set a previous run built (PostgreSQL)"
    )
    parser.add_argument(
        "--only", choices=["explorer", "analytics", "none"], help="measure one kind of query (or none)"
    )
    parser.add_argument(
        "--day-tables",
        type=int,
        default=0,
        metavar="N",
        help="also time topic analytics on N quarters with and without the per-day tables, alternating",
    )
    parser.add_argument(
        "--driver-tables",
        type=int,
        default=0,
        metavar="N",
        help="also time the driver column on N quarters with and without the pattern table, alternating",
    )
    args = parser.parse_args()
    from benchmarks.machine import print_machine

    print_machine("explorer", vars(args))

    from app import create_app
    from app.extensions import db
    from tests.conftest import test_config

    url = os.environ.get("BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="clearloop-bench-")
    if url:
        from app.config import load_config

        uri = load_config({"DATABASE_URL": url, "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    else:
        uri = f"sqlite:///{folder}/bench.db"
    app = create_app(test_config(uri) | {"INSTANCE_PATH": folder})
    with app.app_context():
        if not (args.reuse and url):
            _build(args.responses)
    if args.build_only:
        return
    with app.test_request_context("/"):
        if args.only not in ("analytics", "none"):
            for name, pairs in cases(random.Random(11)).items():
                print(json.dumps(measure(name, pairs)), flush=True)
        if args.only not in ("explorer", "none"):
            for line in measure_analytics(quarters(random.Random(13))):
                print(json.dumps(line), flush=True)
        if args.day_tables:
            print(json.dumps(measure_day_tables(quarters(random.Random(13))[: args.day_tables])), flush=True)
        if args.driver_tables:
            chosen = quarters(random.Random(13))[: args.driver_tables]
            print(json.dumps(measure_driver_tables(chosen)), flush=True)
    with app.app_context():
        db.engine.dispose()


def _build(n: int) -> None:
    """Reset the database and build the data set (PostgreSQL: indexes after the load)."""
    from flask_migrate import upgrade

    from app.extensions import db
    from tests.conftest import reset_schema

    reset_schema(db.engine)
    upgrade()
    began = time.perf_counter()
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        with db.engine.connect() as conn:
            indexes = _without_indexes(conn.execution_options(isolation_level="AUTOCOMMIT"))
    build(n)
    if postgres:
        with db.engine.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            auto.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            for statement in _topic_hits_rebuilt():
                auto.exec_driver_sql(statement)
            for statement in indexes:
                auto.exec_driver_sql(statement)
            for table, trigger in DERIVED_TRIGGERS:
                auto.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
            auto.exec_driver_sql("VACUUM ANALYZE")
    mentions = db.session.execute(sa.text("SELECT count(*) FROM mentions")).scalar_one()
    print(
        json.dumps(
            {
                "bench": "explorer",
                "case": "build",
                "responses": n,
                "mentions": mentions,
                "seconds": round(time.perf_counter() - began, 1),
                "db": db.engine.dialect.name,
            }
        )
    )
    db.session.rollback()


if __name__ == "__main__":
    main()
