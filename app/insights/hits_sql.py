# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""The SQL that keeps ``topic_hits`` current: one row per (response, topic) where the topic or one of its
subtopics has a mention of the response that is not rejected — the topic ancestors of each response.

Topic analytics counts distinct responses per topic, a parent including its children; a response that
mentions two children of a parent counts once for the parent, and distinct accounts do not add across
days or subtopics. Keeping the (response, ancestor) pairs themselves, with the response's time, survey,
account, kind and score and the mention counts by sentiment label under that ancestor, lets every figure
be one grouped scan of this table by ``created_at``, instead of the period's responses hash-joined to
every mention and the topic tree.

A response's rows are recomputed from its mentions (``refresh``) whenever anything they depend on changes,
by triggers in the writing transaction, whatever the write path:

- ``mentions``: insert, delete, update (tagging, re-tags, rejection, manual tags, merges that move
  mentions, cascades from deleted responses and topics);
- ``responses``: an update of created_at, survey, account, kind, score or ``scanner_suspect`` (a suspect
  answer is counted nowhere: it has no rows);
- ``topics``: an update of ``parent_id`` or ``is_active`` (re-parenting, retiring, merging) recomputes
  every response with a mention in the topic's subtree.

The topic tree is the view ``topic_ancestry`` (d, a): every active topic d with itself and each of its
ancestors a — the same recursive walk as ``app.insights.queries._pairs`` (SQLite allows no WITH inside a
trigger, but a view holding one). PostgreSQL: statement-level triggers on mentions (transition tables: a
re-tag inserting thousands of mentions recomputes each response once), row-level on responses and topics.

A writer of many mentions at once (tagging) may defer the mention triggers for its transaction and
refresh the responses it touched itself, once (``refresh_statements``): on SQLite the triggers are
row-level, so a batch of mentions recomputed each response once per mention (the recursive view
included), the larger part of tagging's write. The deferral is transactional — a row in
``topic_hits_deferred`` (SQLite; the writer deletes it before commit, a rollback removes it) or the
transaction-local setting ``clearloop.defer_topic_hits`` (PostgreSQL, ``set_config(…, true)``) — and
covers inserts and deletes of mentions only, never updates or the other tables' triggers.

