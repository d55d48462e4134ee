"""Mentions: one index on (response_id, topic_id, rejected) in place of the one on response_id alone.

The explorer's topic filter and the insights' joins probe a response's mentions for some topics that are
not rejected: with every column of the probe in the index it is answered from the index alone (the old
index on response_id sent each probe to the table to read topic_id and rejected: the topic + date page's
cost at a million responses). The new index leads with response_id, so every lookup the old one served
it serves too. Built and dropped CONCURRENTLY on PostgreSQL (mentions is the biggest table).

Revision ID: api_0003
Revises: cs1_0001
"""

from alembic import op

revision = "api_0003"
down_revision = "cs1_0001"
branch_labels = None
depends_on = None

NEW = "ix_mentions_response_topic"
OLD = "ix_mentions_response_id"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("SET lock_timeout = '5s'")
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NEW} ON mentions (response_id, topic_id, rejected)")
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD}")
            op.execute("RESET lock_timeout")
    else:
        op.create_index(NEW, "mentions", ["response_id", "topic_id", "rejected"], unique=False)
        op.drop_index(OLD, table_name="mentions")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD} ON mentions (response_id)")
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NEW}")
    else:
        op.create_index(OLD, "mentions", ["response_id"], unique=False)
        op.drop_index(NEW, table_name="mentions")
