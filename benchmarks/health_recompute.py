"""Every account's health, recomputed at once (what the daily job does).

Builds the same throwaway data as benchmarks/dashboard_rollups.py (SQLite in a temp folder, or the
PostgreSQL database in BENCH_DATABASE_URL, whose name must contain "test"; it is reset), gives every account
what the health model measures besides scores (a renewal date, an ARR history, delivered and answered
invitations: without them every account is "insufficient data" and the figure would time the short path),
then times ``recompute_health()`` over all accounts and the stored 12-month NPS refresh. Prints the machine
first, then JSON lines (a health line's ``result`` counts accounts per band):

    .venv/bin/python benchmarks/health_recompute.py --responses 100000 --accounts 2000 [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_rollups import grow, setup
from fixtures import seed_invitations


def enrich(ids: list[int], survey_id: int, invitations: int) -> dict[str, int]:
    """Renewal dates, ARR histories and delivered invitations (about 40 % answered) for every account."""
    import random
    from datetime import timedelta

    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Account, ArrChange, ArrSource, Invitation, utcnow

    rng = random.Random(5)
    now = utcnow()
    today = now.date()
    db.session.execute(
        sa.update(Account),
        [{"id": a, "renewal_date": today + timedelta(days=rng.randint(-30, 400))} for a in ids],
    )
    changes = []
    for a in ids:
        changes.append(
            {"account_id": a, "old_arr": None, "new_arr": 1000, "effective_on": today - timedelta(days=400)}
        )
        changes.append(
            {
                "account_id": a,
                "old_arr": 1000,
                "new_arr": rng.choice((600, 900, 1000, 1100, 1500)),
                "effective_on": today - timedelta(days=rng.randint(1, 170)),
            }
        )
    for row in changes:
        row |= {"source": ArrSource.IMPORT, "created_at": now - timedelta(days=400)}
    db.session.execute(sa.insert(ArrChange), changes)
    db.session.commit()
    sent = []
    for a in ids:
        for _, invitation_id in seed_invitations(invitations, survey_id=survey_id, account_id=a):
            at = now - timedelta(days=rng.uniform(1, 170))
            answered = at + timedelta(hours=rng.uniform(1, 48)) if rng.random() < 0.4 else None
            sent.append({"id": invitation_id, "sent_at": at, "responded_at": answered})
    db.session.execute(sa.update(Invitation), sent)
    db.session.commit()
    return {"arr_changes": len(changes), "invitations": len(sent)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--invitations", type=int, default=5, help="delivered invitations per account")
    args = parser.parse_args()
    print(
        json.dumps(
            {"machine": {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}}
        )
    )
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.health.services import recompute_health, refresh_account_nps
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
        surveys, ids = setup(args.accounts)
        built = grow(0, args.responses, surveys, ids)
        built |= enrich(ids, surveys["nps"], args.invitations)
        dbname = db.engine.dialect.name
        print(json.dumps({"bench": "health_recompute", "case": "build", "db": dbname, **built}))
        for case, fn in (
            ("health: every account", recompute_health),
            ("12-month NPS: every account", refresh_account_nps),
        ):
            runs, result = [], None
            for _ in range(args.repeat):
                began = time.perf_counter()
                result = fn()
                db.session.commit()
                runs.append(time.perf_counter() - began)
            print(
                json.dumps(
                    {
                        "bench": "health_recompute",
                        "case": case,
                        "db": dbname,
                        "accounts": args.accounts,
                        "rows": args.responses,
                        "seconds_median": round(statistics.median(runs), 2),
                        "seconds_max": round(max(runs), 2),
                        "result": result,
                    }
                )
            )


if __name__ == "__main__":
    main()
