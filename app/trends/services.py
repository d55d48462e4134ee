"""Use cases of the trends feature: rebuilding the rollups, following a change of time zone, and the
annotations admins put on the charts."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.audit import audit
from app.extensions import db
from app.insights.services import rebuild_day_tables
from app.models import ResponseRollup, RollupTzOffset, TrendAnnotation
from app.trends.rollup_sql import (
    TOTALS_TRIGGERS_SQLITE,
    offset_history,
    rebuild_statements,
    totals_fill,
    totals_sqlite_triggers,
)


def rebuild_rollups() -> int:
    """Recompute every rollup row from the responses in the caller's transaction, and topic analytics'
    per-day tables (local days too); returns the response rollup rows made. The month rollup's running
    totals: on PostgreSQL emptied first and made again by the month rollup's triggers as it is refilled
    (switching them off would need the table's owner and lock it); on SQLite summed afresh after it,
    its triggers dropped meanwhile (row by row they would triple the rebuild's time) and created again,
    all in the caller's transaction."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statements = [totals_fill()[0], *rebuild_statements(dialect)]
    else:
        statements = [
            *(f"DROP TRIGGER IF EXISTS {name}" for name in TOTALS_TRIGGERS_SQLITE),
            *rebuild_statements(dialect),
            *totals_fill(),
            *totals_sqlite_triggers(),
        ]
    for statement in statements:
        db.session.execute(sa.text(statement))
    rebuild_day_tables()
    return db.session.execute(sa.select(sa.func.count()).select_from(ResponseRollup)).scalar_one()


def timezone_changed(zone: str) -> int:
    """Store ``zone``'s offset history for the triggers and rebuild the rollups in its local days."""
    db.session.execute(sa.delete(RollupTzOffset))
    db.session.add_all(RollupTzOffset(since=at, minutes=m) for at, m in offset_history(zone))
    db.session.flush()
    return rebuild_rollups()


def add_annotation(
    day: date, label: str, segment: str | None, segment_value: str | None, actor_id: int | None
) -> TrendAnnotation:
    """Put a dated label on the Trends charts; audited; commits."""
    note = TrendAnnotation(
        day=day,
        label=label.strip(),
        segment=segment or None,
        segment_value=segment_value if segment else None,
        created_by_id=actor_id,
    )
    db.session.add(note)
    db.session.flush()
    audit(
        actor_id,
        "trend_annotation.create",
        "trend_annotation",
        note.id,
        day=day.isoformat(),
        label=note.label,
        segment=note.segment,
        segment_value=note.segment_value,
    )
    db.session.commit()
    return note


def delete_annotation(annotation_id: int, actor_id: int | None) -> bool:
    """Remove an annotation; audited with what it said; False when it no longer exists. Commits."""
    note = db.session.get(TrendAnnotation, annotation_id)
    if note is None:
        return False
    audit(
        actor_id,
        "trend_annotation.delete",
        "trend_annotation",
        note.id,
        day=note.day.isoformat(),
        label=note.label,
    )
    db.session.delete(note)
    db.session.commit()
    return True
