"""Read side of accounts and contacts: validated list filters, index-backed pages, and page details.

Filters and sort keys arrive from query strings; each is checked against an allow-list and a bad value
raises ``QueryError`` (a 400 with a message), so no user text ever reaches SQL except as a bound value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app.accounts import portfolio
from app.extensions import db
from app.inputs import parse_int
from app.models import Account, Contact, Lifecycle, Tier, User, utcnow

PER_PAGE = 50
MAX_SEARCH = 200


class QueryError(ValueError):
    """A list filter or sort key that is not allowed; the message is for people."""


COUNT_CAP = 10_000  # a search stops counting here: "10,000+" is all a person needs to refine it


def contains_text(column: Any, text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match, LIKE wildcards escaped: ILIKE on PostgreSQL, plain LIKE on SQLite
    (already case-insensitive there, and SQLite's lower() folds nothing more, so it would only cost time)."""
    if db.engine.dialect.name == "sqlite":
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def count_rows(stmt: sa.Select, capped: bool = False) -> tuple[int, bool]:
    """How many rows ``stmt`` selects; with ``capped`` at most COUNT_CAP (and whether the cap was hit)."""
    if capped:
        stmt = stmt.limit(COUNT_CAP + 1)
    n = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
    return min(n, COUNT_CAP) if capped else n, capped and n > COUNT_CAP


ACCOUNT_SORTS: dict[str, Any] = {
    "name": lambda: Account.name,
    "arr": lambda: Account.arr,
    "renewal": lambda: Account.renewal_date,
    "tier": lambda: Account.tier,
    "lifecycle": lambda: Account.lifecycle_stage,
    "nps": lambda: Account.nps_shrunk,
    "updated": lambda: Account.updated_at,
    "health": lambda: portfolio.latest_score(),
    "health30": lambda: portfolio.health_change(30),
    "health90": lambda: portfolio.health_change(90),
}
HEALTH_BANDS = {
    "healthy": "Healthy",
    "watch": "Watch",
    "at_risk": "At risk",
    "risky": "Watch or at risk",
    "insufficient": "Insufficient data",
    "none": "No health yet",
}
CONTACT_SORTS: dict[str, Any] = {
    "email": lambda: Contact.email,
    "name": lambda: Contact.name,
    "surveyed": lambda: Contact.last_surveyed_at,
    "updated": lambda: Contact.updated_at,
}
CONTACT_STATUSES = {
    "emailable": "Can be emailed",
    "unsubscribed": "Unsubscribed",
    "bounced": "Bounced",
}


def int_arg(args: MultiDict, name: str, label: str, low: int, high: int) -> int | None:
    """A whole number in [low, high] from the query string, or None when absent."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = parse_int(raw, low, high)
    if value is None:
        raise QueryError(f"{label} must be a whole number from {low} to {high}.")
    return value


def enum_arg(args: MultiDict, name: str, enum_cls: type, label: str) -> Any:
    """A member of ``enum_cls`` from the query string, or None when absent."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise QueryError(f"Unknown {label} {raw!r}; use one of {allowed}.") from None


def sort_arg(args: MultiDict, allowed: dict[str, Any], default: str) -> tuple[str, bool]:
    """An allow-listed sort key (``-key`` for descending) and whether it is descending."""
    raw = (args.get("sort") or default).strip()
    desc = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in allowed:
        raise QueryError(f"Cannot sort by {key!r}; sort by one of {', '.join(allowed)}.")
    return key, desc


def search_arg(args: MultiDict) -> str:
    """The search text, trimmed and bounded."""
    q = (args.get("q") or "").strip()
    if len(q) > MAX_SEARCH:
        raise QueryError(f"Search text is limited to {MAX_SEARCH} characters.")
    return q


@dataclass(frozen=True)
class ListFilters:
    """What every list's filters share: a search text, an allow-listed sort key and direction, and a page.

    A list subclasses it with its own filter fields, ``SORTS`` (key -> column), the ``sort`` default and
    ``ID_COLUMN`` (the stable tie-breaker), and parses its own fields in ``from_args``.
    """

    SORTS: ClassVar[dict[str, Any]] = {}
    ID_COLUMN: ClassVar[Any] = None
    PAGING: ClassVar[frozenset[str]] = frozenset({"q", "sort", "desc", "page"})
    INDEXED_NULLS_LAST: ClassVar[frozenset[str]] = frozenset()  # sort keys with nulls-last indexes

    q: str = ""
    sort: str = ""
    desc: bool = False
    page: int = 1

    @classmethod
    def common_args(cls, args: MultiDict) -> dict[str, Any]:
        """The shared part of a query string, checked: search text, sort key and direction, page."""
        default = next(f.default for f in fields(cls) if f.name == "sort")
        sort, desc = sort_arg(args, cls.SORTS, str(default))
        return {
            "q": search_arg(args),
            "sort": sort,
            "desc": desc,
            "page": int_arg(args, "page", "Page", 1, 1_000_000) or 1,
        }

    def order_by(self) -> list[Any]:
        """ORDER BY for the chosen key, nulls last, with the id as a stable tie-breaker."""
        column = self.SORTS[self.sort]()
        ordered = column.desc() if self.desc else column.asc()
        tie = type(self).ID_COLUMN  # read on the class: an ORM attribute read through an instance is a value
        tie = tie.desc() if self.desc else tie.asc()
        if db.engine.dialect.name == "sqlite" and self.sort in self.INDEXED_NULLS_LAST:
            # SQLite sorts NULLs first: DESC already ends with them, ASC matches an (x IS NULL, x) index.
            return [ordered, tie] if self.desc else [column.is_(None), ordered, tie]
        return [ordered.nulls_last(), tie]

    @property
    def active(self) -> bool:
        """True when the search or any filter is set (sort and page are not filters)."""
        return bool(self.q) or any(
            getattr(self, f.name) not in (None, "") for f in fields(self) if f.name not in self.PAGING
        )


