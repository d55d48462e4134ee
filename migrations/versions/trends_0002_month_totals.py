# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""Running totals by month: an account's answers of a kind up to each month, for the split by account

``response_month_totals`` (kind × local month × account, ``n``) holds, wherever the month rollup has a
row, the account's answers of the kind in every month up to and including that one. The Trends page
split by account ranks every account on its answers in the range: from the month rollup that read
every month of the range (48,000 rows over 2 years at 2,000 accounts); from the totals it reads two
contiguous slices (the range's last month and the month before its first, ~2,000 rows each, month first
in the key), the partial months at the ends still from ``response_rollups``.

Kept by triggers on ``response_month_rollups`` (each change of a month's ``n`` added to that month's total
and every later month's; a month's first row starts from the latest earlier total; a deleted month's
row goes, its later totals lose its answers), so the triggers on ``responses`` are unchanged. Filled here
by a window sum. WITHOUT ROWID on SQLite.

The trigger text below is a frozen copy of app/trends/rollup_sql.py at this revision (a test compares them).

Revision ID: trends_0002
Revises: trends_0001
Create Date: 2026-12-07 13:45:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "trends_0002"
down_revision = "trends_0001"
branch_labels = None
depends_on = None

MONTHS = "response_month_rollups"
TOTALS = "response_month_totals"
TOTALS_TRIGGERS_SQLITE = (
    "response_month_totals_insert",
    "response_month_totals_update",
    "response_month_totals_delete",
)


def _totals_add(row: str, delta: str, later_only: bool = False) -> str:
    since = ">" if later_only else ">="
    return (
        f"UPDATE {TOTALS} SET n = n + {delta} WHERE kind = {row}.kind AND account_key = {row}.account_key"
        f" AND month {since} {row}.month"
    )


def _totals_insert(row: str, source: str) -> str:
    before = (
        f"coalesce((SELECT t.n FROM {TOTALS} t WHERE t.kind = {row}.kind"
        f" AND t.account_key = {row}.account_key AND t.month < {row}.month ORDER BY t.month DESC LIMIT 1), 0)"
    )
    values = f"{row}.kind, {row}.month, {row}.account_key, {before}"
    body = f"VALUES ({values})" if source == "VALUES" else f"SELECT {values}"
    return (
        f"INSERT INTO {TOTALS} (kind, month, account_key, n) {body}"
        " ON CONFLICT (kind, month, account_key) DO NOTHING"
    )


def _totals_remove(row: str) -> list[str]:
    return [
        _totals_add(row, f"-{row}.n", later_only=True),
        f"DELETE FROM {TOTALS} WHERE kind = {row}.kind AND month = {row}.month"
        f" AND account_key = {row}.account_key",
    ]


def totals_sqlite_triggers() -> list[str]:
    insert, update, delete = TOTALS_TRIGGERS_SQLITE
    return [
        f"CREATE TRIGGER {insert} AFTER INSERT ON {MONTHS}"
        f" BEGIN {_totals_insert('new', 'VALUES')}; {_totals_add('new', 'new.n')}; END",
        f"CREATE TRIGGER {update} AFTER UPDATE OF n ON {MONTHS} WHEN new.n <> old.n"
        f" BEGIN {_totals_add('new', 'new.n - old.n')}; END",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {MONTHS}"
        f" BEGIN {' '.join(s + ';' for s in _totals_remove('old'))} END",
    ]


def totals_postgresql_statements() -> list[str]:
    remove = "".join(f"    {s};\n" for s in _totals_remove("OLD"))
    body = (
        "BEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        f"    {_totals_insert('NEW', 'SELECT')};\n"
        f"    {_totals_add('NEW', 'NEW.n')};\n"
        "  ELSIF TG_OP = 'UPDATE' THEN\n"
        f"    IF NEW.n <> OLD.n THEN {_totals_add('NEW', 'NEW.n - OLD.n')}; END IF;\n"
        "  ELSE\n"
        f"{remove}"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END"
    )
    return [
        "CREATE OR REPLACE FUNCTION response_month_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + body
        + "\n$$",
        f"DROP TRIGGER IF EXISTS response_month_totals ON {MONTHS}",
        f"CREATE TRIGGER response_month_totals AFTER INSERT OR DELETE OR UPDATE OF n ON {MONTHS}"
        " FOR EACH ROW EXECUTE FUNCTION response_month_totals_apply()",
    ]


def totals_fill() -> list[str]:
    return [
        f"DELETE FROM {TOTALS}",
        f"INSERT INTO {TOTALS} (kind, month, account_key, n)"
        " SELECT kind, month, account_key, sum(n) OVER (PARTITION BY kind, account_key ORDER BY month)"
        f" FROM {MONTHS} ORDER BY kind, month, account_key",
    ]


def upgrade():
    op.create_table(
        TOTALS,
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("account_key", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "month", "account_key", name=op.f("pk_response_month_totals")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_response_month_totals_account", TOTALS, ["kind", "account_key", "month"])
    dialect = op.get_bind().dialect.name
    for statement in totals_fill():
        op.execute(statement)
    for statement in totals_postgresql_statements() if dialect == "postgresql" else totals_sqlite_triggers():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS response_month_totals ON {MONTHS}")
        op.execute("DROP FUNCTION IF EXISTS response_month_totals_apply()")
    else:
        for name in TOTALS_TRIGGERS_SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_response_month_totals_account", table_name=TOTALS)
    op.drop_table(TOTALS)
