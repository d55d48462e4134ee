# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""Rollups: a second, coarse rollup (local day × survey × kind) kept by the same triggers as the fine one

``response_day_rollups`` has the counts of ``response_rollups`` without the account: what the charts and
figures not split by account read (Trends overall and by survey, the overview, the API's metrics), a row
per day, survey and kind instead of one per account too (2 years: ~2,000 rows instead of ~850,000 at
2,000 accounts). On SQLite a WITHOUT ROWID table. The triggers are replaced by ones that update both in
the same transaction as the answer: on PostgreSQL one statement (a data-modifying CTE computing the local
day once); on SQLite two upserts in one trigger program whose WHEN skips scanner-suspect answers.
The new table is filled from ``response_rollups`` (its finer grain) in one grouped pass.

The trigger text below is a frozen copy of app/trends/rollup_sql.py at this revision (a test compares them).

Revision ID: rollup_0001
Revises: faults_0003
Create Date: 2026-12-06 20:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "rollup_0001"
down_revision = "faults_0003"
branch_labels = None
depends_on = None

SCORES = range(11)
FINE, COARSE = "response_rollups", "response_day_rollups"
KEYS = {FINE: ("day", "survey_id", "account_key", "kind"), COARSE: ("day", "survey_id", "kind")}
KEY = KEYS[FINE]
COUNT_COLUMNS = ["n", *[f"s{k}" for k in SCORES]]
TRIGGERS_SQLITE = ("response_rollups_insert", "response_rollups_delete", "response_rollups_update")
WATCHED = ("score", "survey_id", "account_id", "kind", "created_at", "scanner_suspect")


def sqlite_day(ts):
    """SQLite: the local day of UTC text timestamp ``ts`` by the offset in force then."""
    offset = (
        f"coalesce((SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= {ts}"
        " ORDER BY o.since DESC LIMIT 1), 0)"
    )
    return f"date({ts}, printf('%+d minutes', {offset}))"


def _increments(row):
    return ["1", *[f"CASE WHEN {row}.score = {k} THEN 1 ELSE 0 END" for k in SCORES]]


def _key_values(table, row, day):
    values = {"day": day, "survey_id": f"{row}.survey_id", "kind": f"{row}.kind"}
    values["account_key"] = f"coalesce({row}.account_id, 0)"
    return [values[c] for c in KEYS[table]]


def _key_match(table, row, day):
    return " AND ".join(f"{c} = {v}" for c, v in zip(KEYS[table], _key_values(table, row, day), strict=True))


def _upsert(table, values, target):
    """INSERT … ``values`` (VALUES or SELECT) ON CONFLICT add the counts (``target``: PostgreSQL's table
    qualifier of the existing row)."""
    sets = ", ".join(f"{c} = {target}{c} + excluded.{c}" for c in COUNT_COLUMNS)
    columns, key = ", ".join([*KEYS[table], *COUNT_COLUMNS]), ", ".join(KEYS[table])
    return f"INSERT INTO {table} ({columns}) {values} ON CONFLICT ({key}) DO UPDATE SET {sets}"


def _subtract(table, row, day):
    sets = ", ".join(f"{c} = {c} - {inc}" for c, inc in zip(COUNT_COLUMNS, _increments(row), strict=True))
    return f"UPDATE {table} SET {sets} WHERE {_key_match(table, row, day)}"


# SQLite ---------------------------------------------------------------------------------------------


def _sqlite_add(row, guard):
    """Both upserts of ``row``'s counts; ``guard``: skip a suspect row in the statements (the update
    trigger, which must still remove the old row's counts) rather than in the trigger's WHEN."""
    day = sqlite_day(f"{row}.created_at")
    out = []
    for table in (FINE, COARSE):
        values = ", ".join([*_key_values(table, row, day), *_increments(row)])
        # an INSERT … SELECT upsert needs a WHERE (SQLite's parser); VALUES is the plain insert's form
        source = f"SELECT {values} WHERE NOT {row}.scanner_suspect" if guard else f"VALUES ({values})"
        out.append(_upsert(table, source, "") + ";")
    return " ".join(out)


def _sqlite_remove(row, guard):
    day = sqlite_day(f"{row}.created_at")
    out = []
    for table in (FINE, COARSE):
        skip = f" AND NOT {row}.scanner_suspect" if guard else ""
        out.append(f"{_subtract(table, row, day)}{skip};")
        out.append(f"DELETE FROM {table} WHERE {_key_match(table, row, day)} AND n <= 0;")
    return " ".join(out)


def sqlite_triggers():
    """CREATE TRIGGER statements for SQLite (insert and delete run only for counted answers)."""
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED)
    return [
        "CREATE TRIGGER response_rollups_insert AFTER INSERT ON responses WHEN NOT new.scanner_suspect"
        f" BEGIN {_sqlite_add('new', guard=False)} END",
        "CREATE TRIGGER response_rollups_delete AFTER DELETE ON responses WHEN NOT old.scanner_suspect"
        f" BEGIN {_sqlite_remove('old', guard=False)} END",
        f"CREATE TRIGGER response_rollups_update AFTER UPDATE OF {', '.join(WATCHED)} ON responses"
        f" WHEN {changed} BEGIN {_sqlite_remove('old', guard=True)} {_sqlite_add('new', guard=True)} END",
    ]


