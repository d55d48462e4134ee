"""Sending throughput: 10,000 invitations through Clearloop's real send path (audience → invitations →
claimed batches → each survey × language's HTML+text email built once, filled per contact → SMTP on one
connection per batch → one durable commit per message: its in-flight mark, with the previous message's
result) to an aiosmtpd server on loopback, next to raw ``smtplib`` sending the same messages on one reused
connection.

The SMTP server runs in its own process (aiosmtpd's Sink handler: accepts and discards), so it does not
share the sender's interpreter. Each database gets ``--runs`` rounds (a fresh database each), the
Clearloop send and the raw baseline back to back; the summary line gives the medians.
Prints JSON lines: the machine and settings first, messages/s of each per round, the database's rate of
commits that wait for the disk (at one per message, the in-flight mark's, it caps the ratio: printed as
``ratio_ceiling_at_one_durable_commit_per_message``, and as ``ratio_ceiling_commit_then_smtp`` counting that
the commit comes before the message's SMTP exchange, not during it), and the median ratio.
Run: .venv/bin/python benchmarks/send_throughput.py [--n 10000] [--batch 100] [--runs 3] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.machine import median, print_machine  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("aiosmtpd did not start")


def make_app(database_url: str, port: int, batch: int, instance: str):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "benchmark",
            "REDIS_URL": "",
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "SMTP_STARTTLS": False,
            "SMTP_SSL": False,
            "SMTP_USERNAME": "",
            "MAIL_BATCH_SIZE": batch,
            "INSTANCE_PATH": instance,
        }
    )


def seed(n: int) -> int:
    """One account with ``n`` contacts and one NPS survey; returns the survey id."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Account, Contact, Survey, SurveyKind, utcnow
    from app.surveys.tokens import new_public_token

    account = Account(name="Bench")
    survey = Survey(name="bench", kind=SurveyKind.NPS, public_token=new_public_token())
    db.session.add_all([account, survey])
    db.session.flush()
    now = utcnow()
    rows = [
        {
            "email": f"person{i}@bench.example",
            "name": f"Person {i}",
            "account_id": account.id,
            "locale": ("en", "de", "fr", "es")[i % 4],
            "bounce_count": 0,
            "attributes": {},
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    db.session.execute(sa.insert(Contact), rows)
    db.session.commit()
    return survey.id


def clearloop_send(survey_id: int) -> tuple[float, dict[str, int]]:
    """Time a whole send through the services and jobs (inline), as staff pressing Send would run it."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Invitation, Survey
    from app.surveys.services import create_send

    survey = db.session.get(Survey, survey_id)
    t0 = time.perf_counter()
    send = create_send(survey, {"type": "all"})
    elapsed = time.perf_counter() - t0
    states = dict(
        db.session.execute(
            sa.select(Invitation.state, sa.func.count())
            .where(Invitation.send_id == send.id)
            .group_by(Invitation.state)
        ).all()
    )
    return elapsed, {state.value: count for state, count in states.items()}


def raw_messages() -> list[tuple[str, str, bytes]]:
    """The same messages, built again, as (from, to, bytes) for the raw smtplib baseline."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.mail.message import build_invitation, to_wire
    from app.models import Invitation

    out = []
    for inv in db.session.execute(sa.select(Invitation).order_by(Invitation.id)).scalars():
        msg = build_invitation(inv)
        out.append(("surveys@clearloop.localhost", inv.contact.email, to_wire(msg)))
    return out


def durable_commit_rate(rounds: int = 200) -> float:
    """Commits per second of a one-row update on this database, each waiting for the disk as the in-flight
    mark does: at one such commit per message, it caps the send rate whatever else is made faster."""
    import sqlalchemy as sa

    from app.extensions import db

    db.session.rollback()  # the session's reads hold SQLite's write lock
    with db.engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE bench_commit_rate (id INTEGER PRIMARY KEY, n INTEGER)")
        conn.exec_driver_sql("INSERT INTO bench_commit_rate VALUES (1, 0)")
        conn.commit()
        t0 = time.perf_counter()
        for _ in range(rounds):
            conn.execute(sa.text("UPDATE bench_commit_rate SET n = n + 1 WHERE id = 1"))
            conn.commit()
        elapsed = time.perf_counter() - t0
        conn.exec_driver_sql("DROP TABLE bench_commit_rate")
        conn.commit()
    return rounds / elapsed


def raw_smtplib(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    """Send every message on one reused smtplib connection; returns seconds."""
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as conn:
        for sender, rcpt, data in messages:
            conn.sendmail(sender, [rcpt], data)
    return time.perf_counter() - t0


def run(db_name: str, database_url: str, args: argparse.Namespace) -> tuple[float, float, float, float]:
    from flask_migrate import upgrade

    port = free_port()
    smtp = start_smtp(port)
    try:
        with tempfile.TemporaryDirectory() as instance:
            app = make_app(database_url, port, args.batch, instance)
            with app.app_context():
                upgrade()
                survey_id = seed(args.n)
                elapsed, states = clearloop_send(survey_id)
                messages = raw_messages()
                commits = durable_commit_rate()
            raw = raw_smtplib(port, messages)
    finally:
        smtp.terminate()
        smtp.wait(timeout=10)
    common = {"bench": "send_throughput", "db": db_name, "messages": args.n, "batch": args.batch}
    app_rate = args.n / elapsed
    print(
        json.dumps(
            {
                **common,
                "path": "clearloop send (invitations + render + SMTP + state per message)",
                "seconds": round(elapsed, 2),
                "msgs_per_s": round(app_rate, 1),
                "states": states,
            }
        ),
        flush=True,
    )
    print(
        json.dumps(
            {
                **common,
                "path": "raw smtplib, same messages, one connection",
                "seconds": round(raw, 2),
                "msgs_per_s": round(args.n / raw, 1),
            }
        ),
        flush=True,
    )
    ratio = round(app_rate / (args.n / raw), 3)
    print(
        json.dumps(
            {
                **common,
                "durable_commits_per_s": round(commits, 1),
                "ratio_ceiling_at_one_durable_commit_per_message": round(commits / (args.n / raw), 3),
                # The mark must be durable before DATA, so its commit and the SMTP exchange add up:
                # rate <= 1 / (1/commits + 1/raw), i.e. ratio <= commits / (commits + raw).
                "ratio_ceiling_commit_then_smtp": round(commits / (commits + args.n / raw), 3),
            }
        ),
        flush=True,
    )
    print(json.dumps({**common, "ratio_clearloop_to_raw": ratio}), flush=True)
    return app_rate, args.n / raw, ratio, commits


def summarize(
    db_name: str, args: argparse.Namespace, rounds: list[tuple[float, float, float, float]]
) -> None:
    """The medians of a database's rounds."""
    print(
        json.dumps(
            {
                "bench": "send_throughput",
                "db": db_name,
                "messages": args.n,
                "runs": len(rounds),
                "median_clearloop_msgs_per_s": median([r[0] for r in rounds]),
                "median_raw_msgs_per_s": median([r[1] for r in rounds]),
                "ratio_clearloop_to_raw": median([r[2] for r in rounds]),
                "median_durable_commits_per_s": median([r[3] for r in rounds]),
                "median_ratio_ceiling_commit_then_smtp": median([r[3] / (r[3] + r[1]) for r in rounds]),
                "goal": 0.5,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="rounds per database (medians are reported)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", ""),
        help="also run on a throwaway database of this PostgreSQL server",
    )
    args = parser.parse_args()
    print_machine("send_throughput", vars(args))
    os.environ.setdefault("SECRET_KEY", "benchmark")
    rounds = []
    for turn in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="clearloop-send-bench-") as tmp:
            rounds.append(run("sqlite", f"sqlite:///{tmp}/send-{turn}.db", args))
    summarize("sqlite", args, rounds)
    if args.pg_url:
        summarize("postgresql", args, [run_pg(args) for _ in range(args.runs)])


def run_pg(args: argparse.Namespace) -> tuple[float, float, float, float]:
    import sqlalchemy as sa

    base = sa.make_url(args.pg_url).set(drivername="postgresql+psycopg")
    # A throwaway database named after the given one (which must have "test" in its name), never the given one
    name = f"{base.database or 'test'}_{os.getpid()}"
    if "test" not in name:
        raise SystemExit("--pg-url: the database's name must contain 'test' (a throwaway copy is made)")
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        return run("postgresql", base.set(database=name).render_as_string(hide_password=False), args)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
