# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""PostgreSQL: the SQL that keeps the driver fit's per-day table of topic patterns current, and rebuilds it.

The driver fit (``analytics._fit_drivers``) regresses each NPS answer, coded −100/0/100, on 0/1
indicators of the topics it mentions itself. Identical rows have identical fitted values, residuals and
leverages, so the fit, its HC3 robust errors included, needs only how many answers share each (set of
own topics, band): the sufficient statistics of the whole fit. Grouping a quarter's ~170k NPS hits by
response for them cost ~1.5–2 s at 1M responses; this table holds the grouping per local day instead:

- ``topic_pattern_days``: per local day × survey × pattern (the sorted ids, comma-joined, of the topics an
  NPS answer with a score mentions itself, in ``topic_hits`` rows with ``own_mentions > 0``), how many of
  those answers are promoters, passives and detractors. Answers with no topic of their own are not here:
  the fit takes them from the period's totals, as before.
- ``topic_pattern_answers``: per such answer (response id), the cell it is counted in.

A response's pattern is a function of all its hit rows, not of one row, so the tables are kept by
statement-level triggers on ``topic_hits`` that, for the responses a statement touched, subtract the
cell each is stored in and add the cell its hit rows give now (cells left empty are deleted), then store
that; syncing to the current rows, not applying the statement's own rows, is right whatever order the
triggers of nested and cascaded statements fire in. The local day is ``response_local_day`` (rebuilt on
a change of workspace zone with the other per-day tables).
SQLite keeps no such table: there the fit groups ``topic_hits`` as before.

