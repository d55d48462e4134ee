# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""Topic days: per-day tables of topic analytics kept by triggers; backfilled

``topic_days`` (local day × topic × survey: responses, NPS bands, mentions by sentiment), kept by
triggers on ``topic_hits``, and ``topic_day_totals`` (local day × survey: responses, analysed comments,
NPS bands), kept by triggers on ``responses``; the local day as the response rollups count it (the
workspace zone's offsets in ``rollup_tz_offsets``). Backfilled in one grouped pass each (from
``topic_hits`` and ``responses``).

The SQL is a frozen copy of app/insights/days_sql.py at this revision (a test compares them).
Note for later migrations: a batch_alter_table that recreates ``responses`` or ``topic_hits`` on SQLite
drops the triggers on it.

Revision ID: topics_0002
Revises: workers_0001
Create Date: 2026-12-07 00:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "topics_0002"
down_revision = "workers_0001"
branch_labels = None
depends_on = None

DAYS, TOTALS = "topic_days", "topic_day_totals"
KEYS = {DAYS: ("day", "topic_id", "survey_id"), TOTALS: ("day", "survey_id")}
COUNTS = {
    DAYS: ("responses", "promoters", "passives", "detractors", "positive", "neutral", "negative"),
    TOTALS: ("responses", "analysed", "promoters", "passives", "detractors"),
}
RESPONSE_WATCHED = ("created_at", "survey_id", "kind", "score", "analysis_state", "scanner_suspect")
TRIGGERS_SQLITE = (
    "topic_days_hit_insert",
    "topic_days_hit_delete",
    "topic_day_totals_insert",
    "topic_day_totals_delete",
    "topic_day_totals_update",
)
PG_DAY = "response_local_day({}.created_at)"


def sqlite_day(ts):
    """SQLite: the local day of UTC text timestamp ``ts`` (``app.trends.rollup_sql.sqlite_day``; a test
    checks they agree)."""
    offset = (
        f"coalesce((SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= {ts}"
        " ORDER BY o.since DESC LIMIT 1), 0)"
    )
    return f"date({ts}, printf('%+d minutes', {offset}))"


def _bands(row):
    """Promoter, passive, detractor flags of an NPS row (other kinds and no score: none), as
    ``queries._bands`` counts them."""
    nps = f"{row}.kind = 'nps'"
    return [
        f"CASE WHEN {nps} AND {row}.score >= 9 THEN 1 ELSE 0 END",
        f"CASE WHEN {nps} AND {row}.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END",
        f"CASE WHEN {nps} AND {row}.score <= 6 THEN 1 ELSE 0 END",
    ]


def _increments(table, row):
    """What one row (a topic hit, or a response) adds to each count column."""
    if table == DAYS:
        return ["1", *_bands(row), f"{row}.positive", f"{row}.neutral", f"{row}.negative"]
    return ["1", f"CASE WHEN {row}.analysis_state = 'done' THEN 1 ELSE 0 END", *_bands(row)]


def _keys(table, row, day):
    return [day if c == "day" else f"{row}.{c}" for c in KEYS[table]]


def _upsert(table, source, target):
    """INSERT ``source`` (VALUES or SELECT) adding to an existing row (``target``: PostgreSQL's qualifier)."""
    sets = ", ".join(f"{c} = {target}{c} + excluded.{c}" for c in COUNTS[table])
    return (
        f"INSERT INTO {table} ({', '.join([*KEYS[table], *COUNTS[table]])}) {source}"
        f" ON CONFLICT ({', '.join(KEYS[table])}) DO UPDATE SET {sets}"
    )


def _grouped(table, rows, row, day, where=""):
    """SELECT the key and summed counts of ``rows`` (aliased ``row``), grouped by key."""
    sums = [f"sum({inc})" for inc in _increments(table, row)]
    keys = _keys(table, row, day)
    return f"SELECT {', '.join([*keys, *sums])} FROM {rows} {row}{where} GROUP BY {', '.join(keys)}"


# SQLite (row-level) ------------------------------------------------------------------------------------


