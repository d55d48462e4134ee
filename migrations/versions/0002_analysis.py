"""Analysis: re-tag runs remember their upper bound, a heartbeat and failed attempts

Revision ID: 0002_analysis
Revises: 0001
Create Date: 2026-11-24 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_analysis'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable columns and a constant default: PostgreSQL 11+ adds them without rewriting the table.
    with op.batch_alter_table('retag_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upto_response_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade():
    with op.batch_alter_table('retag_runs', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('upto_response_id')