Migration topics_0004 holds a frozen copy of this text as it was (``before=True``), tagw_0001 a frozen copy of
the function as it is; tests compare them.
"""

from __future__ import annotations

PATTERNS, ANSWERS = "topic_pattern_days", "topic_pattern_answers"
KEYS = ("day", "survey_id", "topics")
COUNTS = ("promoters", "passives", "detractors")
EMPTY = " AND ".join(f"{c} <= 0" for c in COUNTS)  # a cell no answer is in (a partial index finds them)
# adding signed answers (``c``, each with its ``sign``) to the cells (``t``): the sums, "any of them not
# zero", and the upsert's SET
_SUMS = ", ".join(f"sum(c.{c} * c.sign)" for c in COUNTS)
_NONZERO = " OR ".join(f"sum(c.{c} * c.sign) <> 0" for c in COUNTS)
_ADD = ", ".join(f"{c} = t.{c} + excluded.{c}" for c in COUNTS)
TRIGGERS = (
    ("topic_pattern_hits_insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("topic_pattern_hits_delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ("topic_pattern_hits_update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
)
# which responses a statement touched, per kind of statement
TOUCHED = {
    "INSERT": "SELECT response_id FROM new_rows",
    "DELETE": "SELECT response_id FROM old_rows",
    "UPDATE": "SELECT response_id FROM old_rows UNION SELECT response_id FROM new_rows",
}


def patterns_of(rows: str, where: str = "") -> str:
    """SELECT (response, day, survey, pattern, promoter, passive, detractor flag) per answer of the hit
    rows ``rows`` (a FROM item aliased ``h``; ``where``: a further condition on them, ending in AND): its
    NPS rows with a score and a mention of the topic itself, grouped by response (and its time, survey
    and score, which all its rows share)."""
    return (
        "SELECT h.response_id, response_local_day(h.created_at) AS day, h.survey_id,"
        " string_agg(h.topic_id::text, ',' ORDER BY h.topic_id) AS topics,"
        " CASE WHEN h.score >= 9 THEN 1 ELSE 0 END AS promoters,"
        " CASE WHEN h.score BETWEEN 7 AND 8 THEN 1 ELSE 0 END AS passives,"
        " CASE WHEN h.score <= 6 THEN 1 ELSE 0 END AS detractors"
        f" FROM {rows}"
        f" WHERE {where}h.kind = 'nps' AND h.score IS NOT NULL AND h.own_mentions > 0"
        " GROUP BY h.response_id, h.created_at, h.survey_id, h.score"
    )


def _apply(touched: str) -> list[str]:
    """The statements that bring the ``touched`` responses' answers to their patterns in ``topic_hits``
    as it is now: each answer's stored pattern (``topic_pattern_answers``) is subtracted and its current
    one added, then stored. Comparing with what is stored, not with the statement's old rows, keeps the
    tables right whatever order the triggers of nested and cascaded statements fire in (a cascade's
    statement trigger fires after the statements its rows' triggers ran).

    One statement computes the current patterns once (``now``) and reads the stored ones once (``old``,
    the statement's snapshot, before its own writes): answers without a pattern now are deleted, the others
    upserted (they are disjoint), and the cells get the difference; then the emptied cells go. topics_0004
    ran four statements computing ``now`` twice (migration tagw_0001, issue 18 §3)."""
    keys = ", ".join(KEYS)
    mine = "response_id IN (SELECT response_id FROM touched)"
    now = patterns_of("topic_hits h", f"h.{mine} AND ")
    every = ", ".join((*KEYS, *COUNTS))
    stored = ", ".join(f"a.{c}" for c in (*KEYS, *COUNTS))
    fresh = ", ".join(f"excluded.{c}" for c in (*KEYS, *COUNTS))
    return [
        f"WITH touched AS MATERIALIZED ({touched}),"
        f" now AS MATERIALIZED ({now}),"
        f" old AS MATERIALIZED (SELECT response_id, {every} FROM {ANSWERS} WHERE {mine}),"
        f" gone AS (DELETE FROM {ANSWERS} a WHERE a.response_id IN (SELECT response_id FROM old)"
        " AND NOT EXISTS (SELECT 1 FROM now WHERE now.response_id = a.response_id)),"
        f" kept AS (INSERT INTO {ANSWERS} AS a (response_id, {every}) SELECT * FROM now"
        f" ON CONFLICT (response_id) DO UPDATE SET ({every}) = ({fresh})"
        f" WHERE ({stored}) IS DISTINCT FROM ({fresh})),"
        f" c AS (SELECT {every}, 1 AS sign FROM now UNION ALL SELECT {every}, -1 FROM old)"
        f" INSERT INTO {PATTERNS} AS t ({every})"
        f" SELECT c.day, c.survey_id, c.topics, {_SUMS} FROM c GROUP BY 1, 2, 3 HAVING {_NONZERO}"
        f" ON CONFLICT ({keys}) DO UPDATE SET {_ADD};",
        f"DELETE FROM {PATTERNS} WHERE {EMPTY};",
    ]


def _apply_before(touched: str) -> list[str]:
    """topics_0004's statements (kept for its frozen copy and tagw_0001's downgrade): four statements that
    computed each touched answer's current pattern twice."""
    mine = f"response_id IN ({touched})"
    now = patterns_of("topic_hits h", f"h.{mine} AND ")
    columns = ", ".join(COUNTS)
    keys = ", ".join(KEYS)
    change = (
        f"(SELECT day, survey_id, topics, {columns}, 1 AS sign FROM ({now}) n"
        f" UNION ALL SELECT day, survey_id, topics, {columns}, -1 FROM {ANSWERS} WHERE {mine}) c"
    )
    return [
        f"INSERT INTO {PATTERNS} AS t ({keys}, {columns})"
        f" SELECT c.day, c.survey_id, c.topics, {_SUMS} FROM {change} GROUP BY 1, 2, 3 HAVING {_NONZERO}"
        f" ON CONFLICT ({keys}) DO UPDATE SET {_ADD};",
        f"DELETE FROM {PATTERNS} WHERE {EMPTY};",
        f"DELETE FROM {ANSWERS} WHERE {mine};",
        f"INSERT INTO {ANSWERS} (response_id, {keys}, {columns}) {now};",
    ]


def function_statement(before: bool = False) -> str:
    """The CREATE OR REPLACE FUNCTION statement of topic_pattern_hits() (``before``: topics_0004's)."""
    apply = _apply_before if before else _apply
    branches = "".join(
        f"  IF TG_OP = '{op}' THEN\n" + "".join(f"    {s}\n" for s in apply(touched)) + "  END IF;\n"
        for op, touched in TOUCHED.items()
    )
    return (
        "CREATE OR REPLACE FUNCTION topic_pattern_hits() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        + branches
        + "  RETURN NULL;\nEND\n$$"
    )


# which transition tables a statement has, per kind of statement
_TABLES = {"INSERT": ("new_rows",), "DELETE": ("old_rows",), "UPDATE": ("old_rows", "new_rows")}


def executed_function_statement() -> str:
    """topic_pattern_hits() as migration tagpg_0001 makes it: ``function_statement()``'s statements, the
    one reading the transition tables run through EXECUTE (planned for each call's row counts:
    ``days_sql.executed``), and nothing done for a statement none of whose rows is a counted answer's (an
    NPS row with a score and a mention of its own topic): such rows change no pattern, so skipping them is
    right in any trigger order. Same results."""
    from app.insights.days_sql import executed

    counted = "kind = 'nps' AND score IS NOT NULL AND own_mentions > 0"
    branches = ""
    for op, touched in TOUCHED.items():
        any_counted = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE {counted})" for t in _TABLES[op])
        upsert, purge = _apply(touched)
        branches += (
            f"  IF TG_OP = '{op}' THEN\n"
            f"    IF {any_counted} THEN\n"
            f"      {executed(upsert)}\n"
            f"      {purge}\n"
            "    END IF;\n"
            "  END IF;\n"
        )
    return (
        "CREATE OR REPLACE FUNCTION topic_pattern_hits() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        + branches
        + "  RETURN NULL;\nEND\n$$"
    )


