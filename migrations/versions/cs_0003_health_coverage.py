"""Health snapshots: the coverage of each score, and an "insufficient" band (under 50 % coverage)

PostgreSQL: the band's CHECK replaced and the column widened in place. SQLite: the table is rebuilt by
batch mode (it does not reflect CHECK constraints, so both are declared again here).

Revision ID: cs_0003
Revises: faults_0001
Create Date: 2026-12-06 15:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "cs_0003"
down_revision = "faults_0001"
branch_labels = None
depends_on = None

BANDS = ("healthy", "watch", "at_risk", "insufficient")


def _band_check(bands):
    return "band IN (" + ", ".join(f"'{b}'" for b in bands) + ")"


def _change(bands, length, add_coverage):
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE health_snapshots DROP CONSTRAINT IF EXISTS ck_health_snapshots_health_band")
        op.execute(f"ALTER TABLE health_snapshots ALTER COLUMN band TYPE VARCHAR({length})")
        op.execute(f"ALTER TABLE health_snapshots ADD CONSTRAINT ck_health_snapshots_health_band CHECK ({_band_check(bands)})")
        if add_coverage:
            op.add_column("health_snapshots", sa.Column("coverage", sa.Float(), nullable=True))
        else:
            op.drop_column("health_snapshots", "coverage")
        return
    with op.batch_alter_table("health_snapshots", recreate="always") as batch:
        batch.alter_column("band", type_=sa.String(length), existing_nullable=False)
        if add_coverage:
            batch.add_column(sa.Column("coverage", sa.Float(), nullable=True))
        else:
            batch.drop_column("coverage")
        batch.create_check_constraint("health_band", _band_check(bands))
        batch.create_check_constraint("score_range", "score >= 0 AND score <= 100")


def upgrade():
    _change(BANDS, 12, True)


def downgrade():
    op.execute("DELETE FROM health_snapshots WHERE band = 'insufficient'")
    _change(BANDS[:3], 7, False)
