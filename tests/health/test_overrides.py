"""Manual overrides (a reason and an expiry of at most 90 days, shown with author and expiry, ending by
themselves, removable, audited) and churn recorded with its date and reason."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.health import overrides as ov
from app.models import Account, AuditEvent, HealthOverride, Lifecycle
from tests.factories import make_account


def _today(app) -> date:
    with app.app_context():
        return ov.local_today()


def _override(**kw) -> dict[str, str]:
    return {"band": "at_risk", "override_reason": "Champion left; exec sponsor silent", **kw}


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_an_override_needs_a_reason_and_an_expiry_within_90_days(app, cs_client, rows):
    account_id = rows(lambda: make_account(name="Beacon Energy"))
    page = f"/accounts/{account_id}"
    url = f"/health/accounts/{account_id}/override"
    today = _today(app)
    cs_client.get(page)
    for data, message in (
        (_override(**{"expires_on": (today + timedelta(days=91)).isoformat()}), "at most 90 days"),
        (_override(**{"expires_on": today.isoformat()}), "The expiry must be after today."),
        (_override(**{"expires_on": ""}), "Give the date the override ends"),
        (
            _override(**{"override_reason": "  ", "expires_on": (today + timedelta(days=5)).isoformat()}),
            "Say why health is overridden.",
        ),
        (
            _override(
                **{
                    "band": "insufficient",
                    "expires_on": (today + timedelta(days=5)).isoformat(),
                }
            ),
            "Not a valid choice",
        ),
    ):
        resp = cs_client.post(url, data=data, page=page)
        assert resp.status_code == 422, data
        assert message in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(HealthOverride)).scalar() == 0


def test_an_override_shows_with_reason_author_expiry_and_can_be_removed(app, cs_client, viewer_client, rows):
    account_id = rows(lambda: make_account(name="Beacon Energy"))
    page = f"/accounts/{account_id}"
    until = _today(app) + timedelta(days=90)
    cs_client.get(page)
    resp = cs_client.post(
        f"/health/accounts/{account_id}/override",
        data=_override(**{"expires_on": until.isoformat()}),
    )
    assert resp.status_code == 303
    html = viewer_client.get(page).get_data(as_text=True)
    assert "At risk (override)" in html and "Champion left; exec sponsor silent" in html
    assert f"until {until.isoformat()}" in html and "Remove override now" not in html  # viewers only read
    listing = viewer_client.get("/health/overrides").get_data(as_text=True)
    assert "Beacon Energy" in listing and "At risk (override)" in listing
    accounts = viewer_client.get("/accounts").get_data(as_text=True)  # the accounts list shows it too
    assert "At risk (override)" in accounts and f"until {until.isoformat()}" in accounts
    cs_client.get(page)
    assert cs_client.post(f"/health/accounts/{account_id}/override/remove").status_code == 303
    assert "(override)" not in viewer_client.get(page).get_data(as_text=True)
    assert cs_client.post(f"/health/accounts/{account_id}/override/remove", csrf="session").status_code == 409
    assert _actions(app)[-2:] == ["health_override.set", "health_override.remove"]


def test_a_new_override_replaces_the_old_one(db_session):
    account = make_account()
    today = ov.local_today()
    first = ov.set_override(account, "watch", "one", today + timedelta(days=3), None)
    second = ov.set_override(account, "healthy", "two", today + timedelta(days=9), None)
    assert first.end_reason == "replaced" and ov.active_override(account.id) is second


def test_an_override_expires_by_itself(db_session):
    account = make_account()
    today = ov.local_today()
    override = ov.set_override(account, "watch", "renewal call went well", today + timedelta(days=2), None)
    assert ov.active_override(account.id, today + timedelta(days=1)) is override
    # on read: from its expiry day on it is no longer in force, even before the job ran
    assert ov.active_override(account.id, today + timedelta(days=2)) is None
    assert ov.active_overrides([account.id], today + timedelta(days=2)) == {}
    assert ov.expire_overrides(today + timedelta(days=1)) == 0
    assert ov.expire_overrides(today + timedelta(days=2)) == 1
    assert ov.expire_overrides(today + timedelta(days=3)) == 0  # idempotent
    assert override.end_reason == "expired" and override.ended_at is not None
    actions = db.session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert "health_override.expire" in actions


def test_churn_is_recorded_with_date_and_reason(app, cs_client, viewer_client, rows):
    account_id = rows(lambda: make_account(name="Beacon Energy", lifecycle_stage=Lifecycle.RENEWAL))
    page = f"/accounts/{account_id}"
    url = f"/health/accounts/{account_id}/churn"
    today = _today(app)
    cs_client.get(page)
    bad = [
        (
            {"churned_on": (today + timedelta(days=1)).isoformat(), "churn_reason": "x"},
            "cannot be in the future",
        ),
        ({"churned_on": today.isoformat(), "churn_reason": " "}, "Say why the account churned."),
        ({"churned_on": "31/02/2026", "churn_reason": "x"}, "Not a valid date value."),
        ({"churned_on": today.isoformat(), "churn_reason": "x" * 501}, "At most 500 characters."),
    ]
    for data, message in bad:
        resp = cs_client.post(url, data=data, page=page)
        assert resp.status_code == 422 and message in resp.get_data(as_text=True), data
    with app.app_context():
        assert db.session.get(Account, account_id).churned_on is None
    day = today - timedelta(days=3)
    resp = cs_client.post(
        url, data={"churned_on": day.isoformat(), "churn_reason": "Moved to a competitor"}, page=page
    )
    assert resp.status_code == 303
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert account.churned_on == day and account.churn_reason == "Moved to a competitor"
        assert account.lifecycle_stage == Lifecycle.CHURNED
    assert f"Churned on {day.isoformat()}: Moved to a competitor" in viewer_client.get(page).get_data(
        as_text=True
    )
    cs_client.get(page)
    assert cs_client.post(f"/health/accounts/{account_id}/churn/clear").status_code == 303
    with app.app_context():
        assert db.session.get(Account, account_id).churned_on is None
    assert _actions(app)[-2:] == ["account.churn", "account.unchurn"]


def test_viewers_and_pms_cannot_override_or_record_churn(viewer_client, pm_client, rows):
    account_id = rows(lambda: make_account())
    for client in (viewer_client, pm_client):
        html = client.get(f"/accounts/{account_id}").get_data(as_text=True)
        assert "Override health" not in html and "Record churn" not in html
        for url in ("override", "override/remove", "churn", "churn/clear"):
            assert client.post(f"/health/accounts/{account_id}/{url}", csrf="session").status_code == 403


def test_unknown_account_is_a_404(cs_client):
    cs_client.get("/health/overrides")
    resp = cs_client.post("/health/accounts/999999/override", data=_override(), csrf="session")
    assert resp.status_code == 404
