"""The REST API's records: tokens, idempotency keys, and the tombstones a sync follows erasures by."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow

if TYPE_CHECKING:
    from app.models.users import User


class ApiToken(Base):
    """A personal API token: only its SHA-256 is kept; its scopes are cut to the owner's role at each use."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(12))  # "clp_" + 8 characters, to recognise a token
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class IdempotencyKey(Base):
    """The outcome of one POST made with an ``Idempotency-Key``, kept 24 h per token, method and path."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("token_id", "key", "method", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(255))
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(300))
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int | None]  # None while the first request is still being handled
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Tombstone(Base):
    """An object that was erased or deleted, so API clients that sync can delete their copy."""

    __tablename__ = "api_tombstones"
    __table_args__ = (sa.Index("ix_api_tombstones_created_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(sa.String(20))  # contact, response, account
    object_id: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(20))  # erased, deleted, retention
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
