"""Sends: an admin's per-send override of the survey quarantine

Revision ID: newuser_0001
Revises: cs_0001
Create Date: 2026-12-06 14:30:00

Expand only: one defaulted column.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'newuser_0001'
down_revision = 'cs_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ignore_quarantine', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('sends', schema=None) as batch_op:
        batch_op.drop_column('ignore_quarantine')
