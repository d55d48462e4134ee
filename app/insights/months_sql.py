# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""PostgreSQL: month rows of the account bit strings (``topic_account_bits``), kept by triggers on it.

A window's distinct and negative accounts per topic are the ``bit_or`` of its days' bit strings
(``accounts_sql``): a quarter and the one before read ~180 rows of 1 KB per topic, chunk and survey.
``topic_account_bit_months`` holds, per calendar month of local days × topic × survey × chunk, the
``bit_or`` of that month's day rows, so a window reads its whole months there and only its edge days
from the day rows (a quarter: ~2 month rows and ~30 days instead of ~91 days). ``bit_or`` is exact
under any grouping, so the figures are the same.

Kept by statement-level triggers on ``topic_account_bits`` (every write there is a statement of the
account trigger): each touched (month, topic, survey, chunk) is recomputed from its day rows as they are
now, and deleted when it has none — syncing, not applying the statement's rows, is right in any trigger
order. Rebuilt with the other per-day tables on a change of workspace zone.

Migration topics_0005 holds a frozen copy of this text; a test compares them.
"""

from __future__ import annotations

MONTHS = "topic_account_bit_months"
DAYS = "topic_account_bits"
CHUNK = 4096
TRIGGERS = (
    ("topic_account_bit_months_insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("topic_account_bit_months_delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ("topic_account_bit_months_update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
)
_KEYS = "date_trunc('month', r.day)::date AS month, r.topic_id, r.survey_id, r.chunk"
TOUCHED = {
    "INSERT": f"SELECT DISTINCT {_KEYS} FROM new_rows r",
    "DELETE": f"SELECT DISTINCT {_KEYS} FROM old_rows r",
    "UPDATE": f"SELECT {_KEYS} FROM old_rows r UNION SELECT {_KEYS} FROM new_rows r",
}


def _month_of(rows: str) -> str:
    """SELECT (month, topic, survey, chunk, accounts, negative) of the day rows ``d`` in ``rows``."""
    return (
        "SELECT date_trunc('month', d.day)::date, d.topic_id, d.survey_id, d.chunk,"
        f" bit_or(d.accounts), bit_or(d.negative) FROM {rows} GROUP BY 1, 2, 3, 4"
    )


def _apply(touched: str) -> list[str]:
    """Recompute the ``touched`` month cells from their day rows; delete those left without any."""
    in_month = (
        "d.topic_id = k.topic_id AND d.survey_id = k.survey_id AND d.chunk = k.chunk"
        " AND d.day >= k.month AND d.day < (k.month + interval '1 month')"
    )
    return [
        f"INSERT INTO {MONTHS} AS m (month, topic_id, survey_id, chunk, accounts, negative)"
        f" {_month_of(f'({touched}) k JOIN {DAYS} d ON {in_month}')}"
        " ON CONFLICT (month, topic_id, survey_id, chunk)"
        " DO UPDATE SET accounts = excluded.accounts, negative = excluded.negative;",
        f"DELETE FROM {MONTHS} m USING ({touched}) k"
        " WHERE m.month = k.month AND m.topic_id = k.topic_id AND m.survey_id = k.survey_id"
        f" AND m.chunk = k.chunk AND NOT EXISTS (SELECT 1 FROM {DAYS} d WHERE {in_month});",
    ]


def create_statements() -> list[str]:
    """The table, the trigger function and its three triggers."""
    branches = "".join(
        f"  IF TG_OP = '{op}' THEN\n" + "".join(f"    {s}\n" for s in _apply(touched)) + "  END IF;\n"
        for op, touched in TOUCHED.items()
    )
    return [
        f"CREATE TABLE {MONTHS} (month date NOT NULL, topic_id integer NOT NULL,"
        f" survey_id integer NOT NULL, chunk integer NOT NULL, accounts bit({CHUNK}) NOT NULL,"
        f" negative bit({CHUNK}) NOT NULL,"
        f" CONSTRAINT pk_{MONTHS} PRIMARY KEY (month, topic_id, survey_id, chunk))",
        "CREATE OR REPLACE FUNCTION topic_account_bit_months() RETURNS trigger LANGUAGE plpgsql"
        " AS $$\nBEGIN\n" + branches + "  RETURN NULL;\nEND\n$$",
        *[
            f"CREATE TRIGGER {name} AFTER {op} ON {DAYS} {refs}"
            " FOR EACH STATEMENT EXECUTE FUNCTION topic_account_bit_months()"
            for name, op, refs in TRIGGERS
        ],
    ]


def drop_statements() -> list[str]:
    """Undo ``create_statements``."""
    return [
        *[f"DROP TRIGGER IF EXISTS {name} ON {DAYS}" for name, _, _ in TRIGGERS],
        "DROP FUNCTION IF EXISTS topic_account_bit_months()",
        f"DROP TABLE IF EXISTS {MONTHS}",
    ]


def recomputed() -> str:
    """SELECT every row of the table from the day rows."""
    return _month_of(f"{DAYS} d")


def rebuild_statements() -> list[str]:
    """Empty the table and recompute it from the day rows (after they are rebuilt)."""
    return [
        f"DELETE FROM {MONTHS}",
        f"INSERT INTO {MONTHS} (month, topic_id, survey_id, chunk, accounts, negative) {recomputed()}",
    ]
