# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""PostgreSQL: the SQL that keeps the two account tables of topic analytics current, and rebuilds them.

Distinct accounts per topic over a window (and the negative ones, whose ARR is the revenue at stake) are
not additive over days, so ``topic_days`` cannot hold them; grouping a quarter's ``topic_hits`` by
(topic, account) reads ~1M index entries at 1M responses. Two tables answer it instead:

- ``topic_account_days``: per topic × local day × survey × account, how many of its hits (responses under
  the topic, subtopics in) and how many with a negative mention — the exact counts the bits follow, and
  one topic's accounts over a window (the topic page's list) by its primary key.
- ``topic_account_bits``: per local day × topic × survey × chunk of 4,096 account ids, a ``bit(4096)``
  with bit ``account_id % 4096`` set when that account has a hit that day (``accounts``) and a negative
  one (``negative``); survey 0 holds every survey's (the unfiltered page reads a third of the rows). A
  window's distinct accounts are the bits set in the ``bit_or`` of its days — one 512-byte row per
  topic, day, survey and chunk instead of a row per hit.

Kept by statement-level triggers on ``topic_hits`` (with transition tables, as ``topic_days`` is): the
grouped change is added to ``topic_account_days``, emptied cells deleted, and the bits of every touched
(day, topic, survey, chunk) recomputed from its rows there. Every event that changes a response's hits
(see ``hits_sql``) reaches them. The local day is ``response_local_day`` (the rollups' stored offsets,
rebuilt on a change of workspace zone with the other per-day tables). SQLite has neither bit strings nor
their aggregates: there topic analytics groups ``topic_hits`` as before (the embedded default's volumes).

Migration topics_0003 holds a frozen copy of this text; a test compares them.
"""

from __future__ import annotations

ACCOUNT_DAYS, ACCOUNT_BITS = "topic_account_days", "topic_account_bits"
CHUNK = 4096  # account ids per bit string
ZERO = f"B'0'::bit({CHUNK})"
DAY = "response_local_day(s.created_at)"
TRIGGERS = (
    ("topic_account_hits_insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("topic_account_hits_delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ("topic_account_hits_update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
)
_COLUMNS = "topic_id, created_at, survey_id, account_id, negative"
SOURCES = {
    "INSERT": f"SELECT {_COLUMNS}, 1 AS sign FROM new_rows",
    "DELETE": f"SELECT {_COLUMNS}, -1 AS sign FROM old_rows",
    "UPDATE": f"SELECT {_COLUMNS}, -1 AS sign FROM old_rows UNION ALL SELECT {_COLUMNS}, 1 FROM new_rows",
}


def mask(account: str) -> str:
    """The bit string with only ``account``'s bit set (bit 0 is the leftmost)."""
    return f"set_bit({ZERO}, mod({account}, {CHUNK}), 1)"


def _bits_of(rows: str, every_survey: bool = False) -> str:
    """SELECT (day, topic, survey, chunk, accounts, negative) of ``topic_account_days`` rows ``d`` in
    ``rows`` (a FROM clause), grouped; ``every_survey``: one row for all surveys, survey 0."""
    survey = "0" if every_survey else "d.survey_id"
    keys = f"d.day, d.topic_id, {survey}, d.account_id / {CHUNK}"
    group = keys.replace(", 0,", ",")
    return (
        f"SELECT {keys}, bit_or({mask('d.account_id')}),"
        f" coalesce(bit_or({mask('d.account_id')}) FILTER (WHERE d.negative > 0), {ZERO})"
        f" FROM {rows} GROUP BY {group}"
    )


def _apply(source: str) -> list[str]:
    """The statements that apply the hits in ``source`` (a SELECT of hit columns and ``sign``)."""
    keyed = f"({source}) s WHERE s.account_id IS NOT NULL"
    touched_chunks = (
        f"(SELECT DISTINCT s.topic_id, {DAY} AS day, s.survey_id, s.account_id / {CHUNK} AS chunk"
        f" FROM {keyed}) k"
    )
    in_chunk = (
        "d.topic_id = k.topic_id AND d.day = k.day AND d.survey_id = k.survey_id"
        f" AND d.account_id >= k.chunk * {CHUNK} AND d.account_id < (k.chunk + 1) * {CHUNK}"
    )
    return [
        f"INSERT INTO {ACCOUNT_DAYS} AS t (topic_id, day, survey_id, account_id, hits, negative)"
        f" SELECT s.topic_id, {DAY}, s.survey_id, s.account_id, sum(s.sign),"
        " sum(CASE WHEN s.negative > 0 THEN s.sign ELSE 0 END)"
        f" FROM {keyed} GROUP BY 1, 2, 3, 4"
        " ON CONFLICT (topic_id, day, survey_id, account_id)"
        " DO UPDATE SET hits = t.hits + excluded.hits, negative = t.negative + excluded.negative;",
        f"DELETE FROM {ACCOUNT_DAYS} t USING"
        f" (SELECT DISTINCT s.topic_id, {DAY} AS day, s.survey_id, s.account_id FROM {keyed}) k"
        " WHERE t.topic_id = k.topic_id AND t.day = k.day AND t.survey_id = k.survey_id"
        " AND t.account_id = k.account_id AND t.hits <= 0;",
        *_upsert_bits(touched_chunks, in_chunk),
        *_upsert_bits(
            touched_chunks.replace("s.survey_id", "0 AS survey_id"),
            in_chunk.replace(" AND d.survey_id = k.survey_id", ""),
            every_survey=True,
        ),
    ]


def _upsert_bits(touched: str, in_chunk: str, every_survey: bool = False) -> list[str]:
    """Recompute the bits of the ``touched`` (day, topic, survey, chunk) keys from their rows in
    ``topic_account_days`` (``in_chunk``), and delete those left without any."""
    return [
        f"INSERT INTO {ACCOUNT_BITS} AS b (day, topic_id, survey_id, chunk, accounts, negative)"
        f" {_bits_of(f'{touched} JOIN {ACCOUNT_DAYS} d ON {in_chunk}', every_survey)}"
        " ON CONFLICT (day, topic_id, survey_id, chunk)"
        " DO UPDATE SET accounts = excluded.accounts, negative = excluded.negative;",
        f"DELETE FROM {ACCOUNT_BITS} b USING {touched}"
        " WHERE b.day = k.day AND b.topic_id = k.topic_id AND b.survey_id = k.survey_id AND b.chunk = k.chunk"
        f" AND NOT EXISTS (SELECT 1 FROM {ACCOUNT_DAYS} d WHERE {in_chunk});",
    ]


def executed_function_statement() -> str:
    """topic_account_hits() as migration tagpg_0001 makes it: ``create_statements()``' function with every
    statement run through EXECUTE (planned for each call's transition tables: ``days_sql.executed``), and
    nothing done for a statement none of whose rows has an account (they count nowhere here). Same
    results."""
    from app.insights.days_sql import executed

    branches = ""
    for op, source in SOURCES.items():
        tables = (
            ("new_rows",) if op == "INSERT" else ("old_rows",) if op == "DELETE" else ("old_rows", "new_rows")
        )
        keyed = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE account_id IS NOT NULL)" for t in tables)
        branches += (
            f"  IF TG_OP = '{op}' THEN\n    IF {keyed} THEN\n"
            + "".join(f"      {executed(s)}\n" for s in _apply(source))
            + "    END IF;\n  END IF;\n"
        )
    return (
        "CREATE OR REPLACE FUNCTION topic_account_hits() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        + branches
        + "  RETURN NULL;\nEND\n$$"
    )


