"""CSV import at its limit: a 50,000-row contacts file (half new, half updates) against 5,000 accounts.

Times each step — check + preview, keeping the batch, confirm (re-check + write in one transaction) — and
an export of the result, on a throwaway SQLite database (or BENCH_DATABASE_URL, a PostgreSQL database whose
name contains "test"; it is reset). One JSON line per step:

    .venv/bin/python benchmarks/csv_import.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_file(rows: int, accounts: int) -> bytes:
    """A contacts CSV: aliases in the header, the account by external ID or domain, a custom column."""
    lines = ["Email Address,First Name,Last Name,Job Title,Language,Account ID,Company Domain,Team"]
    for i in range(rows):
        ref = f"A-{i % accounts},," if i % 2 else f",a{i % accounts}.example,"
        locale = "de" if i % 5 == 0 else "en"
        lines.append(f"person{i}@bench.example,First{i},Last{i},Analyst,{locale},{ref}Ops {i % 7}")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    args = parser.parse_args()
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.csv_export import export_contacts
    from app.accounts.imports.apply import apply_batch, store_batch
    from app.accounts.imports.plan import plan_upload
    from app.accounts.queries import ContactFilters
    from app.extensions import db
    from app.models import Account, Contact
    from tests.conftest import reset_schema, test_config

    folder = tempfile.mkdtemp(prefix="clearloop-bench-import-")
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        from app.config import load_config

        uri = load_config({"DATABASE_URL": url, "SECRET_KEY": "x"})["SQLALCHEMY_DATABASE_URI"]
    else:
        uri = f"sqlite:///{folder}/bench.db"
    app = create_app(test_config(uri) | {"INSTANCE_PATH": folder})
    data = make_file(args.rows, args.accounts)
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        db.session.execute(
            sa.insert(Account),
            [
                {"name": f"Account {i}", "external_id": f"A-{i}", "domain": f"a{i}.example", "attributes": {}}
                for i in range(args.accounts)
            ],
        )
        db.session.execute(
            sa.insert(Contact),
            [
                {"email": f"person{i}@bench.example", "name": "Old", "locale": "en", "attributes": {}}
                for i in range(0, args.rows, 2)
            ],
        )
        db.session.commit()
        report = {
            "bench": "csv_import",
            "rows": args.rows,
            "mb": round(len(data) / 1024 / 1024, 2),
            "db": db.engine.dialect.name,
        }
        began = time.perf_counter()
        plan, text = plan_upload("contacts", "bench.csv", data)
        checked = time.perf_counter()
        batch = store_batch(plan, text, None)
        stored = time.perf_counter()
        counts = apply_batch(batch.id, None)
        applied = time.perf_counter()
        size = sum(len(chunk) for chunk in export_contacts(ContactFilters()))
        exported = time.perf_counter()
        print(
            json.dumps(
                report
                | {
                    "errors": plan.error_count,
                    **counts,
                    "check_and_preview_s": round(checked - began, 2),
                    "store_s": round(stored - checked, 2),
                    "confirm_s": round(applied - stored, 2),
                    "export_s": round(exported - applied, 2),
                    "export_mb": round(size / 1024 / 1024, 2),
                }
            )
        )
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
