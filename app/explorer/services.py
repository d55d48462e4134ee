"""Explorer use cases: saved views per user, recorded exports, and bulk tagging of a selection."""

from __future__ import annotations

from urllib.parse import urlencode

import sqlalchemy as sa

from app.analysis.services import AnalysisError, bulk_add_manual_topic
from app.audit import audit
from app.database import is_unique_violation
from app.explorer.filters import ExplorerFilters
from app.extensions import db
from app.models import SavedView

MAX_VIEWS = 50
MAX_NAME = 80
MAX_SELECTION = 500


class ExplorerError(ValueError):
    """A request that cannot be done; the message says why, next to the field."""


def saved_views(user_id: int) -> list[SavedView]:
    """A user's saved views, by name."""
    return list(
        db.session.execute(
            sa.select(SavedView).where(SavedView.user_id == user_id).order_by(sa.func.lower(SavedView.name))
        ).scalars()
    )


def save_view(user_id: int, name: str, filters: ExplorerFilters) -> SavedView:
    """Save the filters and sort under a name (the same name replaces that view)."""
    name = " ".join((name or "").split())
    if not name:
        raise ExplorerError("Give the view a name.")
    if len(name) > MAX_NAME:
        raise ExplorerError(f"Keep the name under {MAX_NAME} characters.")
    query = urlencode(filters.to_args(cursor=False))
    view = db.session.execute(
        sa.select(SavedView).where(SavedView.user_id == user_id, SavedView.name == name)
    ).scalar_one_or_none()
    if view is None:
        if len(saved_views(user_id)) >= MAX_VIEWS:
            raise ExplorerError(f"You have {MAX_VIEWS} saved views; delete one first.")
        view = SavedView(user_id=user_id, name=name, query=query)
        db.session.add(view)
    view.query = query
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        if not is_unique_violation(exc):
            raise
        raise ExplorerError("A view with that name was saved at the same moment; try again.") from exc
    return view


def delete_view(user_id: int, view_id: int) -> None:
    """Delete one of the user's own views (another user's view is treated as missing)."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user_id:
        raise ExplorerError("That saved view does not exist.")
    db.session.delete(view)
    db.session.commit()


def record_export(actor_id: int, filters: ExplorerFilters, redacted: bool) -> None:
    """Audit an export before its first byte leaves (who, which filters, redacted or not)."""
    audit(actor_id, "responses.export", "responses", "filtered", filters=filters.to_args(), redacted=redacted)
    db.session.commit()


def tag_selection(response_ids: list[int], topic_id: int | None, actor_id: int) -> int:
    """Tag the selected responses with a topic by hand; returns how many were newly tagged."""
    ids = sorted({int(i) for i in response_ids})
    if not ids:
        raise ExplorerError("Select at least one response.")
    if len(ids) > MAX_SELECTION:
        raise ExplorerError(f"Tag at most {MAX_SELECTION} responses at a time.")
    if topic_id is None:
        raise ExplorerError("Choose a topic.")
    try:
        return bulk_add_manual_topic(ids, topic_id, actor_id)
    except AnalysisError as exc:
        db.session.rollback()
        raise ExplorerError(str(exc)) from exc