def create_statements() -> list[str]:
    """The two tables, the trigger function and its three triggers."""
    branches = "".join(
        f"  IF TG_OP = '{op}' THEN\n" + "".join(f"    {s}\n" for s in _apply(source)) + "  END IF;\n"
        for op, source in SOURCES.items()
    )
    return [
        f"CREATE TABLE {ACCOUNT_DAYS} (topic_id integer NOT NULL, day date NOT NULL,"
        " survey_id integer NOT NULL, account_id integer NOT NULL, hits integer NOT NULL,"
        " negative integer NOT NULL,"
        f" CONSTRAINT pk_{ACCOUNT_DAYS} PRIMARY KEY (topic_id, day, survey_id, account_id))",
        f"CREATE TABLE {ACCOUNT_BITS} (day date NOT NULL, topic_id integer NOT NULL,"
        f" survey_id integer NOT NULL, chunk integer NOT NULL, accounts bit({CHUNK}) NOT NULL,"
        f" negative bit({CHUNK}) NOT NULL,"
        f" CONSTRAINT pk_{ACCOUNT_BITS} PRIMARY KEY (day, topic_id, survey_id, chunk))",
        "CREATE OR REPLACE FUNCTION topic_account_hits() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        + branches
        + "  RETURN NULL;\nEND\n$$",
        *[
            f"CREATE TRIGGER {name} AFTER {op} ON topic_hits {refs}"
            " FOR EACH STATEMENT EXECUTE FUNCTION topic_account_hits()"
            for name, op, refs in TRIGGERS
        ],
    ]


def drop_statements() -> list[str]:
    """Undo ``create_statements``."""
    return [
        *[f"DROP TRIGGER IF EXISTS {name} ON topic_hits" for name, _, _ in TRIGGERS],
        "DROP FUNCTION IF EXISTS topic_account_hits()",
        f"DROP TABLE IF EXISTS {ACCOUNT_BITS}",
        f"DROP TABLE IF EXISTS {ACCOUNT_DAYS}",
    ]


def recomputed(table: str) -> str:
    """SELECT every row of ``table`` from ``topic_hits`` (key columns first, as the table holds them)."""
    days = (
        "SELECT x.topic_id, response_local_day(x.created_at), x.survey_id, x.account_id, count(*),"
        " count(*) FILTER (WHERE x.negative > 0) FROM topic_hits x WHERE x.account_id IS NOT NULL"
        " GROUP BY 1, 2, 3, 4"
    )
    if table == ACCOUNT_DAYS:
        return days
    rows = f"({days}) AS d (topic_id, day, survey_id, account_id, hits, negative)"
    return f"{_bits_of(rows)} UNION ALL {_bits_of(rows, every_survey=True)}"


def rebuild_statements() -> list[str]:
    """Empty both tables and recompute them from ``topic_hits`` (days first, bits from them)."""
    return [
        f"DELETE FROM {ACCOUNT_BITS}",
        f"DELETE FROM {ACCOUNT_DAYS}",
        f"INSERT INTO {ACCOUNT_DAYS} (topic_id, day, survey_id, account_id, hits, negative)"
        f" {recomputed(ACCOUNT_DAYS)}",
        *[
            f"INSERT INTO {ACCOUNT_BITS} (day, topic_id, survey_id, chunk, accounts, negative)"
            f" {_bits_of(f'{ACCOUNT_DAYS} d', every)}"
            for every in (False, True)
        ],
    ]
