"""Month rollup: an index by kind, account and month, for the split by account's per-account reads

The Trends page split by account reads, after ranking every account, the counts of a few of them (the
ranked table's page of 50 and the top N by bucket) over a range of months. The primary key (kind, month,
account_key) clusters a range of months of every account; finding 50 accounts in it read every row of the
range (24,000 at 1M answers over a year) where this index reads 12 rows an account. Its key columns never
change on an upsert (only the counts do), so updates stay HOT.

Revision ID: trends_0001
Revises: sendtag_0002
Create Date: 2026-12-07 10:45:00

"""

from alembic import op

revision = "trends_0001"
down_revision = "sendtag_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_response_month_rollups_account",
        "response_month_rollups",
        ["kind", "account_key", "month"],
    )


def downgrade():
    op.drop_index("ix_response_month_rollups_account", table_name="response_month_rollups")
