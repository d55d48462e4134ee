"""Building every team's weekly digest: 20 teams over a workspace of tagged feedback.

Builds a throwaway database (SQLite in a temp folder, or the PostgreSQL database in BENCH_DATABASE_URL,
whose name must contain "test"; it is reset) with ``--weeks`` weeks of ``--per-week`` analysed responses,
each mentioning 1–3 of 40 topics (10 parents × 3 children) from ``--accounts`` accounts, and ``--teams``
teams (half follow every topic, half 2–4 topics; 3 members each). Then times, one JSON line per case:

- ``content``: the digest content of every team (the statistics and SQL, nothing stored);
- ``schedule``: the scheduler's whole run: one digest row per team, built, rendered (css-inline) and
  delivered to every member through the outbox transport — what Monday morning costs;
- ``topics_page``: the topic analytics of the last 13 weeks (the Topics page's data).

    .venv/bin/python benchmarks/digests.py [--teams 20 --per-week 2000 --weeks 10] [--repeat 3]
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

PHRASES = [
    "the invoice export is broken again",
    "support answered quickly and kindly",
    "the dashboard is slow to load every morning",
    "single sign-on keeps logging us out",
    "love the new reports",
    "pricing went up without warning",
    "the mobile app crashes when uploading",
    "onboarding took far too long",
]


def build(args: argparse.Namespace, now: datetime) -> None:
    """Topics, accounts, responses with mentions, resolved follow-ups and teams, inserted in bulk."""
    from app.extensions import db
    from app.models import Account, FollowUp, Mention, Response, Role, Survey, SurveyKind, Team, Topic, User

    rng = random.Random(11)
    parents = [Topic(key=f"area-{i}", name=f"Area {i}") for i in range(10)]
    db.session.add_all(parents)
    db.session.flush()
    children = [
        Topic(key=f"area-{p.id}-{j}", name=f"{p.name} · part {j}", parent_id=p.id)
        for p in parents
        for j in range(3)
    ]
    db.session.add_all(children)
    survey = Survey(name="NPS", kind=SurveyKind.NPS, public_token="bench-digest-token-0000000000000000000")  # noqa: S106
    db.session.add(survey)
    db.session.flush()
    topic_ids = [t.id for t in parents + children]
    accounts = [
        {
            "name": f"Account {i}",
            "external_id": f"D-{i}",
            "arr": rng.randint(5_000, 800_000),
            "attributes": {},
        }
        for i in range(args.accounts)
    ]
    db.session.execute(sa.insert(Account), accounts)
    account_ids = db.session.execute(sa.select(Account.id)).scalars().all()
    total = args.per_week * args.weeks
    rows = [
        {
            "survey_id": survey.id,
            "kind": "nps",
            "score": rng.choice([0, 2, 4, 6, 7, 8, 9, 9, 10, 10]),
            "comment": ". ".join(rng.sample(PHRASES, 2)) + ". Contact me at someone@example.com",
            "account_id": rng.choice(account_ids),
            "created_at": now - timedelta(seconds=rng.randint(0, args.weeks * 7 * 86400)),
            "analysis_state": "done",
            "sentiment_label": "neutral",
        }
        for _ in range(total)
    ]
    for start in range(0, total, 5000):
        db.session.execute(sa.insert(Response), rows[start : start + 5000])
    ids = db.session.execute(sa.select(Response.id)).scalars().all()
    labels = ["negative", "negative", "neutral", "positive"]
    mentions = [
        {"response_id": rid, "topic_id": t, "source": "phrase", "start": 0, "end": 10,
         "sentiment_label": rng.choice(labels), "sentiment_score": -rng.random()}
        for rid in ids
        for t in rng.sample(topic_ids, rng.randint(1, 3))
    ]  # fmt: skip
    for start in range(0, len(mentions), 5000):
        db.session.execute(sa.insert(Mention), mentions[start : start + 5000])
    resolved = [
        {"response_id": rid, "reason": "detractor", "state": "resolved",
         "resolved_at": now - timedelta(days=rng.randint(0, 20))}
        for rid in rng.sample(ids, min(300, len(ids)))
    ]  # fmt: skip
    db.session.execute(sa.insert(FollowUp), resolved)
    users = [
        User(email=f"pm{i}@bench.example", name=f"PM {i}", role=Role.PM, password_hash="x")  # noqa: S106
        for i in range(60)
    ]
    db.session.add_all(users)
    db.session.flush()
    all_topics = {t.id: t for t in parents + children}
    for i in range(args.teams):
        team = Team(name=f"Team {i}", timezone="Europe/Berlin", all_topics=i % 2 == 0)
        team.created_at = now - timedelta(days=365)
        team.members = users[3 * i : 3 * i + 3]
        if i % 2:
            team.topics = [all_topics[t] for t in rng.sample(topic_ids, rng.randint(2, 4))]
        db.session.add(team)
    db.session.commit()


def timed(fn, repeat: int, reset=None) -> list[float]:
    """Seconds of each of ``repeat`` runs (``reset`` undoes a run's writes before the next)."""
    out = []
    for _ in range(repeat):
        if reset:
            reset()
        began = time.perf_counter()
        fn()
        out.append(time.perf_counter() - began)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--per-week", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from benchmarks.machine import print_machine

    print_machine("digests", vars(args))

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
    now = datetime.now(UTC)
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        began = time.perf_counter()
        build(args, now)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        common = {"bench": "digests", "db": db.engine.dialect.name, "teams": args.teams,
                  "responses": args.per_week * args.weeks, "per_week": args.per_week}  # fmt: skip
        print(json.dumps({**common, "case": "build", "seconds": round(time.perf_counter() - began, 1)}))
        run_cases(args, now, common)


def run_cases(args: argparse.Namespace, now: datetime, common: dict) -> None:
    """Time the three cases and print their JSON lines."""
    from app.extensions import db
    from app.insights import services
    from app.insights.analytics import topic_analytics
    from app.insights.digest import build_content
    from app.insights.periods import days_ending, last_complete_week
    from app.insights.sharing import sharing
    from app.insights.teams import followed_topic_ids
    from app.models import Digest, OutboxMessage, Team, TeamMessage

    teams = list(db.session.execute(sa.select(Team)).scalars())
    week = last_complete_week(now, "Europe/Berlin")

    def contents() -> None:
        with sharing():  # as the scheduler builds them: team-independent figures computed once
            for team in teams:
                build_content(team.name, week, followed_topic_ids(team), week.start)

    def contents_alone() -> None:
        for team in teams:
            build_content(team.name, week, followed_topic_ids(team), week.start)

    def reset() -> None:
        for model in (TeamMessage, Digest, OutboxMessage):
            db.session.execute(sa.delete(model))
        db.session.commit()

    runs = timed(contents, args.repeat)
    print(json.dumps({**common, "case": "content", "seconds_median": round(statistics.median(runs), 2),
                      "ms_per_team": round(1000 * statistics.median(runs) / len(teams))}))  # fmt: skip
    runs = timed(contents_alone, args.repeat)
    print(json.dumps({**common, "case": "content, each team alone (a build job per team)",
                      "seconds_median": round(statistics.median(runs), 2),
                      "ms_per_team": round(1000 * statistics.median(runs) / len(teams))}))  # fmt: skip
    runs = timed(lambda: services.schedule_digests(now), args.repeat, reset)
    sizes = [len(raw) for raw in db.session.execute(sa.select(OutboxMessage.raw)).scalars()]
    largest = round(max(sizes) / 1024, 1) if sizes else None
    case = {
        "case": "schedule (build + render + deliver)",
        "seconds_median": round(statistics.median(runs), 2),
    }
    print(json.dumps({**common, **case, "emails": len(sizes), "email_kb_max": largest}))
    quarter = days_ending(week.last, 91, "Europe/Berlin")
    runs = timed(lambda: topic_analytics(quarter, trend_weeks=26), args.repeat)
    print(
        json.dumps(
            {**common, "case": "topics_page (13 weeks)", "seconds_median": round(statistics.median(runs), 2)}
        )
    )


if __name__ == "__main__":
    main()
