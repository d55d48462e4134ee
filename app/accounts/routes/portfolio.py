"""The portfolio page: where a CS manager sees revenue retention, ARR at risk, renewals in danger, and how
scores, topics and health differ by lifecycle stage and revenue tier. Every staff role reads it."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from app.access import staff_required
from app.accounts import bp
from app.accounts import portfolio as views
from app.accounts.arr import retention_report

RETENTION_MONTHS = {3: "3 months", 6: "6 months", 12: "12 months", 24: "24 months"}


@bp.route("/accounts/portfolio")
@staff_required
def portfolio() -> ResponseReturnValue:
    """Portfolio health: retention, ARR at risk, renewals at risk, and the breakdowns."""
    raw = request.args.get("months", "12")
    months = int(raw) if raw.isdigit() and int(raw) in RETENTION_MONTHS else None
    if months is None:
        return render_template(
            "accounts/portfolio.html",
            error=f"Retention is measured over {', '.join(RETENTION_MONTHS.values())}; pick one of those.",
            months=12,
            periods=RETENTION_MONTHS,
            retention=None,
            bands=None,
        ), 400
    return render_template(
        "accounts/portfolio.html",
        error=None,
        months=months,
        periods=RETENTION_MONTHS,
        retention=retention_report(months),
        bands=views.arr_by_band(),
        renewals=views.renewals_at_risk(),
        renewal_days=views.RENEWAL_DAYS,
        stages=views.by_lifecycle(),
        tiers=views.by_tier(),
    )
