"""Staff users and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, TimestampMixin, str_enum


class Role(enum.StrEnum):
    """What a staff member may do. Each role includes viewer rights."""

    ADMIN = "admin"
    CS = "cs"
    PM = "pm"
    VIEWER = "viewer"


class User(UserMixin, TimestampMixin, Base):
    """A staff member who signs in to Clearloop."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), default=Role.VIEWER)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active_user: Mapped[bool] = mapped_column(default=True)
    # Bumped at logout-everywhere and password change: older sessions stop being accepted.
    session_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        """Whether the account may sign in."""
        return self.is_active_user

    def get_id(self) -> str:
        """Session identity: the id plus the session version, so old sessions die on bump."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: Role | str) -> bool:
        """True when the user is an admin or holds one of the given roles."""
        return self.role == Role.ADMIN or self.role in {Role(r) for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class LoginThrottle(Base):
    """Failed sign-ins of one account from one IP address: the lock a guesser earns is theirs alone."""

    __tablename__ = "login_throttles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ip: Mapped[str] = mapped_column(sa.String(45), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
