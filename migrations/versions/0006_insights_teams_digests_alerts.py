"""Insights: teams follow topics or all, digests claimed and built, alerts, and each team email

Revision ID: insights_0001
Revises: explorer_0001
Create Date: 2026-12-06 10:50:35.019649

Expand only: new tables and nullable or defaulted columns; nothing existing changes.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'insights_0001'
down_revision = 'explorer_0001'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('building', 'ready', 'sending', 'sent', 'empty', 'failed', 'uncertain', name='alert_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_alerts_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_alerts_response_id_responses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_alerts_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_alerts_topic_id_topics'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('team_id', 'kind', 'subject', 'day', name=op.f('uq_alerts_team_id_kind_subject_day'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_team_id'), ['team_id'], unique=False)

    op.create_table('team_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_email', sa.String(length=254), nullable=False),
    sa.Column('state', sa.Enum('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped', 'uncertain', name='team_message_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(digest_id IS NULL) <> (alert_id IS NULL)', name=op.f('ck_team_messages_one_parent')),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_team_messages_alert_id_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], name=op.f('fk_team_messages_digest_id_digests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_messages_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_messages')),
    sa.UniqueConstraint('alert_id', 'user_id', name=op.f('uq_team_messages_alert_id_user_id')),
    sa.UniqueConstraint('digest_id', 'user_id', name=op.f('uq_team_messages_digest_id_user_id'))
    )
    with op.batch_alter_table('team_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_messages_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_messages_digest_id'), ['digest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_messages_state'), ['state'], unique=False)

    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('built_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('requested_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_digests_requested_by_id_users'), 'users', ['requested_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('all_topics', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('digest_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('alerts_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('description', sa.String(length=500), nullable=True))




def downgrade():
    
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('description')
        batch_op.drop_column('alerts_enabled')
        batch_op.drop_column('digest_enabled')
        batch_op.drop_column('all_topics')

    with op.batch_alter_table('digests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_digests_requested_by_id_users'), type_='foreignkey')
        batch_op.drop_column('requested_by_id')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('built_at')

    with op.batch_alter_table('team_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_messages_state'))
        batch_op.drop_index(batch_op.f('ix_team_messages_digest_id'))
        batch_op.drop_index(batch_op.f('ix_team_messages_alert_id'))

    op.drop_table('team_messages')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_team_id'))
        batch_op.drop_index(batch_op.f('ix_alerts_created_at'))

    op.drop_table('alerts')

