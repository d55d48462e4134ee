"""Sign-in throttles per (account, IP address)

Revision ID: faults_0001
Revises: cs_0002
Create Date: 2026-12-06 15:00:00

Expand only: a new table. Five wrong passwords from one address lock that address out of the account; the
account-wide lock (users.failed_logins) needs a much higher count, so a guesser cannot lock an admin out.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'faults_0001'
down_revision = 'cs_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_throttles',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_login_throttles_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('user_id', 'ip', name=op.f('pk_login_throttles')),
    )


def downgrade():
    op.drop_table('login_throttles')
