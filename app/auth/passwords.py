"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MIN_STRENGTH = 3  # zxcvbn score 0-4: 3 is "safely unguessable" for online attacks
MAX_LENGTH = 128  # long passphrases welcome; Argon2 takes the whole string, nothing is truncated


def _hasher() -> PasswordHasher:
    """Argon2id with the OWASP-recommended floor (m ≥ 19 MiB, t ≥ 2) unless tests ask for cheaper."""
    params = current_app.config.get("ARGON2_PARAMS") or {
        "time_cost": 3,
        "memory_cost": 65536,
        "parallelism": 2,
    }
    return PasswordHasher(**params)


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Check a password against its stored hash without raising."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_time(password: str) -> None:
    """Spend about as long as a real verification, so unknown emails cannot be told apart by timing."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def password_problem(password: str, inputs: tuple[str, ...] = ()) -> str | None:
    """Why a new password is not acceptable, or None when it is (length, then zxcvbn's guessability)."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    # zxcvbn rates at most 72 characters; anything that long and not refused above is ample.
    verdict = zxcvbn(password[:72], user_inputs=[i for i in inputs if i])
    if verdict["score"] < MIN_STRENGTH:
        warning = verdict["feedback"].get("warning") or "That password is too easy to guess."
        return f"{warning.rstrip('.')}. Try a longer passphrase of unrelated words."
    return None
