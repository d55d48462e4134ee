"""Use cases of the trends feature: rebuilding the rollups and following a change of time zone."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import ResponseRollup, RollupTzOffset
from app.trends.rollup_sql import offset_history, rebuild_statements


def rebuild_rollups() -> int:
    """Recompute every rollup row from the responses in the caller's transaction; returns the rows made."""
    for statement in rebuild_statements(db.session.get_bind().dialect.name):
        db.session.execute(sa.text(statement))
    return db.session.execute(sa.select(sa.func.count()).select_from(ResponseRollup)).scalar_one()


def timezone_changed(zone: str) -> int:
    """Store ``zone``'s offset history for the triggers and rebuild the rollups in its local days."""
    db.session.execute(sa.delete(RollupTzOffset))
    db.session.add_all(RollupTzOffset(since=at, minutes=m) for at, m in offset_history(zone))
    db.session.flush()
    return rebuild_rollups()
