# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""The SQL that keeps the rollups current: triggers on ``responses`` and ``accounts``, and the full rebuild.

Four rollups, kept by the same triggers in the answer's transaction, each with a count of responses and one
per score value:

- ``response_rollups`` (local day × survey × account × kind): health, accounts, the edges of a range;
- ``response_day_rollups`` (local day × survey × kind): the charts and figures not split by account;
- ``response_month_rollups`` (kind × local month × account): charts split by account in months or quarters
  (a row per account and month instead of one per account, day and survey);
- ``response_segment_rollups`` (segment × kind × local day × value): charts split by an account's tier,
  plan, lifecycle stage or CSM. ``value`` is the account's *current* attribute as text ('' for none, or
  no account), so history follows the account, as a join to ``accounts`` at read time did: when an
  account's tier, plan, stage or CSM changes, a trigger on ``accounts`` moves its counts (summed from
  ``response_rollups``) from the old value to the new one; before an account is deleted its counts move
  to '' (its answers stay, without an account).

One trigger per event on ``responses`` updates all four: on PostgreSQL one statement for the additions (a
data-modifying CTE computing the local day once); on SQLite upserts in one trigger program, which runs
only for counted answers (the trigger's WHEN).

Migration rollup_0002 holds a frozen copy of the trigger text (migrations never import the app; cs_0001
the first version, faults_0002 the second, rollup_0001 the third); tests/trends/test_rollups.py checks
they agree. Answers suspected to come from a mail scanner (``scanner_suspect``, app/respond/suspect.py)
are counted nowhere: the triggers skip them, and a change of the flag moves the answer in or out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

SCORES = range(11)
FINE, COARSE = "response_rollups", "response_day_rollups"
MONTHS, SEGMENTS = "response_month_rollups", "response_segment_rollups"
KEYS = {
    FINE: ("day", "survey_id", "account_key", "kind"),
    COARSE: ("day", "survey_id", "kind"),
    MONTHS: ("kind", "month", "account_key"),
    SEGMENTS: ("segment", "kind", "day", "value"),
}
KEY = KEYS[FINE]
COUNT_COLUMNS = ["n", *[f"s{k}" for k in SCORES]]
TRIGGERS_SQLITE = ("response_rollups_insert", "response_rollups_delete", "response_rollups_update")
ACCOUNT_TRIGGERS_SQLITE = ("response_segments_account_update", "response_segments_account_delete")
WATCHED = ("score", "survey_id", "account_id", "kind", "created_at", "scanner_suspect")
# segment name -> the accounts column it follows
SEGMENT_COLUMNS = {"tier": "tier", "plan": "plan", "stage": "lifecycle_stage", "csm": "csm_owner_id"}


def sqlite_day(ts: str) -> str:
    """SQLite: the local day of UTC text timestamp ``ts`` by the offset in force then."""
    offset = (
        f"coalesce((SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= {ts}"
        " ORDER BY o.since DESC LIMIT 1), 0)"
    )
    return f"date({ts}, printf('%+d minutes', {offset}))"


def sqlite_month(day: str) -> str:
    """SQLite: the first day of ``day``'s month."""
    return f"date({day}, 'start of month')"


def pg_month(day: str) -> str:
    """PostgreSQL: the first day of date ``day``'s month."""
    return f"date_trunc('month', {day})::date"


def _increments(row: str, sign: str = "") -> list[str]:
    return [f"{sign}1", *[f"CASE WHEN {row}.score = {k} THEN {sign}1 ELSE 0 END" for k in SCORES]]


def _key_values(table: str, row: str, day: str, month: str) -> list[str]:
    values = {"day": day, "month": month, "survey_id": f"{row}.survey_id", "kind": f"{row}.kind"}
    values["account_key"] = f"coalesce({row}.account_id, 0)"
    return [values[c] for c in KEYS[table]]


def _key_match(table: str, row: str, day: str, month: str) -> str:
    values = _key_values(table, row, day, month)
    return " AND ".join(f"{c} = {v}" for c, v in zip(KEYS[table], values, strict=True))


def _upsert(table: str, values: str, target: str) -> str:
    """INSERT … ``values`` (VALUES or SELECT) ON CONFLICT add the counts (``target``: PostgreSQL's table
    qualifier of the existing row)."""
    sets = ", ".join(f"{c} = {target}{c} + excluded.{c}" for c in COUNT_COLUMNS)
    columns, key = ", ".join([*KEYS[table], *COUNT_COLUMNS]), ", ".join(KEYS[table])
    return f"INSERT INTO {table} ({columns}) {values} ON CONFLICT ({key}) DO UPDATE SET {sets}"


def _subtract(table: str, row: str, day: str, month: str) -> str:
    sets = ", ".join(f"{c} = {c} - {inc}" for c, inc in zip(COUNT_COLUMNS, _increments(row), strict=True))
    return f"UPDATE {table} SET {sets} WHERE {_key_match(table, row, day, month)}"


# Segments: the account's attributes as text, one row per segment --------------------------------------


def _segment_names() -> str:
    """A subquery with one row per segment (column ``segment``)."""
    return "(" + " UNION ALL ".join(f"SELECT '{s}' AS segment" for s in SEGMENT_COLUMNS) + ")"


def _segment_value(account: str) -> str:
    """The value of segment ``s.segment`` for account alias ``account`` ('' for none or no account)."""
    cases = " ".join(f"WHEN '{s}' THEN CAST({account}.{c} AS TEXT)" for s, c in SEGMENT_COLUMNS.items())
    return f"coalesce(CASE s.segment {cases} END, '')"


def _segment_upsert(row: str, day: str, sign: str, where: str, sources: str = "") -> str:
    """Add (``sign`` '') or subtract (``sign`` '-') ``row``'s answer in each segment of its account, as
    one upsert of four rows (``sources``: more FROM items before them; an INSERT … SELECT upsert needs a
    WHERE: SQLite's parser)."""
    values = ", ".join(["s.segment", f"{row}.kind", day, _segment_value("a"), *_increments(row, sign)])
    source = (
        f"SELECT {values} FROM {sources}{_segment_names()} s LEFT JOIN accounts a ON a.id = {row}.account_id"
        f" WHERE {where}"
    )
    return _upsert(SEGMENTS, source, f"{SEGMENTS}.")


def _segment_prune(row: str, day: str) -> str:
    """Delete the segment cells of ``row``'s kind and day left empty."""
    names = ", ".join(f"'{s}'" for s in SEGMENT_COLUMNS)
    return (
        f"DELETE FROM {SEGMENTS} WHERE segment IN ({names}) AND kind = {row}.kind AND day = {day} AND n <= 0"
    )


def _changes(old: str, new: str | None) -> str:
    """A subquery of (segment, old_value, new_value) for account rows ``old`` and ``new`` (None: the
    account is being deleted, every new value '')."""
    rows = []
    for s, c in SEGMENT_COLUMNS.items():
        after = f"coalesce(CAST({new}.{c} AS TEXT), '')" if new else "''"
        before = f"coalesce(CAST({old}.{c} AS TEXT), '')"
        rows.append(f"SELECT '{s}' AS segment, {before} AS old_value, {after} AS new_value")
    return "(" + " UNION ALL ".join(rows) + ")"


def account_move(old: str, new: str | None) -> list[str]:
    """Move account ``old``'s counts (summed from the fine rollup by day and kind) from each changed
    segment's old value to its new one: subtract, delete the cells left empty, add."""
    changes = _changes(old, new)
    cells = f"FROM {FINE} f, {changes} c WHERE f.account_key = {old}.id AND c.old_value <> c.new_value"
    out = []
    for value, sign in (("old_value", "-"), ("new_value", "")):
        if value == "new_value":
            out.append(
                f"DELETE FROM {SEGMENTS} WHERE (segment, kind, day, value) IN"
                f" (SELECT c.segment, f.kind, f.day, c.old_value {cells}) AND n <= 0"
            )
        sums = ", ".join(f"{sign}sum(f.{c})" for c in COUNT_COLUMNS)
        out.append(
            _upsert(
                SEGMENTS,
                f"SELECT c.segment, f.kind, f.day, c.{value}, {sums} {cells}"
                f" GROUP BY c.segment, f.kind, f.day, c.{value}",
                f"{SEGMENTS}.",
            )
        )
    return out


def _account_changed(old: str, new: str, distinct: str) -> str:
    return " OR ".join(f"{old}.{c} {distinct} {new}.{c}" for c in SEGMENT_COLUMNS.values())


# SQLite ---------------------------------------------------------------------------------------------


def _sqlite_add(row: str, guard: bool) -> str:
    """The upserts of ``row``'s counts; ``guard``: skip a suspect row in the statements (the update
    trigger, which must still remove the old row's counts) rather than in the trigger's WHEN."""
    day = sqlite_day(f"{row}.created_at")
    month = sqlite_month(day)
    out = []
    for table in (FINE, COARSE, MONTHS):
        values = ", ".join([*_key_values(table, row, day, month), *_increments(row)])
        # an INSERT … SELECT upsert needs a WHERE (SQLite's parser); VALUES is the plain insert's form
        source = f"SELECT {values} WHERE NOT {row}.scanner_suspect" if guard else f"VALUES ({values})"
        out.append(_upsert(table, source, "") + ";")
    out.append(_segment_upsert(row, day, "", f"NOT {row}.scanner_suspect" if guard else "true") + ";")
    return " ".join(out)


def _sqlite_remove(row: str, guard: bool) -> str:
    day = sqlite_day(f"{row}.created_at")
    month = sqlite_month(day)
    skip = f" AND NOT {row}.scanner_suspect" if guard else ""
    out = []
    for table in (FINE, COARSE, MONTHS):
        out.append(f"{_subtract(table, row, day, month)}{skip};")
        out.append(f"DELETE FROM {table} WHERE {_key_match(table, row, day, month)} AND n <= 0;")
    out.append(_segment_upsert(row, day, "-", f"NOT {row}.scanner_suspect" if guard else "true") + ";")
    out.append(_segment_prune(row, day) + ";")
    return " ".join(out)


def sqlite_triggers() -> list[str]:
    """CREATE TRIGGER statements for SQLite (insert and delete run only for counted answers; the
    account's triggers move its counts between segment values)."""
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED)
    columns = ", ".join(SEGMENT_COLUMNS.values())
    return [
        "CREATE TRIGGER response_rollups_insert AFTER INSERT ON responses WHEN NOT new.scanner_suspect"
        f" BEGIN {_sqlite_add('new', guard=False)} END",
        "CREATE TRIGGER response_rollups_delete AFTER DELETE ON responses WHEN NOT old.scanner_suspect"
        f" BEGIN {_sqlite_remove('old', guard=False)} END",
        f"CREATE TRIGGER response_rollups_update AFTER UPDATE OF {', '.join(WATCHED)} ON responses"
        f" WHEN {changed} BEGIN {_sqlite_remove('old', guard=True)} {_sqlite_add('new', guard=True)} END",
        f"CREATE TRIGGER response_segments_account_update AFTER UPDATE OF {columns} ON accounts"
        f" WHEN {_account_changed('old', 'new', 'IS NOT')}"
        f" BEGIN {' '.join(s + ';' for s in account_move('old', 'new'))} END",
        "CREATE TRIGGER response_segments_account_delete BEFORE DELETE ON accounts"
        f" BEGIN {' '.join(s + ';' for s in account_move('old', None))} END",
    ]


