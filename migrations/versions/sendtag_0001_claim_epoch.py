"""Invitations: the database server's incarnation each claim was made in (PostgreSQL in-flight marks)

``invitations.claim_epoch`` records, when a batch claims rows on PostgreSQL, the token held in
``mail_db_epoch``: an UNLOGGED one-row table, which PostgreSQL empties after any crash, immediate shutdown
or failover (and which a base backup does not carry). A batch commits its in-flight marks without waiting
for the disk (``synchronous_commit = off``), and such a commit is lost only in those same events; so a
recovery that finds a claimed row's epoch gone knows a mark it cannot see may have been lost, and makes
the row ``uncertain`` instead of sending it again (app/mail/delivery.py). SQLite has no such table: its
claims leave the column empty, and an empty column means what it always meant.

Revision ID: sendtag_0001
Revises: topics_0005
Create Date: 2026-12-07 07:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "sendtag_0001"
down_revision = "topics_0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("claim_epoch", sa.String(length=40), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE UNLOGGED TABLE mail_db_epoch (id smallint PRIMARY KEY, token text NOT NULL)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS mail_db_epoch")
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("claim_epoch")
