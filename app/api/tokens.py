"""API tokens: ``clp_`` + 32 random bytes, stored as SHA-256, shown once, scoped no wider than the role.

Scopes are checked against the owner's role at every use, not only at creation: a user moved from admin to
viewer keeps their tokens, but those tokens can then only read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from app.audit import audit
from app.extensions import db
from app.models import ApiToken, Role, User, utcnow

PREFIX = "clp_"
# What each scope lets a token do, and the roles that may hold it (admins hold every scope).
SCOPES: dict[str, tuple[str, frozenset[Role]]] = {
    "read": ("Read accounts, contacts, surveys, responses, topics and metrics", frozenset(Role)),
    "write": ("Create and update accounts, contacts, responses and unsubscribes", frozenset({Role.CS})),
    "send": ("Create sends: email a survey to contacts", frozenset()),
    "privacy": ("Export and erase a contact's data", frozenset()),
    "webhooks": ("Manage webhook endpoints", frozenset()),
}
LAST_USED_GRANULARITY = timedelta(minutes=1)  # no write on every request; "last used" to the minute is enough
MAX_TOKENS_PER_USER = 50


class TokenError(ValueError):
    """A token that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class NewToken:
    """A freshly made token: the row, and the secret that is shown this once and never again."""

    row: ApiToken
    secret: str


def allowed_scopes(role: Role) -> list[str]:
    """The scopes a user of ``role`` may hold."""
    return [name for name, (_, roles) in SCOPES.items() if role == Role.ADMIN or role in roles]


def hash_token(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user: User, name: str, scopes: list[str], actor_id: int | None) -> NewToken:
    """Make a token for ``user`` with ``scopes`` (each must be allowed to the user's role); commits."""
    name = " ".join((name or "").split())[:100]
    if not name:
        raise TokenError("Give the token a name, such as the system that will use it.")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise TokenError(f"Unknown scope {unknown[0]!r}; choose from {', '.join(SCOPES)}.")
    if not scopes:
        raise TokenError("Choose at least one scope.")
    too_wide = sorted(set(scopes) - set(allowed_scopes(user.role)))
    if too_wide:
        raise TokenError(f"A {user.role.value} cannot hold the {', '.join(too_wide)} scope.")
    live = db.session.execute(
        sa.select(sa.func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    ).scalar_one()
    if live >= MAX_TOKENS_PER_USER:
        raise TokenError(f"You already have {MAX_TOKENS_PER_USER} tokens; revoke one first.")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:12],
        token_hash=hash_token(secret),
        scopes=[s for s in SCOPES if s in scopes],
    )
    db.session.add(row)
    db.session.flush()
    audit(actor_id, "api_token.create", "api_token", row.id, user_id=user.id, scopes=row.scopes)
    db.session.commit()
    return NewToken(row, secret)


def revoke_token(token: ApiToken, actor_id: int | None) -> bool:
    """Revoke a token; False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit(actor_id, "api_token.revoke", "api_token", token.id, user_id=token.user_id)
    db.session.commit()
    return True


def user_tokens(user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first (revoked ones too, to show when they were revoked)."""
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(db.session.execute(stmt).scalars())


def all_tokens() -> list[ApiToken]:
    """Every live token of the workspace (admins may revoke any)."""
    stmt = sa.select(ApiToken).where(ApiToken.revoked_at.is_(None)).order_by(ApiToken.id.desc())
    return list(db.session.execute(stmt).scalars())


def authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret whose owner is active, or None. Notes its use (to the minute)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    digest = hash_token(secret)
    token = db.session.execute(sa.select(ApiToken).where(ApiToken.token_hash == digest)).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.user.is_active_user:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        first_use = token.last_used_at is None
        token.last_used_at = now
        if first_use:
            audit(token.user_id, "api_token.first_use", "api_token", token.id)
        db.session.commit()
    return token


def effective_scopes(token: ApiToken) -> set[str]:
    """The token's scopes that its owner's current role still allows."""
    return set(token.scopes) & set(allowed_scopes(token.user.role))
