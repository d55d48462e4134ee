"""Customer accounts (companies), their contacts, and the suppression list."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from app.models.users import User


class Tier(enum.StrEnum):
    """Revenue tier of an account."""

    ENTERPRISE = "enterprise"
    MID_MARKET = "mid_market"
    SMB = "smb"

    @property
    def label(self) -> str:
        """How the tier is written everywhere in the product ("Mid-market", "SMB")."""
        return {"enterprise": "Enterprise", "mid_market": "Mid-market", "smb": "SMB"}[self.value]


class Lifecycle(enum.StrEnum):
    """Where an account stands in its customer journey."""

    ONBOARDING = "onboarding"
    ADOPTION = "adoption"
    GROWTH = "growth"
    RENEWAL = "renewal"
    EXPANSION = "expansion"
    AT_RISK = "at_risk"
    CHURNED = "churned"

    @property
    def label(self) -> str:
        """How the stage is written everywhere in the product ("At risk")."""
        return self.value.replace("_", " ").capitalize()


class Account(TimestampMixin, Base):
    """A customer company."""

    __tablename__ = "accounts"
    __table_args__ = (sa.CheckConstraint("arr >= 0", name="arr_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    domain: Mapped[str | None] = mapped_column(sa.String(253), index=True)
    arr: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # whole currency units per year
    plan: Mapped[str | None] = mapped_column(sa.String(50), index=True)
    tier: Mapped[Tier | None] = mapped_column(str_enum(Tier, "account_tier"), index=True)
    lifecycle_stage: Mapped[Lifecycle | None] = mapped_column(
        str_enum(Lifecycle, "account_lifecycle"), index=True
    )
    renewal_date: Mapped[date | None] = mapped_column(index=True)
    csm_owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    churned_on: Mapped[date | None]
    churn_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # NPS of the last 12 months from the rollups (app.health.services.refresh_account_nps): the answers,
    # the raw figure and the figure shrunk toward the tier, stored so the list sorts by it on an index.
    nps_n: Mapped[int] = mapped_column(default=0, server_default="0")
    nps_raw: Mapped[float | None] = mapped_column(sa.Float)
    nps_shrunk: Mapped[float | None] = mapped_column(sa.Float)

    csm_owner: Mapped[User | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(back_populates="account")

    @property
    def mrr(self) -> int:
        """Monthly recurring revenue derived from ARR."""
        return round((self.arr or 0) / 12)

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.name!r}>"


class Contact(TimestampMixin, Base):
    """A person at an account who can be surveyed. Emails are stored lower-cased."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    title: Mapped[str | None] = mapped_column(sa.String(200))
    role: Mapped[str | None] = mapped_column(sa.String(100))  # e.g. admin, end user, executive sponsor
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    unsubscribed_at: Mapped[datetime | None]
    bounced_at: Mapped[datetime | None]
    bounce_count: Mapped[int] = mapped_column(default=0)
    last_surveyed_at: Mapped[datetime | None] = mapped_column(index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    account: Mapped[Account | None] = relationship(back_populates="contacts")

    @property
    def can_be_emailed(self) -> bool:
        """False once the contact unsubscribed or hard-bounced."""
        return self.unsubscribed_at is None and self.bounced_at is None

    def __repr__(self) -> str:
        return f"<Contact {self.id}>"


class Suppression(Base):
    """An address that must never be mailed again; kept (as a hash) even after the contact is erased."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(30))  # unsubscribe, bounce, complaint, manual
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArrSource(enum.StrEnum):
    """Where an ARR change came from."""

    IMPORT = "import"
    EDIT = "edit"
    API = "api"


class ArrChange(Base):
    """One change of an account's ARR: before (None when the account was created) and after, the day it
    takes effect, where it came from and who made it. Revenue retention is computed from these rows."""

    __tablename__ = "arr_changes"
    __table_args__ = (sa.Index("ix_arr_changes_account_effective", "account_id", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    old_arr: Mapped[int | None] = mapped_column(sa.BigInteger)
    new_arr: Mapped[int] = mapped_column(sa.BigInteger)
    effective_on: Mapped[date] = mapped_column(index=True)
    source: Mapped[ArrSource] = mapped_column(str_enum(ArrSource, "arr_source"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()