def _sqlite_add(table, row, guard=False):
    """Add ``row``'s counts; ``guard``: not for a scanner-suspect response (the update trigger's)."""
    day = sqlite_day(f"{row}.created_at")
    values = ", ".join([*_keys(table, row, day), *_increments(table, row)])
    # an INSERT … SELECT upsert needs a WHERE (SQLite's parser); VALUES is the plain insert's form
    source = f"SELECT {values} WHERE NOT {row}.scanner_suspect" if guard else f"VALUES ({values})"
    return _upsert(table, source, "") + ";"


def _sqlite_remove(table, row, guard=False):
    """Subtract ``row``'s counts and delete the cell left empty; ``guard`` as in ``_sqlite_add``."""
    day = sqlite_day(f"{row}.created_at")
    match = " AND ".join(f"{c} = {v}" for c, v in zip(KEYS[table], _keys(table, row, day), strict=True))
    sets = ", ".join(
        f"{c} = {c} - {inc}" for c, inc in zip(COUNTS[table], _increments(table, row), strict=True)
    )
    skip = f" AND NOT {row}.scanner_suspect" if guard else ""
    return (
        f"UPDATE {table} SET {sets} WHERE {match}{skip};"
        f" DELETE FROM {table} WHERE {match} AND responses <= 0;"
    )


def sqlite_triggers():
    """CREATE TRIGGER statements for SQLite."""
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in RESPONSE_WATCHED)
    return [
        "CREATE TRIGGER topic_days_hit_insert AFTER INSERT ON topic_hits"
        f" BEGIN {_sqlite_add(DAYS, 'new')} END",
        "CREATE TRIGGER topic_days_hit_delete AFTER DELETE ON topic_hits"
        f" BEGIN {_sqlite_remove(DAYS, 'old')} END",
        "CREATE TRIGGER topic_day_totals_insert AFTER INSERT ON responses WHEN NOT new.scanner_suspect"
        f" BEGIN {_sqlite_add(TOTALS, 'new')} END",
        "CREATE TRIGGER topic_day_totals_delete AFTER DELETE ON responses WHEN NOT old.scanner_suspect"
        f" BEGIN {_sqlite_remove(TOTALS, 'old')} END",
        f"CREATE TRIGGER topic_day_totals_update AFTER UPDATE OF {', '.join(RESPONSE_WATCHED)} ON responses"
        f" WHEN {changed} BEGIN {_sqlite_remove(TOTALS, 'old', guard=True)}"
        f" {_sqlite_add(TOTALS, 'new', guard=True)} END",
    ]


# PostgreSQL --------------------------------------------------------------------------------------------


def _pg_subtract(table, rows, row):
    """Subtract the grouped counts of ``rows``, then delete the cells left empty."""
    day = PG_DAY.format(row)
    keys = ", ".join(KEYS[table])
    sets = ", ".join(f"{c} = t.{c} - g.{c}" for c in COUNTS[table])
    match = " AND ".join(f"t.{c} = g.{c}" for c in KEYS[table])
    grouped = _grouped(table, rows, row, day)
    return [
        f"UPDATE {table} t SET {sets} FROM ({grouped}) AS g ({', '.join([*KEYS[table], *COUNTS[table]])})"
        f" WHERE {match};",
        f"DELETE FROM {table} WHERE responses <= 0 AND ({keys}) IN"
        f" (SELECT {', '.join(_keys(table, row, day))} FROM {rows} {row});",
    ]


def _pg_add(table, rows, row):
    return (
        _upsert(table, _grouped(table, rows, row, PG_DAY.format(row)), "t.").replace(
            f"INSERT INTO {table} ", f"INSERT INTO {table} AS t ", 1
        )
        + ";"
    )