# PostgreSQL -----------------------------------------------------------------------------------------

PG_DAY_FUNCTION = """CREATE OR REPLACE FUNCTION response_local_day(ts timestamptz) RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT ((ts AT TIME ZONE 'UTC') + make_interval(mins => coalesce(
    (SELECT o.minutes FROM rollup_tz_offsets o WHERE o.since <= ts ORDER BY o.since DESC LIMIT 1), 0)))::date
$$"""


def _pg_add() -> str:
    """One statement: the local day once, then the four upserts (three of them data-modifying CTEs)."""

    def select(table: str) -> str:
        values = [*_key_values(table, "NEW", "d.day", "d.month"), *_increments("NEW")]
        return f"SELECT {', '.join(values)} FROM d"

    fine = _upsert(FINE, select(FINE), f"{FINE}.")
    months = _upsert(MONTHS, select(MONTHS), f"{MONTHS}.")
    segments = _segment_upsert("NEW", "d.day", "", "true", sources="d, ")
    coarse = _upsert(COARSE, select(COARSE), f"{COARSE}.")
    return (
        f"WITH d AS (SELECT x.day, {pg_month('x.day')} AS month"
        " FROM (SELECT response_local_day(NEW.created_at) AS day) x),"
        f" fine AS ({fine}), months AS ({months}), segments AS ({segments}) {coarse};"
    )


