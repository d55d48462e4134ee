# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""The SQL that keeps the rollups current: triggers on ``responses`` and the full rebuild.

Two rollups, kept by the same triggers in the answer's transaction: ``response_rollups`` (local day ×
survey × account × kind: health, accounts, segments by account attributes) and ``response_day_rollups``
(local day × survey × kind: the charts and figures not split by account, a few thousand rows for years of
answers). One trigger per event updates both: on PostgreSQL one statement (a data-modifying CTE computes
the local day once and upserts both); on SQLite two upserts in one trigger program, which runs only for
counted answers (the trigger's WHEN).

Migration rollup_0001 holds a frozen copy of the trigger text (migrations never import the app; cs_0001
the first version, faults_0002 the second); tests/trends/test_rollups.py checks they agree. Answers
suspected to come from a mail scanner (``scanner_suspect``, app/respond/suspect.py) are counted nowhere:
the triggers skip them, and a change of the flag moves the answer in or out of the counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

SCORES = range(11)
FINE, COARSE = "response_rollups", "response_day_rollups"
KEYS = {FINE: ("day", "survey_id", "account_key", "kind"), COARSE: ("day", "survey_id", "kind")}
KEY = KEYS[FINE]
COUNT_COLUMNS = ["n", *[f"s{k}" for k in SCORES]]
TRIGGERS_SQLITE = ("response_rollups_insert", "response_rollups_delete", "response_rollups_update")
WATCHED = ("score", "survey_id", "account_id", "kind", "created_at", "scanner_suspect")


def sqlite_day(ts: str) -> str:
    """SQLite: the local day of UTC text timestamp ``ts`` by the offset in force then."""
    offset = (
        f"coalesce((SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= {ts}"
        " ORDER BY o.since DESC LIMIT 1), 0)"
    )
    return f"date({ts}, printf('%+d minutes', {offset}))"


def _increments(row: str) -> list[str]:
    return ["1", *[f"CASE WHEN {row}.score = {k} THEN 1 ELSE 0 END" for k in SCORES]]


def _key_values(table: str, row: str, day: str) -> list[str]:
    values = {"day": day, "survey_id": f"{row}.survey_id", "kind": f"{row}.kind"}
    values["account_key"] = f"coalesce({row}.account_id, 0)"
    return [values[c] for c in KEYS[table]]


def _key_match(table: str, row: str, day: str) -> str:
    return " AND ".join(f"{c} = {v}" for c, v in zip(KEYS[table], _key_values(table, row, day), strict=True))


def _upsert(table: str, values: str, target: str) -> str:
    """INSERT … ``values`` (VALUES or SELECT) ON CONFLICT add the counts (``target``: PostgreSQL's table
    qualifier of the existing row)."""
    sets = ", ".join(f"{c} = {target}{c} + excluded.{c}" for c in COUNT_COLUMNS)
    columns, key = ", ".join([*KEYS[table], *COUNT_COLUMNS]), ", ".join(KEYS[table])
    return f"INSERT INTO {table} ({columns}) {values} ON CONFLICT ({key}) DO UPDATE SET {sets}"


def _subtract(table: str, row: str, day: str) -> str:
    sets = ", ".join(f"{c} = {c} - {inc}" for c, inc in zip(COUNT_COLUMNS, _increments(row), strict=True))
    return f"UPDATE {table} SET {sets} WHERE {_key_match(table, row, day)}"


# SQLite ---------------------------------------------------------------------------------------------


def _sqlite_add(row: str, guard: bool) -> str:
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


def _sqlite_remove(row: str, guard: bool) -> str:
    day = sqlite_day(f"{row}.created_at")
    out = []
    for table in (FINE, COARSE):
        skip = f" AND NOT {row}.scanner_suspect" if guard else ""
        out.append(f"{_subtract(table, row, day)}{skip};")
        out.append(f"DELETE FROM {table} WHERE {_key_match(table, row, day)} AND n <= 0;")
    return " ".join(out)


def sqlite_triggers() -> list[str]:
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


def _pg_add() -> str:
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


def _pg_remove() -> str:
    """Subtract OLD's counts from both; a cell left empty is deleted (only then: one probe)."""
    out = ["old_day := response_local_day(OLD.created_at);"]
    for table in (FINE, COARSE):
        out.append(f"{_subtract(table, 'OLD', 'old_day')} RETURNING n INTO remaining;")
        out.append(
            f"IF remaining <= 0 THEN DELETE FROM {table} WHERE {_key_match(table, 'OLD', 'old_day')}; END IF;"
        )
    return "\n    ".join(out)


def postgresql_statements() -> list[str]:
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


def day_rollup_fill() -> list[str]:
    """Empty ``response_day_rollups`` and sum it from ``response_rollups`` (its finer grain)."""
    sums = ", ".join(f"sum({c})" for c in COUNT_COLUMNS)
    key = ", ".join(KEYS[COARSE])
    return [
        f"DELETE FROM {COARSE}",
        f"INSERT INTO {COARSE} ({key}, {', '.join(COUNT_COLUMNS)}) SELECT {key}, {sums} FROM {FINE}"
        f" GROUP BY {key}",
    ]


def rebuild_statements(dialect: str) -> list[str]:
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


@lru_cache(maxsize=8)
def offset_history(zone: str, start: int = 1970, end: int = 2100) -> tuple[tuple[datetime, int], ...]:
    """(UTC instant, offset minutes) at each change of ``zone``'s UTC offset; [] for a fixed UTC zone."""
    tz = ZoneInfo(zone)

    def offset(at: datetime) -> int:
        return int(at.astimezone(tz).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]

    at = datetime(start, 1, 1, tzinfo=UTC)
    current = offset(at)
    rows = [(datetime(1900, 1, 1, tzinfo=UTC), current)]
    stop = datetime(end, 1, 1, tzinfo=UTC)
    step = timedelta(days=1)
    while at < stop:
        nxt = at + step
        if offset(nxt) != current:
            low, high = at, nxt  # offset(low) == current != offset(high): bisect to the second
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                low, high = (mid, high) if offset(mid) == current else (low, mid)
            current = offset(high)
            rows.append((high.replace(microsecond=0), current))
        at = nxt
    return () if rows == [(rows[0][0], 0)] else tuple(rows)
