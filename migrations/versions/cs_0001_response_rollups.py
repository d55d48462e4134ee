"""Response rollups: counts per local day × survey × account × kind, kept by triggers on responses

``response_rollups`` has one row per (local day, survey, account key, kind) with the number of responses
and one count per score value 0–10; ``account_key`` 0 stands for "no account". Triggers on ``responses``
(SQLite: three; PostgreSQL: one plpgsql function) keep it current in the writing transaction, whatever
the write path. ``rollup_tz_offsets`` holds the workspace time zone's offset history (no rows = UTC),
from which the triggers compute the local day. Existing responses are counted in one grouped pass.

The trigger text is a frozen copy of app/trends/rollup_sql.py at this revision (a test compares them).
Note for later migrations: a batch_alter_table that recreates ``responses`` on SQLite drops its triggers.

Revision ID: cs_0001
Revises: api_0001
Create Date: 2026-12-06 14:30:00

"""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "cs_0001"
down_revision = "api_0001"
branch_labels = None
depends_on = None

SCORES = range(11)
KEY = ("day", "survey_id", "account_key", "kind")
COUNT_COLUMNS = ["n", *[f"s{k}" for k in SCORES]]
WATCHED = ("score", "survey_id", "account_id", "kind", "created_at")


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
        f"INSERT INTO response_rollups ({', '.join([*KEY, *COUNT_COLUMNS])}) VALUES ({values})"
        f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets};"
    )


def _remove(row, day):
    sets = ", ".join(f"{c} = {c} - {inc}" for c, inc in zip(COUNT_COLUMNS, _increments(row), strict=True))
    match = _key_match(row, day)
    return (
        f"UPDATE response_rollups SET {sets} WHERE {match};"
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
        " FROM responses GROUP BY 1, 2, 3, 4",
    ]


def offset_history(zone, start=1970, end=2100):
    tz = ZoneInfo(zone)

    def offset(at):
        return int(at.astimezone(tz).utcoffset().total_seconds() // 60)

    at = datetime(start, 1, 1, tzinfo=UTC)
    current = offset(at)
    rows = [(datetime(1900, 1, 1, tzinfo=UTC), current)]
    stop = datetime(end, 1, 1, tzinfo=UTC)
    while at < stop:
        nxt = at + timedelta(days=1)
        if offset(nxt) != current:
            low, high = at, nxt
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                low, high = (mid, high) if offset(mid) == current else (low, mid)
            current = offset(high)
            rows.append((high.replace(microsecond=0), current))
        at = nxt
    return [] if rows == [(rows[0][0], 0)] else rows


def _workspace_zone(bind):
    row = bind.execute(sa.text("SELECT value FROM settings WHERE key = 'timezone'")).first()
    if row is None:
        return "UTC"
    value = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    try:
        ZoneInfo(str(value))
    except Exception:
        return "UTC"
    return str(value)


def upgrade():
    counts = [sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in COUNT_COLUMNS]
    op.create_table(
        "response_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        *counts,
        sa.PrimaryKeyConstraint("day", "survey_id", "account_key", "kind", name=op.f("pk_response_rollups")),
    )
    op.create_index("ix_response_rollups_account_day", "response_rollups", ["account_key", "day"])
    offsets = op.create_table(
        "rollup_tz_offsets",
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("since", name=op.f("pk_rollup_tz_offsets")),
    )
    bind = op.get_bind()
    dialect = bind.dialect.name
    history = offset_history(_workspace_zone(bind))
    if history:
        sqlite = dialect == "sqlite"
        op.bulk_insert(
            offsets,
            [{"since": at.replace(tzinfo=None) if sqlite else at, "minutes": m} for at, m in history],
        )
    for statement in postgresql_statements() if dialect == "postgresql" else sqlite_triggers():
        op.execute(statement)
    for statement in rebuild_statements(dialect):
        op.execute(statement)


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS response_rollups ON responses")
        op.execute("DROP FUNCTION IF EXISTS response_rollups_apply()")
        op.execute("DROP FUNCTION IF EXISTS response_local_day(timestamptz)")
    else:
        for trigger in ("response_rollups_insert", "response_rollups_delete", "response_rollups_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_index("ix_response_rollups_account_day", table_name="response_rollups")
    op.drop_table("rollup_tz_offsets")
    op.drop_table("response_rollups")