def _pg_remove() -> str:
    """Subtract OLD's counts from each; a cell left empty is deleted (only then: one probe)."""
    out = ["old_day := response_local_day(OLD.created_at);", f"old_month := {pg_month('old_day')};"]
    for table in (FINE, COARSE, MONTHS):
        match = _key_match(table, "OLD", "old_day", "old_month")
        out.append(f"{_subtract(table, 'OLD', 'old_day', 'old_month')} RETURNING n INTO remaining;")
        out.append(f"IF remaining <= 0 THEN DELETE FROM {table} WHERE {match}; END IF;")
    out.append(_segment_upsert("OLD", "old_day", "-", "true") + ";")
    out.append(_segment_prune("OLD", "old_day") + ";")
    return "\n    ".join(out)


def postgresql_statements() -> list[str]:
    """The day function, the trigger functions and the triggers for PostgreSQL."""
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    body = (
        "DECLARE\n"
        "  old_day date;\n"
        "  old_month date;\n"
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
    move = (
        "BEGIN\n"
        "  IF TG_OP = 'DELETE' THEN\n"
        + "".join(f"    {s};\n" for s in account_move("OLD", None))
        + "    RETURN OLD;\n"
        "  END IF;\n" + "".join(f"  {s};\n" for s in account_move("OLD", "NEW")) + "  RETURN NULL;\n"
        "END"
    )
    columns = ", ".join(SEGMENT_COLUMNS.values())
    return [
        PG_DAY_FUNCTION,
        "CREATE OR REPLACE FUNCTION response_rollups_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + body
        + "\n$$",
        "DROP TRIGGER IF EXISTS response_rollups ON responses",
        f"CREATE TRIGGER response_rollups AFTER INSERT OR DELETE OR UPDATE OF {', '.join(WATCHED)}"
        " ON responses FOR EACH ROW EXECUTE FUNCTION response_rollups_apply()",
        "CREATE OR REPLACE FUNCTION response_segments_account() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + move
        + "\n$$",
        "DROP TRIGGER IF EXISTS response_segments_account_update ON accounts",
        f"CREATE TRIGGER response_segments_account_update AFTER UPDATE OF {columns} ON accounts"
        f" FOR EACH ROW WHEN ({_account_changed('OLD', 'NEW', 'IS DISTINCT FROM')})"
        " EXECUTE FUNCTION response_segments_account()",
        "DROP TRIGGER IF EXISTS response_segments_account_delete ON accounts",
        "CREATE TRIGGER response_segments_account_delete BEFORE DELETE ON accounts"
        " FOR EACH ROW EXECUTE FUNCTION response_segments_account()",
    ]


def postgresql_drop_account_triggers() -> list[str]:
    """Undo the accounts' triggers and their function (the downgrade)."""
    return [
        "DROP TRIGGER IF EXISTS response_segments_account_update ON accounts",
        "DROP TRIGGER IF EXISTS response_segments_account_delete ON accounts",
        "DROP FUNCTION IF EXISTS response_segments_account()",
    ]


# Rebuild --------------------------------------------------------------------------------------------


def derived_fill(dialect: str) -> list[str]:
    """Empty the day, month and segment rollups and sum them from ``response_rollups`` (their finer
    grain; the segments joined to the accounts' current attributes)."""
    month = pg_month("f.day") if dialect == "postgresql" else sqlite_month("f.day")
    out = []
    for table, source, group in (
        (COARSE, f"{FINE} f", "f.day, f.survey_id, f.kind"),
        (MONTHS, f"{FINE} f", f"f.kind, {month}, f.account_key"),
        (
            SEGMENTS,
            f"{FINE} f CROSS JOIN {_segment_names()} s LEFT JOIN accounts a ON a.id = f.account_key",
            f"s.segment, f.kind, f.day, {_segment_value('a')}",
        ),
    ):
        sums = ", ".join(f"sum(f.{c})" for c in COUNT_COLUMNS)
        out.append(f"DELETE FROM {table}")
        out.append(  # in key order: a range of days or months is a run of neighbouring pages
            f"INSERT INTO {table} ({', '.join([*KEYS[table], *COUNT_COLUMNS])})"
            f" SELECT {group}, {sums} FROM {source} GROUP BY {group} ORDER BY {group}"
        )
    return out


def rebuild_statements(dialect: str) -> list[str]:
    """Empty the rollups and recompute them from every response (one grouped pass, then the others from
    the fine one). Rows are written in key order (day first, month first), as the triggers add them day
    by day in use: a chart's range is then a run of neighbouring pages, not one row per page all over
    the table (PostgreSQL keeps rows in the order written)."""
    day = "response_local_day(created_at)" if dialect == "postgresql" else sqlite_day("responses.created_at")
    counts = ", ".join(["count(*)", *[f"sum(CASE WHEN score = {k} THEN 1 ELSE 0 END)" for k in SCORES]])
    return [
        f"DELETE FROM {FINE}",
        f"INSERT INTO {FINE} ({', '.join([*KEY, *COUNT_COLUMNS])})"
        f" SELECT {day}, survey_id, coalesce(account_id, 0), kind, {counts}"
        " FROM responses WHERE NOT scanner_suspect GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        *derived_fill(dialect),
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


# Running totals by month ----------------------------------------------------------------------------
#
# ``response_month_totals`` (kind × local month × account, ``n``): each account's answers of the kind in
# every month up to and including ``month``, a row wherever the month rollup has one. A range of whole
# months is then two rows an account (the total at its last month less the one before its first), read
# as two contiguous slices of the table (month first) instead of every month of the range: what the
# split by account ranks on. Kept by triggers on ``response_month_rollups`` (each change of a month's
# ``n`` added to that month's total and every later one), so the responses' triggers, the bulk rebuild
# (which refills the month rollup) and every write path keep it without a change of their own
# (migration trends_0002 holds a frozen copy).

TOTALS = "response_month_totals"
TOTALS_TRIGGERS_SQLITE = (
    "response_month_totals_insert",
    "response_month_totals_update",
    "response_month_totals_delete",
)


def _totals_add(row: str, delta: str, later_only: bool = False) -> str:
    """Add ``delta`` to the totals of ``row``'s account and kind from its month on (``later_only``: after
    it)."""
    since = ">" if later_only else ">="
    return (
        f"UPDATE {TOTALS} SET n = n + {delta} WHERE kind = {row}.kind AND account_key = {row}.account_key"
        f" AND month {since} {row}.month"
    )


def _totals_insert(row: str, source: str) -> str:
    """The total of ``row``'s month as it stood before the month had answers: the latest earlier month's
    (0 when none); ``source``: "VALUES" (SQLite) or "SELECT"."""
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
    """CREATE TRIGGER statements on the month rollup for SQLite (its keys never change: only counts)."""
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
    """The trigger function and trigger on the month rollup for PostgreSQL."""
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
    """Empty the running totals and sum them from the month rollup (both dialects: a window sum)."""
    return [
        f"DELETE FROM {TOTALS}",
        f"INSERT INTO {TOTALS} (kind, month, account_key, n)"
        " SELECT kind, month, account_key, sum(n) OVER (PARTITION BY kind, account_key ORDER BY month)"
        f" FROM {MONTHS} ORDER BY kind, month, account_key",
    ]
