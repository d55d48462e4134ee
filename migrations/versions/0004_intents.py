"""Intents: what each sentence of a comment is doing (bug report, churn risk, ...), and per mention

Revision ID: 0004_intents
Revises: 0003_response_account_kind_index
Create Date: 2026-12-06 10:39:24.616516

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_intents'
down_revision = '0003_response_account_kind_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('response_intents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('sentence_index', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=True),
    sa.Column('end', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("label IN ('bug_report', 'feature_request', 'question', 'praise', 'complaint', 'churn_risk')", name=op.f('ck_response_intents_label_known')),
    sa.CheckConstraint('score >= 0 AND score <= 1', name=op.f('ck_response_intents_score_range')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_intents_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_intents'))
    )
    with op.batch_alter_table('response_intents', schema=None) as batch_op:
        batch_op.create_index('ix_response_intents_label_response', ['label', 'response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_intents_response_id'), ['response_id'], unique=False)

    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intent', sa.String(length=20), nullable=True))



def downgrade():
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_column('intent')

    with op.batch_alter_table('response_intents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_intents_response_id'))
        batch_op.drop_index('ix_response_intents_label_response')

    op.drop_table('response_intents')