@dataclass(frozen=True)
class AccountFilters(ListFilters):
    """The validated filters, sort and page of the accounts list."""

    SORTS: ClassVar[dict[str, Any]] = ACCOUNT_SORTS
    ID_COLUMN: ClassVar[Any] = Account.id
    INDEXED_NULLS_LAST: ClassVar[frozenset[str]] = frozenset({"nps"})  # migration cs_0002

    tier: Tier | None = None
    plan: str | None = None
    lifecycle: Lifecycle | None = None
    csm: int | None = None  # a staff user id; 0 means "no CSM"
    renewal_days: int | None = None
    band: str | None = None  # a key of HEALTH_BANDS
    sort: str = "name"

    @classmethod
    def from_args(cls, args: MultiDict) -> AccountFilters:
        """Parse and check a query string; raises QueryError on anything not allowed."""
        plan = (args.get("plan") or "").strip() or None
        if plan and len(plan) > 50:
            raise QueryError("Plan names are at most 50 characters.")
        band = (args.get("band") or "").strip() or None
        if band is not None and band not in HEALTH_BANDS:
            raise QueryError(f"Unknown health band {band[:30]!r}; use one of {', '.join(HEALTH_BANDS)}.")
        return cls(
            **cls.common_args(args),
            tier=enum_arg(args, "tier", Tier, "tier"),
            plan=plan,
            lifecycle=enum_arg(args, "lifecycle", Lifecycle, "lifecycle stage"),
            csm=int_arg(args, "csm", "CSM owner", 0, 2**31 - 1),
            renewal_days=int_arg(args, "renewal_days", "Renewal within (days)", 0, 3650),
            band=band,
        )

    def where(self) -> list[sa.ColumnElement[bool]]:
        """The WHERE clauses these filters ask for."""
        clauses: list[sa.ColumnElement[bool]] = []
        if self.q:
            clauses.append(
                sa.or_(
                    contains_text(Account.name, self.q),
                    contains_text(Account.domain, self.q),
                    Account.external_id == self.q,
                )
            )
        if self.tier:
            clauses.append(Account.tier == self.tier)
        if self.plan:
            clauses.append(Account.plan == self.plan)
        if self.lifecycle:
            clauses.append(Account.lifecycle_stage == self.lifecycle)
        if self.csm is not None:
            clauses.append(
                Account.csm_owner_id.is_(None) if self.csm == 0 else Account.csm_owner_id == self.csm
            )
        if self.renewal_days is not None:
            today = utcnow().date()
            clauses.append(Account.renewal_date.between(today, today + timedelta(days=self.renewal_days)))
        if self.band == "none":
            clauses.append(portfolio.latest_snapshot_id().is_(None))
        elif self.band == "risky":
            clauses.append(portfolio.latest_band().in_(portfolio.RISKY))
        elif self.band:
            clauses.append(portfolio.latest_band() == self.band)
        return clauses


@dataclass
class AccountRow:
    """One line of the accounts list."""

    account: Account
    contacts: int = 0
    health: portfolio.RowHealth | None = None


@dataclass
class Page:
    """A page of rows with what the pager macro reads."""

    items: list[Any]
    page: int
    per_page: int
    total: int
    capped: bool = False  # the total stopped at COUNT_CAP
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether a previous page exists."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a next page exists."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        """The previous page number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """The next page number."""
        return self.page + 1


def list_accounts(filters: AccountFilters, per_page: int = PER_PAGE) -> Page:
    """One page of accounts with their contact count (the 12-month NPS is on the row), in three queries."""
    where = filters.where()
    total, capped = count_rows(sa.select(Account.id).where(*where), capped=bool(filters.q))
    stmt = (
        sa.select(Account)
        .options(selectinload(Account.csm_owner))
        .where(*where)
        .order_by(*filters.order_by())
        .limit(per_page)
        .offset((filters.page - 1) * per_page)
    )
    accounts = db.session.execute(stmt).scalars().all()
    ids = [a.id for a in accounts]
    counts = contact_counts(ids)
    health = portfolio.health_for(ids)
    rows = [AccountRow(a, counts.get(a.id, 0), health.get(a.id)) for a in accounts]
    extra = {}
    if filters.band or filters.renewal_days is not None:  # what is at stake in a health or renewal view
        arr_sum = sa.select(sa.func.coalesce(sa.func.sum(Account.arr), 0)).where(*where)
        extra["arr"] = int(db.session.execute(arr_sum).scalar_one())
    return Page(rows, filters.page, per_page, total, capped=capped, extra=extra)


def contact_counts(account_ids: list[int]) -> dict[int, int]:
    """Contacts per account for the given accounts."""
    if not account_ids:
        return {}
    rows = db.session.execute(
        sa.select(Contact.account_id, sa.func.count())
        .where(Contact.account_id.in_(account_ids))
        .group_by(Contact.account_id)
    )
    return {row[0]: row[1] for row in rows}


def account_filter_choices() -> dict[str, Any]:
    """Values the accounts filter form offers: plans in use and staff who own accounts."""
    plans = db.session.execute(
        sa.select(Account.plan).where(Account.plan.is_not(None)).distinct().order_by(Account.plan)
    ).scalars()
    return {"plans": list(plans), "owners": csm_candidates()}


def csm_candidates() -> list[User]:
    """Staff who may own accounts (CS managers and admins), by name."""
    return list(
        db.session.execute(
            sa.select(User)
            .where(User.role.in_(["cs", "admin"]), User.is_active_user.is_(True))
            .order_by(User.name, User.email)
        ).scalars()
    )
