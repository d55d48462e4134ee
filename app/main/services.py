"""Use cases of the main feature: saving the workspace settings."""

from __future__ import annotations

from typing import Any

from app.audit import audit
from app.extensions import db
from app.workspace_settings import set_settings


def save_settings(values: dict[str, Any], actor_id: int | None) -> None:
    """Store the workspace settings an admin saved, audited, in one transaction."""
    set_settings(values)
    audit(actor_id, "settings.update", **values)
    db.session.commit()