# PostgreSQL -----------------------------------------------------------------------------------------

PG_DAY_FUNCTION = """CREATE OR REPLACE FUNCTION response_local_day(ts timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT ((ts AT TIME ZONE 'UTC') + make_interval(mins => coalesce(
    (SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= ts ORDER BY o.since DESC LIMIT 1), 0)))::date
$$"""


def _pg_add():
    """One statement: the local day once, then both upserts (the fine one a data-modifying CTE)."""
    fine = _upsert(
        FINE,
        f"SELECT {', '.join([*_key_values(FINE, 'NEW', 'd.day'), *_increments('NEW')])} FROM d",
        f"{FINE}.",
    )
    coarse = _upsert(
        COARSE,
        f"SELECT {', '.join([*_key_values(COARSE, 'NEW', 'd.day'), *_increments('NEW')])} FROM d",
        f"{COARSE}.",
    )
    return f"WITH d AS (SELECT response_local_day(NEW.created_at) AS day), fine AS ({fine}) {coarse};"


def _pg_remove():
    """Subtract OLD's counts from both; a cell left empty is deleted (only then: one probe)."""
    out = ["old_day := response_local_day(OLD.created_at);"]
    for table in (FINE, COARSE):
        out.append(f"{_subtract(table, 'OLD', 'old_day')} RETURNING n INTO remaining;")
        out.append(
            f"IF remaining <= 0 THEN DELETE FROM {table} WHERE {_key_match(table, 'OLD', 'old_day')}; END IF;"
        )
    return "\n    ".join(out)


def postgresql_statements():
    """The day function, the trigger function and the trigger for PostgreSQL."""
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    body = (
        "DECLARE\n"
        "  old_day date;\n"
        "  remaining integer;\n"
        "BEGIN\n"
        f"  IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN RETURN NULL; END IF;\n"
        "  IF TG_OP <> 'INSERT' AND NOT OLD.scanner_suspect THEN\n"
        f"    {_pg_remove()}\n"
        "  END IF;\n"
        "  IF TG_OP <> 'DELETE' AND NOT NEW.scanner_suspect THEN\n"
        f"    {_pg_add()}\n"
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


# Rebuild --------------------------------------------------------------------------------------------


def day_rollup_fill():
    """Empty ``response_day_rollups`` and sum it from ``response_rollups`` (its finer grain)."""
    sums = ", ".join(f"sum({c})" for c in COUNT_COLUMNS)
    key = ", ".join(KEYS[COARSE])
    return [
        f"DELETE FROM {COARSE}",
        f"INSERT INTO {COARSE} ({key}, {', '.join(COUNT_COLUMNS)}) SELECT {key}, {sums} FROM {FINE}"
        f" GROUP BY {key}",
    ]


def rebuild_statements(dialect):
    """Empty both rollups and recompute them from every response (one grouped pass, then the coarse one
    from the fine one)."""
    day = "response_local_day(created_at)" if dialect == "postgresql" else sqlite_day("responses.created_at")
    counts = ", ".join(["count(*)", *[f"sum(CASE WHEN score = {k} THEN 1 ELSE 0 END)" for k in SCORES]])
    return [
        f"DELETE FROM {FINE}",
        f"INSERT INTO {FINE} ({', '.join([*KEY, *COUNT_COLUMNS])})"
        f" SELECT {day}, survey_id, coalesce(account_id, 0), kind, {counts}"
        " FROM responses WHERE NOT scanner_suspect GROUP BY 1, 2, 3, 4",
        *day_rollup_fill(),
    ]


def _replace_triggers(sqlite_statements, postgresql_statements):
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in TRIGGERS_SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        statements = sqlite_statements()
    else:
        statements = postgresql_statements()
    for statement in statements:
        op.execute(statement)


def upgrade():
    op.create_table(
        COARSE,
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in COUNT_COLUMNS],
        sa.PrimaryKeyConstraint("day", "survey_id", "kind", name=op.f("pk_response_day_rollups")),
        sqlite_with_rowid=False,
    )
    _replace_triggers(sqlite_triggers, postgresql_statements)
    for statement in day_rollup_fill():
        op.execute(statement)


def downgrade():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("faults_0002_scanner_suspect_answers.py")
    spec = importlib.util.spec_from_file_location("faults_0002_rollups", path)
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    _replace_triggers(previous.sqlite_triggers, previous.postgresql_statements)
    op.drop_table(COARSE)
