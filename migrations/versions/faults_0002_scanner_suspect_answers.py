# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""Responses: answers suspected to come from a mail scanner, counted nowhere until a person confirms them

Revision ID: faults_0002
Revises: api_0003
Create Date: 2026-12-06 17:40:00

Expand only: two columns with defaults (no table rewrite, so SQLite keeps its triggers), then the rollup
triggers again with the flag watched and suspect answers skipped. ``scanner_suspect``: an automatic save
the scanner rule suspects (app/respond/suspect.py); ``auto_saved_at``: an automatic save no person's
action has confirmed yet (a scanner signal soon after makes it suspect). No row is suspect yet, so the
rollups need no rebuild.

The trigger text below is a frozen copy of app/trends/rollup_sql.py at this revision (a test compares them).
"""

import sqlalchemy as sa
from alembic import op

revision = "faults_0002"
down_revision = "api_0003"
branch_labels = None
depends_on = None

SCORES = range(11)
KEY = ("day", "survey_id", "account_key", "kind")
COUNT_COLUMNS = ["n", *[f"s{k}" for k in SCORES]]
TRIGGERS_SQLITE = ("response_rollups_insert", "response_rollups_delete", "response_rollups_update")
WATCHED = ("score", "survey_id", "account_id", "kind", "created_at", "scanner_suspect")


def sqlite_day(ts):
    offset = (
        f"coalesce((SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= {ts}"
        " ORDER BY o.since DESC LIMIT 1), 0)"
    )
    return f"date({ts}, printf('%+d minutes', {offset}))"


def _increments(row):
    return ["1", *[f"CASE WHEN {row}.score = {k} THEN 1 ELSE 0 END" for k in SCORES]]


def _key_match(row, day):
    return (
        f"day = {day} AND survey_id = {row}.survey_id"
        f" AND account_key = coalesce({row}.account_id, 0) AND kind = {row}.kind"
    )


def _add(row, day, target):
    values = ", ".join([day, f"{row}.survey_id", f"coalesce({row}.account_id, 0)", f"{row}.kind"])
    values += ", " + ", ".join(_increments(row))
    sets = ", ".join(f"{c} = {target}{c} + excluded.{c}" for c in COUNT_COLUMNS)
    return (
        f"INSERT INTO response_rollups ({', '.join([*KEY, *COUNT_COLUMNS])}) SELECT {values}"
        f" WHERE NOT {row}.scanner_suspect ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets};"
    )


def _remove(row, day):
    sets = ", ".join(f"{c} = {c} - {inc}" for c, inc in zip(COUNT_COLUMNS, _increments(row), strict=True))
    match = _key_match(row, day)
    return (
        f"UPDATE response_rollups SET {sets} WHERE {match} AND NOT {row}.scanner_suspect;"
        f" DELETE FROM response_rollups WHERE {match} AND n <= 0;"
    )


def sqlite_triggers():
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED)
    new_day, old_day = sqlite_day("new.created_at"), sqlite_day("old.created_at")
    return [
        "CREATE TRIGGER response_rollups_insert AFTER INSERT ON responses"
        f" BEGIN {_add('new', new_day, '')} END",
        "CREATE TRIGGER response_rollups_delete AFTER DELETE ON responses"
        f" BEGIN {_remove('old', old_day)} END",
        f"CREATE TRIGGER response_rollups_update AFTER UPDATE OF {', '.join(WATCHED)} ON responses"
        f" WHEN {changed} BEGIN {_remove('old', old_day)} {_add('new', new_day, '')} END",
    ]


PG_DAY_FUNCTION = """CREATE OR REPLACE FUNCTION response_local_day(ts timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT ((ts AT TIME ZONE 'UTC') + make_interval(mins => coalesce(
    (SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= ts ORDER BY o.since DESC LIMIT 1), 0)))::date
$$"""


def postgresql_statements():
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    body = (
        "BEGIN\n"
        f"  IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN RETURN NULL; END IF;\n"
        "  IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
        f"    {_remove('OLD', 'response_local_day(OLD.created_at)')}\n"
        "  END IF;\n"
        "  IF TG_OP IN ('UPDATE', 'INSERT') THEN\n"
        f"    {_add('NEW', 'response_local_day(NEW.created_at)', 'response_rollups.')}\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END"
    )
    return [
        PG_DAY_FUNCTION,
        "CREATE OR REPLACE FUNCTION response_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + body
        + "\n$$",
        "DROP TRIGGER IF EXISTS response_rollups ON responses",
        f"CREATE TRIGGER response_rollups AFTER INSERT OR DELETE OR UPDATE OF {', '.join(WATCHED)}"
        " ON responses FOR EACH ROW EXECUTE FUNCTION response_rollups_apply()",
    ]


def rebuild_statements(dialect):
    day = "response_local_day(created_at)" if dialect == "postgresql" else sqlite_day("responses.created_at")
    counts = ", ".join(["count(*)", *[f"sum(CASE WHEN score = {k} THEN 1 ELSE 0 END)" for k in SCORES]])
    return [
        "DELETE FROM response_rollups",
        f"INSERT INTO response_rollups ({', '.join([*KEY, *COUNT_COLUMNS])})"
        f" SELECT {day}, survey_id, coalesce(account_id, 0), kind, {counts}"
        " FROM responses WHERE NOT scanner_suspect GROUP BY 1, 2, 3, 4",
    ]


def _triggers(statements_of):
    """Replace the rollup triggers by the ones ``statements_of(dialect)`` gives."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in TRIGGERS_SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in statements_of(dialect):
        op.execute(statement)


def upgrade():
    op.add_column(
        "responses", sa.Column("scanner_suspect", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("responses", sa.Column("auto_saved_at", sa.DateTime(timezone=True), nullable=True))
    _triggers(lambda dialect: postgresql_statements() if dialect == "postgresql" else sqlite_triggers())


def downgrade():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("cs_0001_response_rollups.py")
    spec = importlib.util.spec_from_file_location("cs_0001_rollups", path)
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    op.execute("DELETE FROM responses WHERE scanner_suspect")  # never counted: a downgrade would count them
    _triggers(
        lambda dialect: (
            previous.postgresql_statements() if dialect == "postgresql" else previous.sqlite_triggers()
        )
    )
    op.drop_column("responses", "auto_saved_at")
    op.drop_column("responses", "scanner_suspect")
