"""Responses: the covering index of "latest score of each account by kind" carries scanner_suspect too

Every read of responses now leaves scanner-suspect answers out (app/respond/suspect.py adds
``scanner_suspect = false`` to each query). ix_responses_account_kind_created covered the account lists'
and health's lookups (account_id, kind, created_at, score) from the index alone; without the flag in it
each probe would go to the table again. The new index has the same leading columns plus the flag, so it
serves every lookup the old one did. Built and dropped CONCURRENTLY on PostgreSQL.

Revision ID: faults_0003
Revises: faults_0002
"""

from alembic import op

revision = "faults_0003"
down_revision = "faults_0002"
branch_labels = None
depends_on = None

NEW = "ix_responses_account_kind_counted"
OLD = "ix_responses_account_kind_created"
NEW_COLUMNS = ["account_id", "kind", "created_at", "score", "scanner_suspect"]
OLD_COLUMNS = ["account_id", "kind", "created_at", "score"]


def _swap(create, create_columns, drop):
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("SET lock_timeout = '5s'")
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {create} ON responses ({', '.join(create_columns)})"
            )
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {drop}")
            op.execute("RESET lock_timeout")
    else:
        op.create_index(create, "responses", create_columns, unique=False)
        op.drop_index(drop, table_name="responses")


def upgrade():
    _swap(NEW, NEW_COLUMNS, OLD)


def downgrade():
    _swap(OLD, OLD_COLUMNS, NEW)
