"""ARR history and revenue retention.

Every write of an account's ARR (the edit form, the CSV import, the API) adds an ``ArrChange`` row in the
same transaction: before, after, the local day it takes effect, the source and who. Gross and net revenue
retention are computed from those rows:

    cohort   = accounts with ARR > 0 on the period's first day (start ARR S)
    end ARR  = each cohort account's ARR on the period's last day (E; 0 once churned)
    GRR      = Σ min(E, S) / Σ S     (what was kept: contraction and churn count, expansion does not)
    NRR      = Σ E / Σ S             (expansion counts too)

"Surveyed accounts" are the cohort accounts with at least one survey answer on or before the last day.
An account's ARR on a day is the ``new_arr`` of its last change effective on or before that day; before
its first recorded change it is that change's ``old_arr`` (0 for a creation); an account with no
recorded change has its current ARR from the day it was created.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, ArrChange, ArrSource, Response
from app.workspace_settings import workspace_timezone


def local_today() -> date:
    """Today in the workspace time zone (the day an ARR change takes effect)."""
    return datetime.now(workspace_timezone()).date()


def record_arr_changes(
    changes: list[tuple[int, int | None, int]], source: ArrSource | str, actor_id: int | None
) -> int:
    """Add ArrChange rows for (account id, old ARR or None when created, new ARR) in the caller's
    transaction; unchanged values are skipped. Returns how many were recorded."""
    today = local_today()
    rows = [
        {
            "account_id": account_id,
            "old_arr": old,
            "new_arr": new,
            "effective_on": today,
            "source": ArrSource(source),
            "actor_id": actor_id,
        }
        for account_id, old, new in changes
        if new is not None and old != new and not (old is None and new == 0)
    ]
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(ArrChange), rows[start : start + 1000])
    return len(rows)


def arr_history(account_id: int, limit: int = 100) -> list[ArrChange]:
    """An account's ARR changes, newest first."""
    return list(
        db.session.execute(
            sa.select(ArrChange)
            .where(ArrChange.account_id == account_id)
            .order_by(ArrChange.effective_on.desc(), ArrChange.id.desc())
            .limit(limit)
        ).scalars()
    )


@dataclass(frozen=True)
class AccountArr:
    """What ARR-on-a-day needs to know about one account."""

    id: int
    arr: int
    created_on: date
    churned_on: date | None
    changes: tuple[tuple[date, int | None, int], ...]  # (effective_on, old, new), oldest first


def arr_on(account: AccountArr, day: date) -> int:
    """The account's ARR on ``day`` (see the module docstring)."""
    if account.churned_on is not None and account.churned_on <= day:
        return 0
    before = [c for c in account.changes if c[0] <= day]
    if before:
        return before[-1][2]
    if account.changes:
        return account.changes[0][1] or 0
    return account.arr if account.created_on <= day else 0


@dataclass(frozen=True)
class Retention:
    """Revenue retention of one cohort over a period."""

    start: date
    end: date
    accounts: int
    start_arr: int
    end_arr: int
    kept_arr: int  # Σ min(E, S)
    churned: int  # cohort accounts at 0 on the last day

    @property
    def grr(self) -> float | None:
        """Gross revenue retention in percent (None for an empty cohort)."""
        return 100 * self.kept_arr / self.start_arr if self.start_arr else None

    @property
    def nrr(self) -> float | None:
        """Net revenue retention in percent (None for an empty cohort)."""
        return 100 * self.end_arr / self.start_arr if self.start_arr else None


def retention_of(accounts: list[AccountArr], start: date, end: date) -> Retention:
    """GRR and NRR of the accounts with ARR > 0 on ``start``, measured on ``end``."""
    n = start_total = end_total = kept = churned = 0
    for account in accounts:
        s = arr_on(account, start)
        if s <= 0:
            continue
        e = arr_on(account, end)
        n += 1
        start_total += s
        end_total += e
        kept += min(e, s)
        churned += e == 0
    return Retention(start, end, n, start_total, end_total, kept, churned)


def load_accounts(account_ids: list[int] | None = None) -> list[AccountArr]:
    """Every account (or the given ones) with its ARR changes, in two queries."""
    stmt = sa.select(Account.id, Account.arr, Account.created_at, Account.churned_on)
    changes_stmt = sa.select(
        ArrChange.account_id, ArrChange.effective_on, ArrChange.old_arr, ArrChange.new_arr
    ).order_by(ArrChange.account_id, ArrChange.effective_on, ArrChange.id)
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(account_ids))
        changes_stmt = changes_stmt.where(ArrChange.account_id.in_(account_ids))
    by_account: dict[int, list[tuple[date, int | None, int]]] = defaultdict(list)
    for account_id, effective_on, old, new in db.session.execute(changes_stmt):
        by_account[account_id].append((effective_on, old, new))
    tz = workspace_timezone()
    return [
        AccountArr(
            row.id,
            row.arr or 0,
            row.created_at.astimezone(tz).date(),
            row.churned_on,
            tuple(by_account.get(row.id, ())),
        )
        for row in db.session.execute(stmt)
    ]


def surveyed_ids(until: date) -> set[int]:
    """Accounts with at least one survey answer on or before ``until`` (local day, a day of margin)."""
    limit = datetime.combine(until + timedelta(days=1), datetime.min.time(), workspace_timezone())
    return set(
        db.session.execute(
            sa.select(Response.account_id)
            .where(Response.account_id.is_not(None), Response.created_at < limit)
            .distinct()
        ).scalars()
    )


@dataclass(frozen=True)
class RetentionReport:
    """Retention of surveyed accounts next to every account, over one period."""

    surveyed: Retention
    everyone: Retention
    months: int


def retention_report(months: int = 12, end: date | None = None) -> RetentionReport:
    """GRR and NRR over the last ``months`` months ending ``end`` (today), surveyed accounts and all."""
    end = end or local_today()
    start = _months_before(end, months)
    accounts = load_accounts()
    surveyed = surveyed_ids(end)
    return RetentionReport(
        retention_of([a for a in accounts if a.id in surveyed], start, end),
        retention_of(accounts, start, end),
        months,
    )


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 - months, 12)
    year += day.year
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))
