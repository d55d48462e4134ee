"""Use cases of account health, called alike by routes, commands and jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.metrics import NpsCounts, shrunk_nps
from app.models import Account, Response, ResponseRollup, SurveyKind, utcnow
from app.trends.queries import Counts, grouped_counts
from app.workspace_settings import workspace_timezone

NPS_WINDOW_DAYS = 365
RECENT_MINUTES = 10  # the periodic refresh looks this far back (it runs every 5 minutes)


def _window() -> tuple[Any, Any]:
    today = datetime.now(workspace_timezone()).date()
    return today - timedelta(days=NPS_WINDOW_DAYS - 1), today


def tier_priors() -> dict[Any, NpsCounts]:
    """The NPS counts of each tier over the window (None: every account), the prior accounts shrink to."""
    start, end = _window()
    by_tier = grouped_counts(
        SurveyKind.NPS,
        start,
        end,
        [Account.tier],
        ResponseRollup.account_key != 0,
        joins=[(Account, Account.id == ResponseRollup.account_key)],
    )
    overall = sum(by_tier.values(), Counts.empty())
    priors = {key[0]: counts.nps_counts() for key, counts in by_tier.items() if key[0] is not None}
    priors[None] = overall.nps_counts()
    return priors


def refresh_account_nps(account_ids: list[int] | None = None) -> int:
    """Store each account's 12-month NPS (n, raw, shrunk toward its tier); all accounts when None."""
    start, end = _window()
    where = [ResponseRollup.account_key.in_(account_ids)] if account_ids is not None else []
    counts = grouped_counts(SurveyKind.NPS, start, end, [ResponseRollup.account_key], *where)
    priors = tier_priors()
    stmt = sa.select(Account.id, Account.tier, Account.nps_n, Account.nps_shrunk)
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(account_ids))
    changes = []
    for account_id, tier, old_n, old_shrunk in db.session.execute(stmt):
        c = counts.get((account_id,), Counts.empty()).nps_counts()
        if c.n == 0:
            values = (0, None, None)
        else:
            prior = priors.get(tier) if priors.get(tier) and priors[tier].n else priors[None]
            raw = 100 * (c.promoters - c.detractors) / c.n
            values = (c.n, raw, shrunk_nps(c, prior))
        if (old_n, old_shrunk) != (values[0], values[2]):
            changes.append({"aid": account_id, "n": values[0], "raw": values[1], "shrunk": values[2]})
    if changes:
        table = Account.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("aid"))
            .values(
                nps_n=sa.bindparam("n"),
                nps_raw=sa.bindparam("raw"),
                nps_shrunk=sa.bindparam("shrunk"),
                updated_at=table.c.updated_at,  # a derived figure: the account itself did not change
            ),
            changes,
        )
    return len(changes)


def refresh_recent() -> dict[str, int]:
    """Periodic (debounced per account): refresh the accounts that got answers in the last minutes."""
    since = utcnow() - timedelta(minutes=RECENT_MINUTES)
    ids = list(
        db.session.execute(
            sa.select(Response.account_id)
            .where(Response.created_at >= since, Response.account_id.is_not(None))
            .distinct()
        ).scalars()
    )
    changed = refresh_account_nps(ids) if ids else 0
    db.session.commit()
    return {"accounts": len(ids), "changed": changed}


def refresh_all() -> dict[str, int]:
    """Daily: refresh every account (the 12-month window moves with the days)."""
    changed = refresh_account_nps()
    db.session.commit()
    return {"changed": changed}