def postgresql_statements():
    """The trigger functions and triggers for PostgreSQL (``response_local_day`` is rollup_0001's)."""
    hits_body = (
        "BEGIN\n"
        "  IF TG_OP IN ('DELETE', 'UPDATE') THEN\n"
        + "".join(f"    {s}\n" for s in _pg_subtract(DAYS, "old_rows", "o"))
        + "  END IF;\n"
        "  IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
        f"    {_pg_add(DAYS, 'new_rows', 'n')}\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END"
    )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in RESPONSE_WATCHED)
    match = " AND ".join(
        f"{c} = {v}" for c, v in zip(KEYS[TOTALS], _keys(TOTALS, "OLD", "old_day"), strict=True)
    )
    subtract = ", ".join(
        f"{c} = {c} - {inc}" for c, inc in zip(COUNTS[TOTALS], _increments(TOTALS, "OLD"), strict=True)
    )
    add = ", ".join([*_keys(TOTALS, "NEW", PG_DAY.format("NEW")), *_increments(TOTALS, "NEW")])
    totals_body = (
        "DECLARE old_day date; remaining integer;\n"
        "BEGIN\n"
        f"  IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN RETURN NULL; END IF;\n"
        "  IF TG_OP <> 'INSERT' AND NOT OLD.scanner_suspect THEN\n"
        f"    old_day := {PG_DAY.format('OLD')};\n"
        f"    UPDATE {TOTALS} SET {subtract} WHERE {match} RETURNING responses INTO remaining;\n"
        f"    IF remaining <= 0 THEN DELETE FROM {TOTALS} WHERE {match}; END IF;\n"
        "  END IF;\n"
        "  IF TG_OP <> 'DELETE' AND NOT NEW.scanner_suspect THEN\n"
        f"    {_upsert(TOTALS, f'SELECT {add}', f'{TOTALS}.')};\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END"
    )
    out = [
        "CREATE OR REPLACE FUNCTION topic_days_hits() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + hits_body
        + "\n$$",
        "CREATE OR REPLACE FUNCTION topic_day_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + totals_body
        + "\n$$",
        "CREATE TRIGGER topic_days_hits_insert AFTER INSERT ON topic_hits REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION topic_days_hits()",
        "CREATE TRIGGER topic_days_hits_delete AFTER DELETE ON topic_hits REFERENCING OLD TABLE AS old_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION topic_days_hits()",
        "CREATE TRIGGER topic_days_hits_update AFTER UPDATE ON topic_hits"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION topic_days_hits()",
        f"CREATE TRIGGER topic_day_totals AFTER INSERT OR DELETE OR UPDATE OF {', '.join(RESPONSE_WATCHED)}"
        " ON responses FOR EACH ROW EXECUTE FUNCTION topic_day_totals_apply()",
    ]
    return out


PG_TRIGGERS = (
    ("topic_days_hits_insert", "topic_hits"),
    ("topic_days_hits_delete", "topic_hits"),
    ("topic_days_hits_update", "topic_hits"),
    ("topic_day_totals", "responses"),
)


def drop_statements(dialect):
    """Undo ``postgresql_statements`` / ``sqlite_triggers``."""
    if dialect == "postgresql":
        return [
            *[f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in PG_TRIGGERS],
            "DROP FUNCTION IF EXISTS topic_days_hits()",
            "DROP FUNCTION IF EXISTS topic_day_totals_apply()",
        ]
    return [f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS_SQLITE]


def recomputed(table, dialect):
    """SELECT every row of ``table`` from its source (``topic_hits``, or the counted responses)."""
    day = PG_DAY.format("x") if dialect == "postgresql" else sqlite_day("x.created_at")
    if table == DAYS:
        return _grouped(DAYS, "topic_hits", "x", day)
    return _grouped(TOTALS, "responses", "x", day, " WHERE NOT x.scanner_suspect")


def rebuild_statements(dialect):
    """Empty both tables and recompute them: ``topic_days`` from ``topic_hits``, the totals from every
    counted response (one grouped pass each)."""
    out = []
    for table in (DAYS, TOTALS):
        out += [
            f"DELETE FROM {table}",
            f"INSERT INTO {table} ({', '.join([*KEYS[table], *COUNTS[table]])}) {recomputed(table, dialect)}",
        ]
    return out


def _counts(names):
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade():
    op.create_table(
        DAYS,
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        *_counts(COUNTS[DAYS]),
        sa.PrimaryKeyConstraint("day", "topic_id", "survey_id", name=op.f("pk_topic_days")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        TOTALS,
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        *_counts(COUNTS[TOTALS]),
        sa.PrimaryKeyConstraint("day", "survey_id", name=op.f("pk_topic_day_totals")),
        sqlite_with_rowid=False,
    )
    dialect = op.get_bind().dialect.name
    for statement in postgresql_statements() if dialect == "postgresql" else sqlite_triggers():
        op.execute(statement)
    for statement in rebuild_statements(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        op.execute(f"ANALYZE {DAYS}")
        op.execute(f"ANALYZE {TOTALS}")


def downgrade():
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table(TOTALS)
    op.drop_table(DAYS)
