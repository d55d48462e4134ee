"""Use cases of the main feature: saving the workspace settings."""

from __future__ import annotations

from typing import Any

from app.audit import audit
from app.extensions import db
from app.trends.services import timezone_changed
from app.workspace_settings import get_setting, set_settings


def save_settings(values: dict[str, Any], actor_id: int | None) -> None:
    """Store the workspace settings an admin saved, audited, in one transaction."""
    zone_before = get_setting("timezone")
    set_settings(values)
    if "timezone" in values and values["timezone"] != zone_before:
        timezone_changed(str(values["timezone"]))  # the rollups' local days follow the zone
    audit(actor_id, "settings.update", **values)
    db.session.commit()