Migration speedw_0001 holds a frozen copy of this text (migrations never import the app); a test
compares them (topics_0001 holds the copy before the deferral). Note for later migrations: a
batch_alter_table that recreates ``responses``, ``mentions`` or ``topics`` on SQLite drops the triggers on it.
"""

from __future__ import annotations

COLUMNS = (
    "response_id",
    "topic_id",
    "created_at",
    "survey_id",
    "account_id",
    "kind",
    "score",
    "own_mentions",
    "positive",
    "neutral",
    "negative",
)
RESPONSE_WATCHED = ("created_at", "survey_id", "account_id", "kind", "score", "scanner_suspect")
MENTION_WATCHED = ("response_id", "topic_id", "rejected", "sentiment_label")
TOPIC_WATCHED = ("parent_id", "is_active")
DEFER_TABLE = "topic_hits_deferred"  # SQLite: while it has a row, mention inserts/deletes refresh nothing
DEFER_SETTING = "clearloop.defer_topic_hits"  # PostgreSQL: 'on' for the transaction, the same
SQLITE_LIVE = f"NOT EXISTS (SELECT 1 FROM {DEFER_TABLE})"
TRIGGERS_SQLITE = (
    "topic_hits_mention_insert",
    "topic_hits_mention_delete",
    "topic_hits_mention_update",
    "topic_hits_response_update",
    "topic_hits_topic_update",
)

VIEW = (
    "CREATE VIEW topic_ancestry (d, a) AS"
    " WITH RECURSIVE tree (d, a) AS ("
    " SELECT id, id FROM topics WHERE is_active"
    " UNION SELECT tree.d, p.parent_id FROM tree JOIN topics p ON p.id = tree.a"
    " WHERE p.parent_id IS NOT NULL)"
    " SELECT d, a FROM tree"
)


def _label(name: str) -> str:
    # a mention without a label counts as neutral; any other label counts nowhere (as topic_counts)
    return f"sum(CASE WHEN coalesce(m.sentiment_label, 'neutral') = '{name}' THEN 1 ELSE 0 END)"


def _select(where: str) -> str:
    """The rows of the responses ``where`` selects (over ``r``), from their mentions."""
    return (
        "SELECT r.id, p.a, r.created_at, r.survey_id, r.account_id, r.kind, r.score,"
        " sum(CASE WHEN m.topic_id = p.a THEN 1 ELSE 0 END),"
        f" {_label('positive')}, {_label('neutral')}, {_label('negative')}"
        " FROM responses r JOIN mentions m ON m.response_id = r.id"
        " JOIN topic_ancestry p ON p.d = m.topic_id"
        f" WHERE {where} AND NOT m.rejected AND NOT r.scanner_suspect"
        " GROUP BY r.id, p.a, r.created_at, r.survey_id, r.account_id, r.kind, r.score"
    )


def refresh_statements(where: str) -> list[str]:
    """Delete and recompute the rows of the responses ``where`` selects (a condition on ``r.id``)."""
    return [
        f"DELETE FROM topic_hits WHERE response_id IN (SELECT r.id FROM responses r WHERE {where})",
        f"INSERT INTO topic_hits ({', '.join(COLUMNS)}) {_select(where)}"
        " ON CONFLICT (response_id, topic_id) DO NOTHING",
    ]


def changed_statement(where: str) -> str:
    """The responses ``where`` selects whose rows differ from their recomputation, each with whether it has
    rows now: (response_id, stored). A bulk writer refreshes only those (a re-tag whose results are the
    same, as a re-requested analysis or a new analyser version that tags most answers as before, changes
    no row), so the upkeep triggers on ``topic_hits`` (PostgreSQL: the day, account and pattern tables'
    statement triggers; SQLite: the day tables' row triggers) work on the difference. The comparison is
    two hashed set differences (EXCEPT, NULLs equal), on both databases."""
    columns = ", ".join(COLUMNS)
    stored = (
        f"SELECT {columns} FROM topic_hits WHERE response_id IN (SELECT r.id FROM responses r WHERE {where})"
    )
    return (
        f"WITH n ({columns}) AS ({_select(where)}), h AS ({stored})"
        " SELECT response_id, max(stored) FROM ("
        f"SELECT response_id, 0 AS stored FROM (SELECT * FROM n EXCEPT SELECT * FROM h) AS added"
        f" UNION ALL SELECT response_id, 1 FROM (SELECT * FROM h EXCEPT SELECT * FROM n) AS removed"
        ") AS d GROUP BY response_id"
    )


def any_rows_statement(where: str) -> str:
    """Whether any response ``where`` selects has rows: a bulk writer's refresh skips its DELETE when none
    has (a first tagging). On PostgreSQL a DELETE of no rows still runs every statement trigger on
    ``topic_hits`` (the day, account and pattern tables' upkeep) over empty transition tables, and plans
    their cached statements for empty ones."""
    return (
        "SELECT EXISTS (SELECT 1 FROM topic_hits WHERE response_id IN"
        f" (SELECT r.id FROM responses r WHERE {where}))"
    )


def refresh(where: str) -> str:
    """``refresh_statements`` as one trigger body text."""
    return " ".join(f"{statement};" for statement in refresh_statements(where))


def _orphans(where: str) -> str:
    """Rows of responses that no longer exist (a mention's response deleted in the same statement)."""
    return f"DELETE FROM topic_hits WHERE {where};"


def _in_subtree(topic: str) -> str:
    """``r.id`` of the responses with a mention of ``topic`` or of a topic below it."""
    return (
        "r.id IN (SELECT m2.response_id FROM mentions m2 WHERE m2.topic_id = "
        f"{topic} OR m2.topic_id IN (SELECT d FROM topic_ancestry WHERE a = {topic}))"
    )


def sqlite_triggers() -> list[str]:
    """The view and the CREATE TRIGGER statements for SQLite (row-level)."""
    changed_response = " OR ".join(f"old.{c} IS NOT new.{c}" for c in RESPONSE_WATCHED)
    changed_mention = " OR ".join(f"old.{c} IS NOT new.{c}" for c in MENTION_WATCHED)
    changed_topic = " OR ".join(f"old.{c} IS NOT new.{c}" for c in TOPIC_WATCHED)
    return [
        VIEW,
        "CREATE TRIGGER topic_hits_mention_insert AFTER INSERT ON mentions"
        f" WHEN {SQLITE_LIVE} BEGIN {refresh('r.id = new.response_id')} END",
        "CREATE TRIGGER topic_hits_mention_delete AFTER DELETE ON mentions"
        f" WHEN {SQLITE_LIVE} BEGIN {_orphans('response_id = old.response_id')}"
        f" {refresh('r.id = old.response_id')} END",
        f"CREATE TRIGGER topic_hits_mention_update AFTER UPDATE OF {', '.join(MENTION_WATCHED)} ON mentions"
        f" WHEN {changed_mention} BEGIN {_orphans('response_id = old.response_id')}"
        f" {refresh('r.id = old.response_id')} {refresh('r.id = new.response_id')} END",
        f"CREATE TRIGGER topic_hits_response_update AFTER UPDATE OF {', '.join(RESPONSE_WATCHED)}"
        f" ON responses WHEN {changed_response} BEGIN {refresh('r.id = new.id')} END",
        f"CREATE TRIGGER topic_hits_topic_update AFTER UPDATE OF {', '.join(TOPIC_WATCHED)} ON topics"
        f" WHEN {changed_topic} BEGIN {refresh(_in_subtree('new.id'))} END",
    ]


def postgresql_statements() -> list[str]:
    """The view, the trigger functions and the triggers for PostgreSQL."""
    changed_response = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in RESPONSE_WATCHED)
    changed_topic = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in TOPIC_WATCHED)
    ids = "r.id = ANY(ids)"
    mentions_body = (
        "DECLARE ids integer[];\n"
        "BEGIN\n"
        f"  IF TG_OP <> 'UPDATE' AND current_setting('{DEFER_SETTING}', true) = 'on' THEN\n"
        "    RETURN NULL;  -- deferred: the writer refreshes the responses it touched before commit\n"
        "  END IF;\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        "    SELECT array_agg(DISTINCT response_id) INTO ids FROM new_rows;\n"
        "  ELSIF TG_OP = 'DELETE' THEN\n"
        "    SELECT array_agg(DISTINCT response_id) INTO ids FROM old_rows;\n"
        "  ELSE\n"
        "    SELECT array_agg(DISTINCT response_id) INTO ids FROM (\n"
        "      SELECT o.response_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE "
        + " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in MENTION_WATCHED)
        + "\n      UNION SELECT n.response_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE "
        + " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in MENTION_WATCHED)
        + ") AS changed;\n"
        "  END IF;\n"
        "  IF ids IS NULL THEN RETURN NULL; END IF;\n"
        f"  {_orphans('response_id = ANY(ids)')}\n"
        f"  {refresh(ids)}\n"
        "  RETURN NULL;\n"
        "END"
    )
    response_body = f"BEGIN\n  {refresh('r.id = NEW.id')}\n  RETURN NULL;\nEND"
    topic_body = f"BEGIN\n  {refresh(_in_subtree('NEW.id'))}\n  RETURN NULL;\nEND"
    out = [
        VIEW,
        "CREATE OR REPLACE FUNCTION topic_hits_mentions() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + mentions_body
        + "\n$$",
        "CREATE OR REPLACE FUNCTION topic_hits_response() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + response_body
        + "\n$$",
        "CREATE OR REPLACE FUNCTION topic_hits_topic() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        + topic_body
        + "\n$$",
    ]
    for event, table in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows")):
        out.append(
            f"CREATE TRIGGER topic_hits_mentions_{event.lower()} AFTER {event} ON mentions"
            f" REFERENCING {table} FOR EACH STATEMENT EXECUTE FUNCTION topic_hits_mentions()"
        )
    out += [
        "CREATE TRIGGER topic_hits_mentions_update AFTER UPDATE ON mentions"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION topic_hits_mentions()",
        f"CREATE TRIGGER topic_hits_response AFTER UPDATE OF {', '.join(RESPONSE_WATCHED)} ON responses"
        f" FOR EACH ROW WHEN ({changed_response}) EXECUTE FUNCTION topic_hits_response()",
        f"CREATE TRIGGER topic_hits_topic AFTER UPDATE OF {', '.join(TOPIC_WATCHED)} ON topics"
        f" FOR EACH ROW WHEN ({changed_topic}) EXECUTE FUNCTION topic_hits_topic()",
    ]
    return out


def drop_statements(dialect: str) -> list[str]:
    """Undo ``postgresql_statements`` / ``sqlite_triggers``."""
    if dialect == "postgresql":
        return [
            *[
                f"DROP TRIGGER IF EXISTS topic_hits_mentions_{e} ON mentions"
                for e in ("insert", "delete", "update")
            ],
            "DROP TRIGGER IF EXISTS topic_hits_response ON responses",
            "DROP TRIGGER IF EXISTS topic_hits_topic ON topics",
            "DROP FUNCTION IF EXISTS topic_hits_mentions()",
            "DROP FUNCTION IF EXISTS topic_hits_response()",
            "DROP FUNCTION IF EXISTS topic_hits_topic()",
            "DROP VIEW IF EXISTS topic_ancestry",
        ]
    return [*[f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS_SQLITE], "DROP VIEW IF EXISTS topic_ancestry"]


def defer_statement(dialect: str) -> str:
    """Open the deferral for the current transaction."""
    if dialect == "postgresql":
        return f"SELECT set_config('{DEFER_SETTING}', 'on', true)"
    return f"INSERT INTO {DEFER_TABLE} (deferred) VALUES (1)"


def undefer_statement(dialect: str) -> str:
    """Close it (before the writer's own refresh, so nothing else in the transaction is deferred)."""
    if dialect == "postgresql":
        return f"SELECT set_config('{DEFER_SETTING}', 'off', true)"
    return f"DELETE FROM {DEFER_TABLE}"


def rebuild_statements() -> list[str]:
    """Empty the table and recompute it from every response (one grouped pass, in time order)."""
    return [
        "DELETE FROM topic_hits",
        f"INSERT INTO topic_hits ({', '.join(COLUMNS)}) {_select('1 = 1')} ORDER BY r.created_at",
    ]
