"""The API feature's use cases other features and jobs may call."""

from __future__ import annotations

from app.api.idempotency import purge_expired
from app.api.tokens import allowed_scopes, create_token, revoke_token

__all__ = ["allowed_scopes", "create_token", "purge_expired", "revoke_token"]
