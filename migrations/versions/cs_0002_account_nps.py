"""Accounts: the 12-month NPS (answers, raw, shrunk toward the tier), stored for the list to sort on

Indexes that serve both directions with nulls last, with the id as tie-breaker: PostgreSQL one per
direction; SQLite an expression index on (nps_shrunk IS NULL, nps_shrunk) for ascending and the plain
column for descending (NULLs sort first there, so DESC already puts them last).
Filled by the health job (daily, and after new answers); NULL until then.

Revision ID: cs_0002
Revises: newuser_0001
Create Date: 2026-12-06 14:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "cs_0002"
down_revision = "newuser_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("nps_n", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("accounts", sa.Column("nps_raw", sa.Float(), nullable=True))
    op.add_column("accounts", sa.Column("nps_shrunk", sa.Float(), nullable=True))
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_accounts_nps_asc ON accounts (nps_shrunk ASC NULLS LAST, id)")
        op.execute("CREATE INDEX ix_accounts_nps_desc ON accounts (nps_shrunk DESC NULLS LAST, id DESC)")
    else:
        op.execute("CREATE INDEX ix_accounts_nps_asc ON accounts (nps_shrunk IS NULL, nps_shrunk, id)")
        op.execute("CREATE INDEX ix_accounts_nps_desc ON accounts (nps_shrunk, id)")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_accounts_nps_asc")
    op.execute("DROP INDEX IF EXISTS ix_accounts_nps_desc")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("nps_shrunk")
        batch.drop_column("nps_raw")
        batch.drop_column("nps_n")
