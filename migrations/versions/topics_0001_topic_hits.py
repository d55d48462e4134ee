# ruff: noqa: S608  (every statement here is built from constants of this module, never from input)
"""Topic hits: the (response, topic ancestor) pairs topic analytics counts, kept by triggers; backfilled

``topic_hits`` has one row per (response, topic) where the topic or one of its subtopics has a mention of
the response that is not rejected, with the response's time, survey, account, kind and score and the
mention counts by sentiment label under that topic. Triggers on mentions (insert, delete, update), on
responses (time, survey, account, kind, score, scanner_suspect) and on topics (parent, active) recompute
the rows of each response they touch; the view ``topic_ancestry`` walks the tree. Existing data is
counted in one grouped pass. Also an index on responses that covers a period's totals (responses,
analysed comments, NPS bands), built concurrently on PostgreSQL.

The SQL is a frozen copy of app/insights/hits_sql.py at this revision (a test compares them).
Note for later migrations: a batch_alter_table that recreates ``responses``, ``mentions`` or ``topics``
on SQLite drops the triggers on it.

Revision ID: topics_0001
Revises: rollup_0001
Create Date: 2026-12-06 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "topics_0001"
down_revision = "rollup_0001"
branch_labels = None
depends_on = None

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


def refresh(where: str) -> str:
    """Delete and recompute the rows of the responses ``where`` selects (a condition on ``r.id``)."""
    return (
        f"DELETE FROM topic_hits WHERE response_id IN (SELECT r.id FROM responses r WHERE {where});"
        f" INSERT INTO topic_hits ({', '.join(COLUMNS)}) {_select(where)}"
        " ON CONFLICT (response_id, topic_id) DO NOTHING;"
    )


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
        f" BEGIN {refresh('r.id = new.response_id')} END",
        "CREATE TRIGGER topic_hits_mention_delete AFTER DELETE ON mentions"
        f" BEGIN {_orphans('response_id = old.response_id')} {refresh('r.id = old.response_id')} END",
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


def rebuild_statements() -> list[str]:
    """Empty the table and recompute it from every response (one grouped pass, in time order)."""
    return [
        "DELETE FROM topic_hits",
        f"INSERT INTO topic_hits ({', '.join(COLUMNS)}) {_select('1 = 1')} ORDER BY r.created_at",
    ]


# topic analytics' totals of a period (responses, analysed comments, NPS bands) from the index alone
TOTALS_INDEX = "ix_responses_created_counted"
TOTALS = ["created_at", "survey_id", "kind", "score", "analysis_state", "scanner_suspect"]


def upgrade():
    op.create_table(
        "topic_hits",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("own_mentions", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("neutral", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_topic_hits_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_topic_hits_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("response_id", "topic_id", name=op.f("pk_topic_hits")),
    )
    dialect = op.get_bind().dialect.name
    for statement in postgresql_statements() if dialect == "postgresql" else sqlite_triggers():
        op.execute(statement)
    for statement in rebuild_statements():
        op.execute(statement)
    op.create_index(
        "ix_topic_hits_created_topic", "topic_hits", ["created_at", "topic_id", "account_id", "negative"]
    )
    if dialect == "postgresql":
        op.execute("ANALYZE topic_hits")
        with op.get_context().autocommit_block():  # a big table: without blocking its writes
            op.execute("SET lock_timeout = '5s'")
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {TOTALS_INDEX} ON responses ({', '.join(TOTALS)})"
            )
            op.execute("RESET lock_timeout")
    else:
        op.create_index(TOTALS_INDEX, "responses", TOTALS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {TOTALS_INDEX}")
    else:
        op.drop_index(TOTALS_INDEX, table_name="responses")
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_topic_hits_created_topic", table_name="topic_hits")
    op.drop_table("topic_hits")
