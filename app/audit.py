"""The one audit writer: every staff action worth recording goes through ``audit``."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from app.extensions import db
from app.models import AuditEvent


def audit(
    actor_id: int | None,
    action: str,
    target_type: str | None = None,
    target_id: Any = None,
    *,
    ip: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (the caller commits).

    ``ip`` defaults to the current request's client address; a job passes the one its request recorded.
    """
    if ip is None and has_request_context():
        ip = request.remote_addr
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details,
        ip=ip,
    )
    db.session.add(event)
    return event
