"""Workspace settings with defaults: read by services, edited by admins on the settings page."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Setting

# The workspace's settings are read once per transaction (one SELECT for all of them) and kept in the
# session's info until it commits or rolls back: pages and jobs ask for the time zone dozens of times,
# and a setting left at its default has no row, so the identity map could not spare those queries.
_CACHE_KEY = "clearloop.workspace_settings"

DEFAULTS: dict[str, Any] = {
    "company_name": "Clearloop Demo Co.",
    "quarantine_days": 90,  # a contact surveyed more recently than this is skipped
    "reminder_delay_days": 3,
    "invitation_expiry_days": 30,
    "followup_sla_business_days": 2,  # a follow-up is due this many business days after the answer
    "followup_holiday_country": "",  # ISO code for the `holidays` package ("" = weekends only)
    "followup_day_start_hour": 9,  # an answer on a weekend or holiday starts its clock at this local hour
    "followup_default_owner_id": None,  # follow-ups of accounts without a CSM (None: the first admin)
    "followup_admin_escalation_days": 1,  # business days overdue before the admins are told too
    "followup_rules_seeded": False,  # the default rules were created once (admins may delete them)
    "timezone": "UTC",  # IANA name; days, weeks and SLAs are counted in this zone
    "alert_arr_threshold": 100_000,  # a detractor at an account with this ARR or more alerts; 0 = off
    "retention_months": 0,  # responses older than this are anonymised or deleted daily; 0 = keep forever
    "retention_mode": "anonymise",  # or "delete"
}
_ALL_SETTINGS = sa.select(Setting.__table__.c.key, Setting.__table__.c.value)  # Core: no ORM step per read


def get_setting(key: str) -> Any:
    """The stored value of a setting, or its default."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    stored = db.session.info.get(_CACHE_KEY)
    if stored is None:
        # every row (the table holds a dozen): a statement built once, with no IN list to expand per call
        stored = db.session.info[_CACHE_KEY] = dict(db.session.execute(_ALL_SETTINGS).all())
    return stored.get(key, DEFAULTS[key])


def setting_is_set(key: str) -> bool:
    """Whether an admin ever stored this setting (False: its default is in use)."""
    return db.session.get(Setting, key) is not None


def all_settings() -> dict[str, Any]:
    """Every setting with its current value."""
    stored = {row.key: row.value for row in db.session.execute(sa.select(Setting)).scalars()}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def set_settings(values: dict[str, Any]) -> None:
    """Store settings (known keys only) in the caller's transaction; the caller commits."""
    db.session.info.pop(_CACHE_KEY, None)
    for key, value in values.items():
        if key not in DEFAULTS:
            raise KeyError(f"unknown setting {key!r}")
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value))
        else:
            row.value = value


def workspace_timezone() -> ZoneInfo:
    """The workspace's time zone (UTC when unset or unknown): local days and weeks are counted in it."""
    try:
        return ZoneInfo(str(get_setting("timezone")))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_cached_settings(session: Session, *_: Any) -> None:
    """A new transaction reads the settings afresh (another process may have changed them): any
    transaction's end (commit, rollback, close; a savepoint's too, to be safe) forgets them."""
    session.info.pop(_CACHE_KEY, None)
