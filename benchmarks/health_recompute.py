"""Every account's health, recomputed at once (what the daily job does).

Builds the same throwaway data as benchmarks/dashboard_rollups.py (SQLite in a temp folder, or the
PostgreSQL database in BENCH_DATABASE_URL, whose name must contain "test"; it is reset), then times
``recompute_health()`` over all accounts and the stored 12-month NPS refresh. Prints the machine first,
then JSON lines:

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
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
