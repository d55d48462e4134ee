"""Tagging throughput end to end (DB read → analyse → DB write) next to ``Analyzer.analyze`` alone.

One process plays the worker: it runs the tagging job's body (``app.analysis.dispatch.tag_ids``) over pending
responses, one transaction per batch, exactly as a work horse does. The analyser alone runs on the same
texts in the same run, so the ratio shows what the database side costs. With ``--redis`` it also enqueues
the jobs and times a real ``worker.py nlp --burst`` (tagging jobs run in the worker process): batched as
the sweeper and re-tags enqueue them, and one hand-off call per answer as the submit service makes them.
Responses carry the page's locale (``en``), as answers do.

    .venv/bin/python benchmarks/tagging_throughput.py [--n 5000]
        [--postgres postgresql://postgres@127.0.0.1:5432/clearloop_bench_test] [--redis redis://127.0.0.1:6379/12]

The PostgreSQL database is emptied (its name must contain "bench" or "test"). Prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.machine import median, print_machine  # noqa: E402

FEATURES = [
    "dashboard",
    "invoices",
    "billing page",
    "Salesforce integration",
    "API",
    "onboarding",
    "search",
    "mobile app",
    "SSO login",
    "CSV export",
    "support team",
    "reports",
    "pricing",
    "docs",
    "permissions",
]
TEMPLATES = [
    "The {f} is great and saves us hours every week.",
    "Honestly the {f} keeps crashing since the update.",
    "We love the {f}, but the {g} is way too slow.",
    "Support took {n} days to answer about the {f}.",
    "Please add better filters to the {f}.",
    "The {f} isn't bad, though the {g} still has bugs.",
    "Setup was smooth and the {f} just works.",
    "I was charged twice for the {f}, still waiting for a refund.",
    "Too expensive for what the {f} does.",
    "ok",
    "Love it!!!",
    "The {f} never works on my phone :(",
]


def comments(n: int, seed: int = 11) -> list[str]:
    """``n`` varied short customer comments of one to three sentences."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [
            rnd.choice(TEMPLATES).format(f=rnd.choice(FEATURES), g=rnd.choice(FEATURES), n=rnd.randint(2, 9))
            for _ in range(rnd.choice((1, 1, 2, 3)))
        ]
        out.append(" ".join(parts))
    return out


def make_app(database_url: str | None, redis_url: str, instance: str):
    """An app on the given database (fresh schema, default taxonomy)."""
    os.environ["CLEARLOOP_INSTANCE"] = instance
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from tests.conftest import reset_schema

    url = database_url or f"sqlite:///{instance}/bench.db"
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[-1]
        if "bench" not in name and "test" not in name:
            raise SystemExit(
                f"refusing to empty {name!r}: use a database whose name contains 'bench' or 'test'"
            )
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url, "SECRET_KEY": "bench"})
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        db.session.remove()
    return app, url


def seed(app, texts: list[str], accounts: int = 0) -> list[int]:
    """Insert one survey and a pending response per text (from one of ``accounts`` accounts, round
    robin, when given); return the ids."""
    import sqlalchemy as sa

    from app.analysis.taxonomy_store import ensure_taxonomy
    from app.extensions import db
    from app.models import Response, utcnow
    from tests.factories import make_account, make_survey

    with app.app_context():
        ensure_taxonomy()
        survey = make_survey()
        owners = [make_account(arr=1000 * (i + 1)).id for i in range(accounts)] or [None]
        now = utcnow()
        rows = [
            {
                "survey_id": survey.id,
                "kind": survey.kind,
                "score": 7,
                "comment": t,
                "locale": "en",  # the page the respondent answered on, as every answer records it
                "account_id": owners[i % len(owners)],
                "created_at": now,
                "updated_at": now,
                "analysis_requested_at": now,
            }
            for i, t in enumerate(texts)
        ]
        db.session.execute(sa.insert(Response), rows)
        db.session.commit()
        ids = list(db.session.execute(sa.select(Response.id).order_by(Response.id)).scalars())
        db.session.remove()
    return ids


