"""Keyset listing shared by the API's lists: oldest change first by (updated_at, id), so a sync that
stores the last ``next_cursor`` (or its last ``updated_since``) never misses or repeats a change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.api.core import read_cursor, sign_cursor
from app.extensions import db


def _micros(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def page_by_update(model: Any, args: dict[str, Any], *where: sa.ColumnElement[bool]) -> dict[str, Any]:
    """One page of ``model`` rows changed since ``updated_since``, after the cursor, with the next cursor."""
    kind = model.__tablename__
    conditions = list(where)
    if args.get("updated_since"):
        conditions.append(model.updated_at >= args["updated_since"])
    after = read_cursor(kind, args.get("cursor"))
    if after is not None:
        if len(after) != 2 or not all(isinstance(v, int) for v in after):
            raise ValueError("cursor")  # pragma: no cover - signed by us, so always well formed
        when = datetime.fromtimestamp(after[0] / 1_000_000, UTC)
        conditions.append(
            sa.tuple_(model.updated_at, model.id)
            > sa.tuple_(sa.literal(when, model.updated_at.type), sa.literal(after[1]))
        )
    limit = args.get("limit", 50)
    stmt = sa.select(model).where(*conditions).order_by(model.updated_at, model.id).limit(limit + 1)
    rows = list(db.session.execute(stmt).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = sign_cursor(kind, [_micros(rows[-1].updated_at), rows[-1].id]) if more and rows else None
    return {"items": rows, "next_cursor": cursor}
