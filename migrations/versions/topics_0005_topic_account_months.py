# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""Topic accounts by month: the bit strings of topic_account_bits OR-ed per calendar month (PostgreSQL)

``topic_account_bit_months`` (month of local days × topic × survey × chunk of 4,096 account ids: the
``bit_or`` of the month's day rows), kept by statement-level triggers on ``topic_account_bits`` that
recompute each touched month cell from its day rows; backfilled from them. A window's distinct and
negative accounts read its whole months here and only its edge days from the day rows. SQLite: nothing
changes.

The SQL is a frozen copy of app/insights/months_sql.py at this revision (a test compares them).

Revision ID: topics_0005
Revises: topics_0004
Create Date: 2026-12-07 07:50:00

"""

from alembic import op as alembic_op

revision = "topics_0005"
down_revision = "topics_0004"
branch_labels = None
depends_on = None

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
        " AS $$\nBEGIN\n" + branches
        + "  RETURN NULL;\nEND\n$$",
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


def upgrade():
    if alembic_op.get_bind().dialect.name != "postgresql":
        return
    for statement in [*create_statements(), *rebuild_statements()]:
        alembic_op.execute(statement)
    alembic_op.execute(f"ANALYZE {MONTHS}")


def downgrade():
    if alembic_op.get_bind().dialect.name != "postgresql":
        return
    for statement in drop_statements():
        alembic_op.execute(statement)
