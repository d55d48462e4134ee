"""The suppression list: addresses never mailed again, kept as a hash so it outlives erasure (rule 7)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from app.database import is_unique_violation
from app.extensions import db
from app.models import Suppression


def email_hash(email: str) -> str:
    """sha256 of the trimmed, lower-cased address: what the suppression list stores."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def is_suppressed(email: str) -> bool:
    """True when the address is on the suppression list."""
    found = db.session.execute(
        sa.select(Suppression.id).where(Suppression.email_hash == email_hash(email))
    ).first()
    return found is not None


def suppressed_hashes(hashes: list[str]) -> set[str]:
    """Which of these address hashes are suppressed (one query per chunk)."""
    found: set[str] = set()
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        found.update(
            db.session.execute(
                sa.select(Suppression.email_hash).where(Suppression.email_hash.in_(chunk))
            ).scalars()
        )
    return found


def suppress(email: str, reason: str) -> None:
    """Add an address to the list in the caller's transaction; a second add is a no-op."""
    digest = email_hash(email)
    if db.session.execute(sa.select(Suppression.id).where(Suppression.email_hash == digest)).first():
        return
    try:
        with db.session.begin_nested():
            db.session.add(Suppression(email_hash=digest, reason=reason))
    except sa.exc.IntegrityError as exc:  # added concurrently: the row we wanted is there
        if not is_unique_violation(exc):
            raise