def bench_analyzer(app, texts: list[str], batch: int) -> float:
    """Texts per second of ``Analyzer.analyze`` alone, in the job's batch size."""
    from app.analysis.pipeline import get_analyzer
    from app.extensions import db

    with app.app_context():
        analyzer = get_analyzer()
        db.session.remove()
    analyzer.analyze(texts[:batch])  # warm the token cache like a worker that has run a while
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        analyzer.analyze(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - start)


def bench_end_to_end(app, ids: list[int]) -> tuple[float, int]:
    """Responses per second through the job body (read, analyse, write), and mention rows written."""
    import sqlalchemy as sa

    from app.analysis.dispatch import tag_ids
    from app.extensions import db
    from app.models import AnalysisState, Mention, Response

    with app.app_context():
        start = time.perf_counter()
        outcome = tag_ids(ids)
        elapsed = time.perf_counter() - start
        assert len(outcome.done) == len(ids), outcome.counts()
        done = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Response)
            .where(Response.analysis_state == AnalysisState.DONE)
        ).scalar_one()
        assert done == len(ids)
        mentions = db.session.execute(sa.select(sa.func.count(Mention.id))).scalar_one()
        db.session.remove()
    return len(ids) / elapsed, mentions


def bench_worker(app, url: str, redis_url: str, ids: list[int], instance: str, single: bool = False) -> dict:
    """Enqueue the jobs and time a real ``worker.py nlp --burst`` (jobs run in the worker process).

    ``single``: one ``request_analysis`` call per response, as the submit service hands answers over one at a
    time (calls for a bucket of ids coalesce into its waiting job).
    """
    import redis
    import sqlalchemy as sa

    from app.analysis.services import enqueue_tagging
    from app.extensions import db
    from app.models import AnalysisState, Response

    redis.Redis.from_url(redis_url).flushdb()
    with app.app_context():
        # Only the responses handed over wait (the others stay tagged): one call per answer must not make
        # its bucket's job tag neighbours nobody asked for (a bigger NLP_JOB_SIZE would look slower).
        db.session.execute(
            sa.update(Response).where(Response.id.in_(ids)).values(analysis_state=AnalysisState.PENDING)
        )
        db.session.commit()
        for chunk in [[i] for i in ids] if single else [ids]:
            enqueue_tagging(chunk)
        db.session.remove()
    env = {
        **os.environ,
        "DATABASE_URL": url.replace("+psycopg", ""),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench",
        "CLEARLOOP_INSTANCE": instance,
        "NLP_BATCH_SIZE": str(app.config["NLP_BATCH_SIZE"]),
        "NLP_JOB_SIZE": str(app.config["NLP_JOB_SIZE"]),
        "NLP_WRITE_OVERLAP": "1" if app.config["NLP_WRITE_OVERLAP"] else "0",
    }
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "worker.py"), "nlp", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-2000:])
    if os.environ.get("BENCH_WORKER_LOG"):
        Path(os.environ["BENCH_WORKER_LOG"]).write_text(proc.stdout + proc.stderr)
    working = _working_seconds(proc.stdout + proc.stderr)
    prefix = "worker_one_call_per_answer" if single else "worker_batched_calls"
    return {
        f"{prefix}_wall_per_s": round(len(ids) / elapsed, 1),
        f"{prefix}_per_s_while_working": round(len(ids) / working, 1) if working else None,
    }


def _working_seconds(log: str) -> float | None:
    """Seconds from the worker's ``Listening`` line to its ``quitting`` line (start-up excluded)."""
    from datetime import datetime

    lines = log.splitlines()
    start = [line[:23] for line in lines if "Listening on" in line]
    end = [line[:23] for line in lines if "done, quitting" in line]
    if not start or not end:
        return None
    fmt = "%Y-%m-%d %H:%M:%S,%f"
    return round((datetime.strptime(end[0], fmt) - datetime.strptime(start[0], fmt)).total_seconds(), 2)


