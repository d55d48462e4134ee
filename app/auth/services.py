"""Staff account use cases: create users, authenticate with throttling, load the session's user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from app.audit import audit
from app.auth.passwords import burn_time, hash_password, password_problem, verify_password
from app.extensions import db
from app.inputs import parse_id, parse_int
from app.models import LoginThrottle, Role, User, utcnow


class UserError(ValueError):
    """A user could not be created or changed; the message is for people."""


def normalise_email(raw: str) -> str:
    """Validate an email address's syntax and return it lower-cased, or raise UserError."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError(f"{raw!r} is not a valid email address: {exc}") from None


def create_user(email: str, password: str, role: Role | str = Role.VIEWER, name: str = "") -> User:
    """Create a staff user after checking the email and the password policy; commits."""
    email = normalise_email(email)
    try:
        role = Role(role)
    except ValueError:
        raise UserError(f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}.") from None
    problem = password_problem(password, (email, email.split("@")[0], name))
    if problem:
        raise UserError(problem)
    if db.session.execute(sa.select(User.id).where(User.email == email)).first():
        raise UserError(f"A user with email {email} already exists.")
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: ``"<id>:<session_version>"``; a bumped version ends older sessions."""
    user_id, _, version = session_id.partition(":")
    uid, ver = parse_id(user_id), parse_int(version, 0, 2**31 - 1)
    if uid is None or ver is None:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.is_active or user.session_version != ver:
        return None
    return user


@dataclass(frozen=True)
class LoginResult:
    """What an authentication attempt gave: the user, or a message for the form."""

    user: User | None
    error: str | None = None


GENERIC_FAILURE = "Email or password is not right."


def authenticate(email: str, password: str, ip: str | None = None) -> LoginResult:
    """Check credentials. LOGIN_MAX_FAILURES wrong passwords from one IP address lock that address out of
    the account for a while; the whole account locks only at LOGIN_ACCOUNT_MAX_FAILURES (much higher), so
    a guesser elsewhere cannot lock its owner out at will. An admin can unlock (``unlock_user``).

    An attempt first claims a slot with one atomic UPDATE, so concurrent guesses cannot exceed the limit.
    """
    email = email.strip().lower()
    ip = (ip or "unknown")[:45]
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None or not user.is_active:
        burn_time(password)
        return LoginResult(None, GENERIC_FAILURE)
    if not _claim_ip_attempt(user, ip) or not _claim_attempt(user):
        audit(user.id, "login.locked", "user", user.id, ip=ip)
        db.session.commit()
        minutes = current_app.config["LOGIN_LOCK_MINUTES"]
        return LoginResult(
            None, f"Too many failed sign-ins. This account is locked for up to {minutes} minutes."
        )
    if not verify_password(user.password_hash, password):
        _lock_if_exhausted(user, ip)
        audit(user.id, "login.failed", "user", user.id, ip=ip)
        db.session.commit()
        return LoginResult(None, GENERIC_FAILURE)
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, locked_until=None, last_login_at=utcnow())
    )
    db.session.execute(
        sa.delete(LoginThrottle).where(LoginThrottle.user_id == user.id, LoginThrottle.ip == ip)
    )
    audit(user.id, "login", "user", user.id, ip=ip)
    db.session.commit()
    db.session.refresh(user)
    return LoginResult(user)


def _claim_ip_attempt(user: User, ip: str) -> bool:
    """Count this attempt against (account, IP) up front; False when the pair is locked or out of tries."""
    now = utcnow()
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    key = (LoginThrottle.user_id == user.id, LoginThrottle.ip == ip)
    if db.session.get(LoginThrottle, (user.id, ip)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(LoginThrottle(user_id=user.id, ip=ip, failures=0))
        except sa.exc.IntegrityError:
            pass  # a concurrent attempt made the row: count against it
    db.session.execute(
        sa.update(LoginThrottle)
        .where(*key, LoginThrottle.locked_until.is_not(None), LoginThrottle.locked_until <= now)
        .values(failures=0, locked_until=None)
    )
    claimed = db.session.execute(
        sa.update(LoginThrottle)
        .where(*key, LoginThrottle.failures < limit, LoginThrottle.locked_until.is_(None))
        .values(failures=LoginThrottle.failures + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _claim_attempt(user: User) -> bool:
    """Count this attempt against the whole account; False when it is locked or out of attempts."""
    now = utcnow()
    limit = current_app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    # An expired lock starts a fresh count.
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.locked_until.is_not(None), User.locked_until <= now)
        .values(failed_logins=0, locked_until=None)
    )
    claimed = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.failed_logins < limit, User.locked_until.is_(None))
        .values(failed_logins=User.failed_logins + 1)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _lock_if_exhausted(user: User, ip: str) -> None:
    """Lock the (account, IP) pair, or the whole account, once its failed attempts reach its limit."""
    until = utcnow() + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    db.session.execute(
        sa.update(LoginThrottle)
        .where(
            LoginThrottle.user_id == user.id,
            LoginThrottle.ip == ip,
            LoginThrottle.failures >= current_app.config["LOGIN_MAX_FAILURES"],
        )
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(User)
        .where(User.id == user.id, User.failed_logins >= current_app.config["LOGIN_ACCOUNT_MAX_FAILURES"])
        .values(locked_until=until)
    )


def unlock_user(actor: User, user: User) -> None:
    """Lift every sign-in lock of a user (the account-wide one and each address's); audited."""
    db.session.execute(sa.update(User).where(User.id == user.id).values(failed_logins=0, locked_until=None))
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.user_id == user.id))
    audit(actor.id, "user.unlock", "user", user.id)
    db.session.commit()


def sign_out(user: User) -> None:
    """End this sign-in server-side: the session version moves on, so a copied cookie stops working."""
    end_all_sessions(user)


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends every other session."""
    if not verify_password(user.password_hash, current):
        raise UserError("Your current password is not right.")
    problem = password_problem(new, (user.email, user.email.split("@")[0], user.name))
    if problem:
        raise UserError(problem)
    user.password_hash = hash_password(new)
    user.session_version += 1
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere by bumping the session version."""
    db.session.execute(
        sa.update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    db.session.commit()


def set_role(actor: User, user: User, role: Role | str) -> None:
    """Change a user's role (admins only, enforced by the route); recorded in the audit log."""
    old = user.role
    user.role = Role(role)
    user.session_version += 1  # new rights take effect now, not at the next sign-in
    audit(
        actor.id if actor else None,
        "user.role",
        "user",
        user.id,
        **{"from": old.value, "to": user.role.value},
    )
    db.session.commit()
