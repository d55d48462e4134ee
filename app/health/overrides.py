"""Manual health overrides (a band, a reason, an expiry at most 90 days ahead) and recorded churn.

An override never changes the computed snapshots: it is shown beside them, and ends when removed, replaced
by a newer one, or past its expiry (read as ended at once; the daily job then marks it, audited).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import has_request_context

from app import timefmt
from app.audit import audit
from app.extensions import db
from app.models import Account, HealthBand, HealthOverride, Lifecycle, utcnow
from app.workspace_settings import workspace_timezone


def local_today() -> date:
    """Today in the workspace time zone (expiries and churn dates are local days); in a request the zone
    is read once (app.timefmt keeps it for the request)."""
    zone = timefmt._zone() if has_request_context() else workspace_timezone()
    return datetime.now(zone).date()


def _active(today: date) -> list[sa.ColumnElement[bool]]:
    return [HealthOverride.ended_at.is_(None), HealthOverride.expires_on > today]


def active_override(account_id: int, today: date | None = None) -> HealthOverride | None:
    """The account's override in force today, if any."""
    return db.session.execute(
        sa.select(HealthOverride)
        .where(HealthOverride.account_id == account_id, *_active(today or local_today()))
        .order_by(HealthOverride.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def active_overrides(
    account_ids: list[int] | None = None, today: date | None = None
) -> dict[int, HealthOverride]:
    """Overrides in force today by account (all accounts when ``account_ids`` is None), for lists."""
    stmt = sa.select(HealthOverride).where(*_active(today or local_today()))
    if account_ids is not None:
        if not account_ids:
            return {}
        stmt = stmt.where(HealthOverride.account_id.in_(account_ids))
    return {o.account_id: o for o in db.session.execute(stmt.order_by(HealthOverride.created_at)).scalars()}


def set_override(account: Account, band: str, reason: str, expires_on: date, actor_id: int) -> HealthOverride:
    """Override the account's band until ``expires_on`` (the form checked the limits); ends the one before."""
    now = utcnow()
    previous = active_override(account.id)
    if previous is not None:
        previous.ended_at, previous.ended_by_id, previous.end_reason = now, actor_id, "replaced"
    override = HealthOverride(
        account_id=account.id,
        band=HealthBand(band),
        reason=reason.strip(),
        expires_on=expires_on,
        created_by_id=actor_id,
        created_at=now,
    )
    db.session.add(override)
    db.session.flush()
    audit(
        actor_id,
        "health_override.set",
        "account",
        account.id,
        band=band,
        reason=override.reason,
        expires_on=expires_on.isoformat(),
        replaced=previous.id if previous else None,
    )
    return override


def remove_override(account: Account, actor_id: int) -> HealthOverride | None:
    """End the account's override early; None when there was none in force."""
    override = active_override(account.id)
    if override is None:
        return None
    override.ended_at, override.ended_by_id, override.end_reason = utcnow(), actor_id, "removed"
    audit(actor_id, "health_override.remove", "account", account.id, override=override.id)
    return override


def expire_overrides(today: date | None = None) -> int:
    """Mark the overrides past their expiry as ended (the daily job); each audited. Idempotent."""
    today = today or local_today()
    due = list(
        db.session.execute(
            sa.select(HealthOverride).where(
                HealthOverride.ended_at.is_(None), HealthOverride.expires_on <= today
            )
        ).scalars()
    )
    now = utcnow()
    for override in due:
        override.ended_at, override.end_reason = now, "expired"
        audit(None, "health_override.expire", "account", override.account_id, override=override.id)
    return len(due)


def record_churn(account: Account, churned_on: date, reason: str, actor_id: int) -> None:
    """Record that the account churned on a day and why (its stage becomes churned), audited."""
    before = (account.churned_on.isoformat() if account.churned_on else None, account.churn_reason)
    account.churned_on, account.churn_reason = churned_on, reason.strip()
    account.lifecycle_stage = Lifecycle.CHURNED
    audit(
        actor_id,
        "account.churn",
        "account",
        account.id,
        churned_on=churned_on.isoformat(),
        reason=account.churn_reason,
        before={"churned_on": before[0], "reason": before[1]},
    )


def clear_churn(account: Account, actor_id: int) -> bool:
    """Undo a churn recorded by mistake (the stage is left for a person to set); False if none was set."""
    if account.churned_on is None:
        return False
    audit(
        actor_id,
        "account.unchurn",
        "account",
        account.id,
        churned_on=account.churned_on.isoformat(),
        reason=account.churn_reason,
    )
    account.churned_on, account.churn_reason = None, None
    if account.lifecycle_stage == Lifecycle.CHURNED:
        account.lifecycle_stage = None
    return True