ACCOUNT_UPKEEP = [f"topic_account_hits_{e}" for e in ("insert", "delete", "update")]
PATTERN_UPKEEP = [f"topic_pattern_hits_{e}" for e in ("insert", "delete", "update")]


def run(
    backend: str,
    database_url: str | None,
    args: argparse.Namespace,
    account_upkeep: bool = True,
    upkeep_triggers: list[str] = ACCOUNT_UPKEEP,
    totals_deferral: bool = True,
    write_overlap: bool = True,
) -> dict:
    """Measure one backend and print its JSON line (``account_upkeep`` false: PostgreSQL's triggers
    ``upkeep_triggers`` — by default those keeping the per-day account tables of migration topics_0003,
    or the pattern tables' of topics_0004 — are disabled for the run; ``totals_deferral`` false: tagging
    leaves the day totals to their row trigger, as before migration sendtag_0002; ``write_overlap`` false:
    each batch is written before the next is analysed, as before the batch writer)."""
    from app.insights import services as insights

    defer = insights.defer_day_totals
    if not totals_deferral:
        insights.defer_day_totals = lambda: False
    try:
        return _run(
            backend, database_url, args, account_upkeep, upkeep_triggers, totals_deferral, write_overlap
        )
    finally:
        insights.defer_day_totals = defer


def _run(
    backend: str,
    database_url: str | None,
    args: argparse.Namespace,
    account_upkeep: bool,
    upkeep_triggers: list[str],
    totals_deferral: bool,
    write_overlap: bool = True,
) -> dict:
    instance = tempfile.mkdtemp(prefix=f"clearloop-bench-{backend}-")
    app, url = make_app(database_url, args.redis or "", instance)
    app.config["NLP_BATCH_SIZE"] = args.batch
    if args.job_size:
        app.config["NLP_JOB_SIZE"] = args.job_size
    app.config["NLP_WRITE_OVERLAP"] = write_overlap
    if not account_upkeep:
        from app.extensions import db

        with app.app_context(), db.engine.begin() as conn:
            for trigger in upkeep_triggers:
                conn.exec_driver_sql(f"ALTER TABLE topic_hits DISABLE TRIGGER {trigger}")
    texts = comments(args.n)
    ids = seed(app, texts, args.accounts)
    analyze_rate = bench_analyzer(app, texts, args.batch)
    e2e_rate, mentions = bench_end_to_end(app, ids)
    line = {
        "bench": "tagging_throughput",
        "backend": backend,
        "n": args.n,
        "batch": args.batch,
        "job_size": app.config["NLP_JOB_SIZE"],
        "analyze_texts_per_s": round(analyze_rate, 1),
        "end_to_end_responses_per_s": round(e2e_rate, 1),
        "ratio_end_to_end_vs_analyze": round(e2e_rate / analyze_rate, 3),
        "mention_rows": mentions,
        "accounts": args.accounts,
        "write_overlap": write_overlap,
    }
    if backend == "postgresql":
        line["pattern_upkeep" if upkeep_triggers == PATTERN_UPKEEP else "account_upkeep"] = account_upkeep
        line["day_totals_deferral"] = totals_deferral
    if args.redis:
        line.update(bench_worker(app, url, args.redis, ids, instance))
        line.update(bench_worker(app, url, args.redis, ids[: args.single], instance, single=True))
        line["answers_handed_over_one_by_one"] = min(args.single, len(ids))
        working = line.get("worker_batched_calls_per_s_while_working")
        line["ratio_worker_vs_analyze"] = round(working / analyze_rate, 3) if working else None
    print(json.dumps(line), flush=True)
    return line


