# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""The SQL that keeps the two per-day tables of topic analytics current, and rebuilds them.

- ``topic_days``: per local day × topic × survey, the additive figures of ``topic_hits`` — responses
  (a parent counts a response once), NPS bands of its NPS responses, mention counts by sentiment label.
  Kept by triggers on ``topic_hits`` itself: every event that changes a response's hits (tagging,
  rejection, relabelling, manual tags, re-parenting, retiring, merging and deleting topics, suspect
  flips, moves, deletions — see ``hits_sql``) deletes and re-inserts its rows there, and those deletes and
  inserts subtract and add here. PostgreSQL: statement-level triggers with transition tables (a re-tag's
  thousands of rows are one grouped upsert); SQLite: row-level.
- ``topic_day_totals``: per local day × survey, every counted response (the share's and NPS's
  denominators: responses, analysed comments, NPS bands), as ``queries.totals`` counts them (scanner
  suspects nowhere, as every ORM read of responses). Kept by row-level triggers on ``responses``. On
  PostgreSQL a bulk writer of analysis states (tagging) may defer them for rows whose only watched change
  is ``analysis_state`` and add the batch's ``analysed`` counts itself in one grouped statement
  (``DEFER_TOTALS_SETTING``, ``analysed_delta_statement``; migration sendtag_0002): per row, the trigger
  subtracted and re-added one counted row of the same (day, survey) cell, thousands of times per batch.

The local day is the response's time shifted by the workspace time zone's offset in force then, read from
``rollup_tz_offsets`` exactly as the response rollups do (``response_local_day`` on PostgreSQL, the
same expression on SQLite): a change of workspace zone rewrites that table and rebuilds these tables with
the rollups (``app.trends.services.timezone_changed``, ``flask rollups rebuild``). Topic analytics reads
them only for periods in the zone those offsets describe (``queries.day_tables_usable``), else the
per-response table.

