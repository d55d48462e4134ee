"""Responses: a covering index for the latest score of each account by kind

Revision ID: 0003_response_account_kind_index
Revises: 0002_analysis
Create Date: 2026-11-24 06:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003_response_account_kind_index'
down_revision = '0002_analysis'
branch_labels = None
depends_on = None

INDEX = 'ix_responses_account_kind_created'
COLUMNS = ['account_id', 'kind', 'created_at', 'score']


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        # responses is the biggest table: build without blocking writes (outside a transaction).
        with op.get_context().autocommit_block():
            op.create_index(INDEX, 'responses', COLUMNS, postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(INDEX, 'responses', COLUMNS)


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, table_name='responses', postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(INDEX, table_name='responses')