def summarize(backend: str, lines: list[dict]) -> None:
    """Medians over a backend's rounds."""
    keys = ("analyze_texts_per_s", "end_to_end_responses_per_s", "ratio_end_to_end_vs_analyze")
    keys += ("worker_batched_calls_per_s_while_working", "ratio_worker_vs_analyze")
    out = {"bench": "tagging_throughput", "backend": backend, "runs": len(lines), "goal_worker_ratio": 0.5}
    for key in keys:
        values = [line[key] for line in lines if line.get(key) is not None]
        if values:
            out[f"median_{key}"] = median(values)
    print(json.dumps(out), flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run SQLite (always) and PostgreSQL (when given)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="responses to tag")
    parser.add_argument("--batch", type=int, default=256, help="NLP_BATCH_SIZE (texts per transaction)")
    parser.add_argument(
        "--job-size", type=int, help="NLP_JOB_SIZE (response ids per job; default: the app's default)"
    )
    parser.add_argument("--postgres", help="a throwaway PostgreSQL database URL")
    parser.add_argument("--runs", type=int, default=3, help="rounds per backend (medians are reported)")
    parser.add_argument("--redis", help="also time a real worker.py over this Redis URL (its db is flushed)")
    parser.add_argument(
        "--single", type=int, default=300, help="responses tagged one job each (with --redis)"
    )
    parser.add_argument("--accounts", type=int, default=0, help="accounts the responses come from (0: none)")
    parser.add_argument(
        "--account-upkeep",
        action="store_true",
        help="PostgreSQL: each round also without the triggers of the per-day account tables (topics_0003),"
        " the two alternating; medians of both",
    )
    parser.add_argument(
        "--pattern-upkeep",
        action="store_true",
        help="PostgreSQL: each round also without the triggers of the driver fit's pattern tables"
        " (topics_0004), the two alternating; medians of both",
    )
    parser.add_argument(
        "--totals-deferral",
        action="store_true",
        help="PostgreSQL: each round also with tagging's day-totals deferral off (the row trigger counts,"
        " as before migration sendtag_0002), the two alternating; medians of both",
    )
    parser.add_argument(
        "--write-overlap",
        action="store_true",
        help="each round also with the batch writer off (batch k written before batch k+1 is analysed),"
        " the two alternating; medians of both",
    )
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.INFO)
    print_machine("tagging_throughput", vars(args))
    if args.write_overlap:
        for backend, url in (("sqlite", None), ("postgresql", args.postgres)):
            if backend == "postgresql" and not url:
                break
            overlap: dict[bool, list[dict]] = {True: [], False: []}
            for i in range(args.runs):
                for on in (True, False) if i % 2 == 0 else (False, True):
                    overlap[on].append(run(backend, url, args, write_overlap=on))
            summarize(f"{backend}, batches written aside", overlap[True])
            summarize(f"{backend}, batches written in line", overlap[False])
        return
    summarize("sqlite", [run("sqlite", None, args) for _ in range(args.runs)])
    if args.postgres and (args.account_upkeep or args.pattern_upkeep):
        which = "pattern" if args.pattern_upkeep else "account"
        triggers = PATTERN_UPKEEP if args.pattern_upkeep else ACCOUNT_UPKEEP
        sides: dict[bool, list[dict]] = {True: [], False: []}
        for i in range(args.runs):
            for on in (True, False) if i % 2 == 0 else (False, True):
                sides[on].append(run("postgresql", args.postgres, args, on, triggers))
        summarize(f"postgresql, {which} upkeep on", sides[True])
        summarize(f"postgresql, {which} upkeep off", sides[False])
    elif args.postgres and args.totals_deferral:
        deferral: dict[bool, list[dict]] = {True: [], False: []}
        for i in range(args.runs):
            for on in (True, False) if i % 2 == 0 else (False, True):
                deferral[on].append(run("postgresql", args.postgres, args, totals_deferral=on))
        summarize("postgresql, day totals deferred", deferral[True])
        summarize("postgresql, day totals by the row trigger", deferral[False])
    elif args.postgres:
        summarize("postgresql", [run("postgresql", args.postgres, args) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