Migration topics_0002 holds a frozen copy of this text; a test compares them.
"""

from __future__ import annotations

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
DEFER_TOTALS_SETTING = "clearloop.defer_day_totals"  # transaction-local (set_config(..., true))


def sqlite_day(ts: str) -> str:
    """SQLite: the local day of UTC text timestamp ``ts`` (``app.trends.rollup_sql.sqlite_day``; a test
    checks they agree)."""
    offset = (
        f"coalesce((SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= {ts}"
        " ORDER BY o.since DESC LIMIT 1), 0)"
    )
    return f"date({ts}, printf('%+d minutes', {offset}))"


def _bands(row: str) -> list[str]:
    """Promoter, passive, detractor flags of an NPS row (other kinds and no score: none), as
    ``queries._bands`` counts them."""
    nps = f"{row}.kind = 'nps'"
    return [
        f"CASE WHEN {nps} AND {row}.score >= 9 THEN 1 ELSE 0 END",
        f"CASE WHEN {nps} AND {row}.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END",
        f"CASE WHEN {nps} AND {row}.score <= 6 THEN 1 ELSE 0 END",
    ]


def _increments(table: str, row: str) -> list[str]:
    """What one row (a topic hit, or a response) adds to each count column."""
    if table == DAYS:
        return ["1", *_bands(row), f"{row}.positive", f"{row}.neutral", f"{row}.negative"]
    return ["1", f"CASE WHEN {row}.analysis_state = 'done' THEN 1 ELSE 0 END", *_bands(row)]


def _keys(table: str, row: str, day: str) -> list[str]:
    return [day if c == "day" else f"{row}.{c}" for c in KEYS[table]]


def _upsert(table: str, source: str, target: str) -> str:
    """INSERT ``source`` (VALUES or SELECT) adding to an existing row (``target``: PostgreSQL's qualifier)."""
    sets = ", ".join(f"{c} = {target}{c} + excluded.{c}" for c in COUNTS[table])
    return (
        f"INSERT INTO {table} ({', '.join([*KEYS[table], *COUNTS[table]])}) {source}"
        f" ON CONFLICT ({', '.join(KEYS[table])}) DO UPDATE SET {sets}"
    )


def _grouped(table: str, rows: str, row: str, day: str, where: str = "") -> str:
    """SELECT the key and summed counts of ``rows`` (aliased ``row``), grouped by key."""
    sums = [f"sum({inc})" for inc in _increments(table, row)]
    keys = _keys(table, row, day)
    return f"SELECT {', '.join([*keys, *sums])} FROM {rows} {row}{where} GROUP BY {', '.join(keys)}"


# SQLite (row-level) ------------------------------------------------------------------------------------


def _sqlite_add(table: str, row: str, guard: bool = False) -> str:
    """Add ``row``'s counts; ``guard``: not for a scanner-suspect response (the update trigger's)."""
    day = sqlite_day(f"{row}.created_at")
    values = ", ".join([*_keys(table, row, day), *_increments(table, row)])
    # an INSERT … SELECT upsert needs a WHERE (SQLite's parser); VALUES is the plain insert's form
    source = f"SELECT {values} WHERE NOT {row}.scanner_suspect" if guard else f"VALUES ({values})"
    return _upsert(table, source, "") + ";"


def _sqlite_remove(table: str, row: str, guard: bool = False) -> str:
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


def sqlite_triggers() -> list[str]:
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


def _pg_subtract(table: str, rows: str, row: str) -> list[str]:
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


def _pg_add(table: str, rows: str, row: str) -> str:
    return (
        _upsert(table, _grouped(table, rows, row, PG_DAY.format(row)), "t.").replace(
            f"INSERT INTO {table} ", f"INSERT INTO {table} AS t ", 1
        )
        + ";"
    )


_BUT_STATE = " OR ".join(
    f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in RESPONSE_WATCHED if c != "analysis_state"
)
# sendtag_0002: an UPDATE that changed no watched column but analysis_state leaves the totals to the writer
# that deferred them (topics_0002's function had no such line; ``without_defer_check`` gives it back).
PG_TOTALS_DEFER_CHECK = (
    f"  IF TG_OP = 'UPDATE' AND current_setting('{DEFER_TOTALS_SETTING}', true) = 'on'"
    f" AND NOT ({_BUT_STATE}) THEN\n"
    "    RETURN NULL;  -- deferred: the writer adds the analysed counts of the rows it updated\n"
    "  END IF;\n"
)


def without_defer_check(statements: list[str]) -> list[str]:
    """The statements as migration topics_0002 made them (no deferral of the totals)."""
    return [s.replace(PG_TOTALS_DEFER_CHECK, "", 1) for s in statements]


def totals_function() -> str:
    """PostgreSQL: the CREATE OR REPLACE FUNCTION statement of topic_day_totals_apply()."""
    return next(s for s in postgresql_statements() if "FUNCTION topic_day_totals_apply()" in s)


def defer_totals_statement(on: bool) -> str:
    """PostgreSQL: open (or close) the deferral of the totals for the current transaction."""
    return f"SELECT set_config('{DEFER_TOTALS_SETTING}', '{'on' if on else 'off'}', true)"


def analysed_delta_statement() -> str:
    """PostgreSQL: add ``:deltas`` (+1 became done, -1 stopped being done) of responses ``:ids`` to their
    cells' ``analysed``, grouped — what the deferred row triggers would have done one row at a time. Every
    counted response's cell exists (the response itself counts in it); scanner suspects count nowhere."""
    return (
        f"UPDATE {TOTALS} t SET analysed = t.analysed + g.delta FROM ("
        f"SELECT {PG_DAY.format('r')} AS day, r.survey_id, sum(v.delta) AS delta"
        " FROM unnest(CAST(:ids AS integer[]), CAST(:deltas AS integer[])) AS v (id, delta)"
        " JOIN responses r ON r.id = v.id WHERE NOT r.scanner_suspect GROUP BY 1, 2) AS g"
        " WHERE t.day = g.day AND t.survey_id = g.survey_id AND g.delta <> 0"
    )


def executed(statement: str) -> str:
    """PL/pgSQL: ``statement`` (ending in ``;``) run through EXECUTE, so it is planned for each call's
    transition tables. A static statement's plan is cached for the session, planned for the row counts its
    first call saw: a session whose first call had an empty transition table kept plans made for none
    (~1.2 s for a 256-response batch later, against ~15 ms)."""
    return f"EXECUTE $q${statement.rstrip(';')}$q$;"


def _with_days(rows: str, row: str) -> str:
    """FROM item: ``rows`` (aliased ``row``) joined to the local day (``ld.day``) of each distinct
    ``created_at`` among them: ``response_local_day`` once per distinct time, not once per row (a response's
    hit rows share its time; a batch of answers often shares a few). The grouped subquery is a fence: a
    plain one would be pulled up, and the call made for every joined row again."""
    return (
        f"{rows} {row} JOIN (SELECT x.created_at, {PG_DAY.format('x')} AS day"
        f" FROM {rows} x GROUP BY x.created_at) ld ON ld.created_at = {row}.created_at"
    )


def _lean_grouped(rows: str, row: str) -> str:
    keys = ["ld.day", f"{row}.topic_id", f"{row}.survey_id"]
    sums = [f"sum({inc})" for inc in _increments(DAYS, row)]
    return f"SELECT {', '.join([*keys, *sums])} FROM {_with_days(rows, row)} GROUP BY {', '.join(keys)}"


def hits_function() -> str:
    """PostgreSQL: topic_days_hits() as migration tagpg_0001 makes it: ``postgresql_statements``' function
    with each local day computed once per distinct time, every statement on the transition tables run
    through EXECUTE (``executed``), and nothing done for a statement of no rows. Same results."""
    columns = ", ".join([*KEYS[DAYS], *COUNTS[DAYS]])
    sets = ", ".join(f"{c} = t.{c} - g.{c}" for c in COUNTS[DAYS])
    match = " AND ".join(f"t.{c} = g.{c}" for c in KEYS[DAYS])
    keys = ", ".join(KEYS[DAYS])
    subtract = [
        f"UPDATE {DAYS} t SET {sets} FROM ({_lean_grouped('old_rows', 'o')}) AS g ({columns}) WHERE {match};",
        f"DELETE FROM {DAYS} WHERE responses <= 0 AND ({keys}) IN"
        f" (SELECT ld.day, o.topic_id, o.survey_id FROM {_with_days('old_rows', 'o')});",
    ]
    add = _upsert(DAYS, _lean_grouped("new_rows", "n"), "t.").replace(
        f"INSERT INTO {DAYS} ", f"INSERT INTO {DAYS} AS t ", 1
    )
    body = (
        "BEGIN\n"
        "  IF TG_OP IN ('DELETE', 'UPDATE') THEN\n"
        "    IF EXISTS (SELECT 1 FROM old_rows) THEN\n"
        + "".join(f"      {executed(s)}\n" for s in subtract)
        + "    END IF;\n"
        "  END IF;\n"
        "  IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
        "    IF EXISTS (SELECT 1 FROM new_rows) THEN\n"
        f"      {executed(add)}\n"
        "    END IF;\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END"
    )
    return (
        "CREATE OR REPLACE FUNCTION topic_days_hits() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + body
        + "\n$$"
    )


def postgresql_statements() -> list[str]:
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
        + PG_TOTALS_DEFER_CHECK
        + "  IF TG_OP <> 'INSERT' AND NOT OLD.scanner_suspect THEN\n"
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


def drop_statements(dialect: str) -> list[str]:
    """Undo ``postgresql_statements`` / ``sqlite_triggers``."""
    if dialect == "postgresql":
        return [
            *[f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in PG_TRIGGERS],
            "DROP FUNCTION IF EXISTS topic_days_hits()",
            "DROP FUNCTION IF EXISTS topic_day_totals_apply()",
        ]
    return [f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS_SQLITE]


def recomputed(table: str, dialect: str) -> str:
    """SELECT every row of ``table`` from its source (``topic_hits``, or the counted responses)."""
    day = PG_DAY.format("x") if dialect == "postgresql" else sqlite_day("x.created_at")
    if table == DAYS:
        return _grouped(DAYS, "topic_hits", "x", day)
    return _grouped(TOTALS, "responses", "x", day, " WHERE NOT x.scanner_suspect")


def rebuild_statements(dialect: str) -> list[str]:
    """Empty both tables and recompute them: ``topic_days`` from ``topic_hits``, the totals from every
    counted response (one grouped pass each)."""
    out = []
    for table in (DAYS, TOTALS):
        out += [
            f"DELETE FROM {table}",
            f"INSERT INTO {table} ({', '.join([*KEYS[table], *COUNTS[table]])}) {recomputed(table, dialect)}",
        ]
    return out
