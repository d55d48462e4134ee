# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""The SQL that keeps ``response_rollups`` current: triggers on ``responses`` and the full rebuild.

Migration faults_0002 holds a frozen copy of the trigger text (migrations never import the app; cs_0001
the first version); tests/trends/test_rollups.py checks the two agree. Answers suspected to come from a
mail scanner (``scanner_suspect``, app/respond/suspect.py) are counted nowhere: the triggers skip them, and
a change of the flag moves the answer in or out of the counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

SCORES = range(11)
KEY = ("day", "survey_id", "account_key", "kind")
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


def _key_match(row: str, day: str) -> str:
    return (
        f"day = {day} AND survey_id = {row}.survey_id"
        f" AND account_key = coalesce({row}.account_id, 0) AND kind = {row}.kind"
    )


def _add(row: str, day: str, target: str) -> str:
    values = ", ".join([day, f"{row}.survey_id", f"coalesce({row}.account_id, 0)", f"{row}.kind"])
    values += ", " + ", ".join(_increments(row))
    sets = ", ".join(f"{c} = {target}{c} + excluded.{c}" for c in COUNT_COLUMNS)
    return (
        f"INSERT INTO response_rollups ({', '.join([*KEY, *COUNT_COLUMNS])}) SELECT {values}"
        f" WHERE NOT {row}.scanner_suspect ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets};"
    )


def _remove(row: str, day: str) -> str:
    sets = ", ".join(f"{c} = {c} - {inc}" for c, inc in zip(COUNT_COLUMNS, _increments(row), strict=True))
    match = _key_match(row, day)
    return (
        f"UPDATE response_rollups SET {sets} WHERE {match} AND NOT {row}.scanner_suspect;"
        f" DELETE FROM response_rollups WHERE {match} AND n <= 0;"
    )


def sqlite_triggers() -> list[str]:
    """CREATE TRIGGER statements for SQLite."""
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


def postgresql_statements() -> list[str]:
    """The day function, the trigger function and the trigger for PostgreSQL."""
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


def rebuild_statements(dialect: str) -> list[str]:
    """Empty the rollups and recompute them from every response (one grouped pass)."""
    day = "response_local_day(created_at)" if dialect == "postgresql" else sqlite_day("responses.created_at")
    counts = ", ".join(["count(*)", *[f"sum(CASE WHEN score = {k} THEN 1 ELSE 0 END)" for k in SCORES]])
    return [
        "DELETE FROM response_rollups",
        f"INSERT INTO response_rollups ({', '.join([*KEY, *COUNT_COLUMNS])})"
        f" SELECT {day}, survey_id, coalesce(account_id, 0), kind, {counts}"
        " FROM responses WHERE NOT scanner_suspect GROUP BY 1, 2, 3, 4",
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