def create_statements(before: bool = False) -> list[str]:
    """The two tables, the trigger function and its three triggers (``before``: as topics_0004 made them)."""
    counts = ", ".join(f"{c} integer NOT NULL" for c in COUNTS)
    return [
        f"CREATE TABLE {PATTERNS} (day date NOT NULL, survey_id integer NOT NULL, topics text NOT NULL,"
        f" {counts}, CONSTRAINT pk_{PATTERNS} PRIMARY KEY ({', '.join(KEYS)}))",
        f"CREATE INDEX ix_{PATTERNS}_empty ON {PATTERNS} (day) WHERE {EMPTY}",
        f"CREATE TABLE {ANSWERS} (response_id integer NOT NULL, day date NOT NULL,"
        f" survey_id integer NOT NULL, topics text NOT NULL, {counts},"
        f" CONSTRAINT pk_{ANSWERS} PRIMARY KEY (response_id))",
        function_statement(before),
        *[
            f"CREATE TRIGGER {name} AFTER {op} ON topic_hits {refs}"
            " FOR EACH STATEMENT EXECUTE FUNCTION topic_pattern_hits()"
            for name, op, refs in TRIGGERS
        ],
    ]


def drop_statements() -> list[str]:
    """Undo ``create_statements``."""
    return [
        *[f"DROP TRIGGER IF EXISTS {name} ON topic_hits" for name, _, _ in TRIGGERS],
        "DROP FUNCTION IF EXISTS topic_pattern_hits()",
        f"DROP TABLE IF EXISTS {ANSWERS}",
        f"DROP TABLE IF EXISTS {PATTERNS}",
    ]


def recomputed(table: str) -> str:
    """SELECT every row of ``table`` from ``topic_hits`` (columns in the table's order)."""
    answers = patterns_of("topic_hits h")
    if table == ANSWERS:
        return answers
    sums = ", ".join(f"sum(p.{c})" for c in COUNTS)
    return f"SELECT p.day, p.survey_id, p.topics, {sums} FROM ({answers}) p GROUP BY 1, 2, 3"


def rebuild_statements() -> list[str]:
    """Empty both tables and recompute them from ``topic_hits`` (the answers first, the days from them)."""
    columns = ", ".join((*KEYS, *COUNTS))
    sums = ", ".join(f"sum({c})" for c in COUNTS)
    return [
        f"DELETE FROM {ANSWERS}",
        f"DELETE FROM {PATTERNS}",
        f"INSERT INTO {ANSWERS} (response_id, {columns}) {recomputed(ANSWERS)}",
        f"INSERT INTO {PATTERNS} ({columns})"
        f" SELECT day, survey_id, topics, {sums} FROM {ANSWERS} GROUP BY 1, 2, 3",
    ]
