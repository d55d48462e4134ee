"""Health from the database: as-of inputs (later data ignored), silence as missing, follow-ups read,
one snapshot per account and day, and the backtest command's JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.health import model
from app.health.inputs import measure
from app.health.services import backtest, recompute_health
from app.models import DeliveryState, FollowUp, HealthSnapshot, Lifecycle
from tests.factories import make_account, make_contact, make_invitation, make_response, make_survey

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def test_inputs_ignore_data_created_after_the_as_of_date(db_session):
    nps = make_survey("nps")
    acct = make_account(lifecycle_stage=Lifecycle.AT_RISK)  # a stage is never an input
    contact = make_contact(acct)
    make_response(nps, score=10, account=acct, contact=contact, created_at=AS_OF - timedelta(days=10))
    before = measure([acct.id], AS_OF)[acct.id]
    make_response(nps, score=0, account=acct, contact=contact, created_at=AS_OF + timedelta(days=1))
    make_response(make_survey("csat"), score=1, account=acct, created_at=AS_OF + timedelta(hours=1))
    assert measure([acct.id], AS_OF)[acct.id] == before
    assert before["csat"] is None and before["nps"] > 0
    later = measure([acct.id], AS_OF + timedelta(days=2))[acct.id]
    assert later["nps"] < before["nps"] and later["csat"] == 0  # the contact's latest answer now counts


def test_nothing_sent_is_missing_not_zero_and_follow_ups_count(db_session):
    nps = make_survey("nps")
    quiet, asked = make_account(), make_account()
    contact = make_contact(asked)
    for answered in (True, False, False, False):
        inv, _ = make_invitation(
            nps, contact=contact, state=DeliveryState.SENT, sent_at=AS_OF - timedelta(days=20)
        )
        inv.responded_at = AS_OF - timedelta(days=19) if answered else None
    response = make_response(
        nps, score=2, account=asked, contact=contact, created_at=AS_OF - timedelta(days=19)
    )
    db.session.add(
        FollowUp(
            response_id=response.id,
            account_id=asked.id,
            reason="detractor",
            due_at=AS_OF - timedelta(days=1),
            created_at=AS_OF - timedelta(days=19),
        )
    )
    db.session.flush()
    raw = measure([quiet.id, asked.id], AS_OF)
    assert raw[quiet.id]["silence"] is None and raw[asked.id]["silence"] == 0.25
    assert raw[quiet.id]["followups"] == 0 and raw[asked.id]["followups"] == 2  # one open, overdue: twice


def test_one_snapshot_per_account_and_day_with_coverage_and_why(db_session):
    nps = make_survey("nps")
    acct = make_account(renewal_date=date(2026, 7, 1))
    make_response(nps, score=9, account=acct, created_at=AS_OF - timedelta(days=40))
    recompute_health(AS_OF - timedelta(days=30), [acct.id])
    make_response(nps, score=0, account=acct, created_at=AS_OF - timedelta(days=2))
    recompute_health(AS_OF, [acct.id])
    recompute_health(AS_OF, [acct.id])  # idempotent: today's snapshot replaced, not doubled
    snaps = (
        db.session.execute(
            sa.select(HealthSnapshot)
            .where(HealthSnapshot.account_id == acct.id)
            .order_by(HealthSnapshot.as_of)
        )
        .scalars()
        .all()
    )
    assert [s.as_of for s in snaps] == [date(2026, 5, 2), date(2026, 6, 1)]
    latest = snaps[-1]
    assert 0 < latest.coverage < 1 and latest.model_version == model.VERSION
    assert latest.band.value == "insufficient"  # NPS, follow-ups and renewal are under half the weight
    assert "since last month" in latest.drivers["why"] and "renewal in 30 days" in latest.drivers["why"]


def test_backtest_command_prints_the_agreed_keys(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["health", "backtest", "--json", "--months", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"auc", "auc_low", "auc_high", "baseline_auc", "n_accounts", "n_churned"} <= set(data)


def test_backtest_sees_foreseeable_churn(db_session):
    """Accounts whose people turned detractors churn; the quiet happy ones do not: AUC 1 on this toy."""
    nps = make_survey("nps")
    today = date(2026, 6, 15)
    for i in range(6):
        churns = i < 2
        acct = make_account(churned_on=date(2026, 5, 20) if churns else None)
        acct.created_at = datetime(2025, 1, 1, tzinfo=UTC)
        for k in range(3):
            make_response(
                nps,
                score=1 if churns else 10,
                account=acct,
                contact=make_contact(acct),
                created_at=datetime(2026, 2, 1 + k, tzinfo=UTC),
            )
    db.session.flush()
    result = backtest(months=3, horizon_days=90, boot=50, today=today)
    assert result["auc"] == 1.0 and result["n_churned"] == 2 and result["n_accounts"] == 6


def test_account_page_shows_health_with_its_why_and_components(viewer_client, rows):
    def build():
        nps = make_survey("nps")
        acct = make_account(name="Beacon Energy")
        make_response(nps, score=9, account=acct, created_at=AS_OF - timedelta(days=40))
        recompute_health(AS_OF - timedelta(days=30), [acct.id])
        make_response(nps, score=0, account=acct, created_at=AS_OF - timedelta(days=2))
        recompute_health(AS_OF, [acct.id])
        return [acct]

    (account_id,) = rows(build)
    html = viewer_client.get(f"/accounts/{account_id}").get_data(as_text=True)
    assert "Insufficient data" in html and "since last month" in html
    assert "Response rate (180 days)" in html and "missing" in html and 'class="spark"' in html


def test_account_page_without_snapshots_says_how_they_come(viewer_client, rows):
    (account_id,) = rows(lambda: [make_account()])
    assert "No health snapshot yet" in viewer_client.get(f"/accounts/{account_id}").get_data(as_text=True)


def test_a_band_change_is_told_to_webhooks_once(db_session):
    from app.models import WebhookEndpoint, WebhookMessage
    from app.webhooks.signing import new_secret

    db.session.add(
        WebhookEndpoint(url="https://hooks.example.com/x", events=["health.changed"], secret=new_secret())
    )
    # NPS, CSAT, follow-ups and renewal measured: over half the weight, so a real band
    nps, csat = make_survey("nps"), make_survey("csat")
    acct = make_account(renewal_date=date(2026, 9, 1))
    for k in range(6):
        make_response(
            nps, score=10, account=acct, contact=make_contact(acct), created_at=AS_OF - timedelta(days=60 + k)
        )
        make_response(csat, score=5, account=acct, created_at=AS_OF - timedelta(days=60 + k))
    recompute_health(AS_OF - timedelta(days=30), [acct.id])
    first = db.session.execute(
        sa.select(HealthSnapshot.band).where(HealthSnapshot.account_id == acct.id)
    ).scalar()
    for k in range(12):
        make_response(
            nps,
            score=0,
            account=acct,
            contact=make_contact(acct),
            created_at=AS_OF - timedelta(days=2, hours=k),
        )
        make_response(csat, score=1, account=acct, created_at=AS_OF - timedelta(days=2, hours=k))
    recompute_health(AS_OF, [acct.id])
    recompute_health(AS_OF, [acct.id])  # the day's second run: same band, nothing more to tell
    latest = db.session.execute(
        sa.select(HealthSnapshot.band).where(
            HealthSnapshot.account_id == acct.id, HealthSnapshot.as_of == date(2026, 6, 1)
        )
    ).scalar()
    told = (
        db.session.execute(sa.select(WebhookMessage).where(WebhookMessage.event_type == "health.changed"))
        .scalars()
        .all()
    )
    assert first != latest
    assert [(m.payload["data"]["previous_band"], m.payload["data"]["band"]) for m in told] == [
        (first.value, latest.value)
    ]
    assert told[0].payload["data"]["account_id"] == acct.id


def test_arr_trend_reads_the_history_recorded_by_then(db_session):
    from app.models import ArrChange

    grew, shrank, new, unknown = (make_account() for _ in range(4))

    def change(acct, old, new_arr, day, created=None):
        db.session.add(
            ArrChange(
                account_id=acct.id,
                old_arr=old,
                new_arr=new_arr,
                effective_on=day,
                source="edit",
                created_at=created or datetime.combine(day, datetime.min.time(), tzinfo=UTC),
            )
        )

    change(grew, None, 1000, date(2024, 1, 1))
    change(grew, 1000, 1200, date(2026, 3, 1))
    change(shrank, None, 1000, date(2024, 1, 1))
    change(shrank, 1000, 700, date(2026, 5, 1))
    change(shrank, 700, 100, date(2026, 5, 20), created=AS_OF + timedelta(days=3))  # recorded later: unseen
    change(new, None, 500, date(2026, 4, 1))  # a customer for under 180 days: no trend yet
    db.session.flush()
    raw = measure([grew.id, shrank.id, new.id, unknown.id], AS_OF)
    assert abs(raw[grew.id]["arr_trend"] - 0.2) < 1e-9 and abs(raw[shrank.id]["arr_trend"] + 0.3) < 1e-9
    assert raw[new.id]["arr_trend"] is None and raw[unknown.id]["arr_trend"] is None


def test_backtest_ignores_later_data_and_lifecycle_stages(db_session):
    """The same result whatever happens after the as-of dates' horizon, and whatever the stages say."""
    nps = make_survey("nps")
    today = date(2026, 6, 15)
    accounts = []
    for i in range(8):
        churns = i < 3
        acct = make_account(churned_on=date(2026, 4, 10 + i) if churns else None)
        acct.created_at = datetime(2025, 1, 1, tzinfo=UTC)
        accounts.append(acct)
        for k in range(2):
            make_response(
                nps,
                score=(2 + i) if churns else (6 + i % 5),
                account=acct,
                contact=make_contact(acct),
                created_at=datetime(2026, 1, 5 + k + i, tzinfo=UTC),
            )
    db.session.flush()
    before = backtest(months=4, horizon_days=60, boot=50, today=today)
    for acct in accounts:  # a stage saying exactly who churned changes nothing: it is never an input
        acct.lifecycle_stage = Lifecycle.CHURNED if acct.churned_on else Lifecycle.AT_RISK
    for acct in accounts[3:]:  # answers after the last as-of date: unseen
        make_response(
            nps,
            score=0,
            account=acct,
            contact=make_contact(acct),
            created_at=datetime(2026, 6, 10, tzinfo=UTC),
        )
    db.session.flush()
    assert backtest(months=4, horizon_days=60, boot=50, today=today) == before
    assert before["n_churned"] == 3 and before["auc"] is not None


def test_backtest_page_for_admins(admin_client, cs_client):
    html = admin_client.get("/health/backtest").get_data(as_text=True)
    assert "Run the backtest" in html and "Health AUC" not in html
    resp = admin_client.get("/health/backtest?run=1&months=2&horizon=90")
    assert resp.status_code == 200 and "Churn rate by band" in resp.get_data(as_text=True)
    assert admin_client.get("/health/backtest?run=1&months=99").status_code == 400
    assert admin_client.get("/health/backtest?version=77").status_code == 404
    assert cs_client.get("/health/backtest").status_code == 403


def test_history_writes_a_snapshot_a_week_from_each_days_own_data_and_reruns_in_place(db_session):
    from app.health.services import recompute_history

    nps = make_survey("nps")
    acct = make_account()
    make_response(nps, score=10, account=acct, created_at=AS_OF - timedelta(days=20))
    make_response(nps, score=0, account=acct, created_at=AS_OF - timedelta(days=3))

    assert recompute_history(weeks=4, now=AS_OF) == 5
    assert recompute_history(weeks=4, now=AS_OF) == 5  # the same days again: replaced, not doubled
    snaps = (
        db.session.execute(
            sa.select(HealthSnapshot)
            .where(HealthSnapshot.account_id == acct.id)
            .order_by(HealthSnapshot.as_of)
        )
        .scalars()
        .all()
    )
    assert [s.as_of for s in snaps] == [(AS_OF - timedelta(weeks=w)).date() for w in range(4, -1, -1)]
    # each week saw only the answers made by then: none four weeks ago, the promoter two weeks ago,
    # the detractor only in the last
    raws = [s.components["raw"].get("nps") for s in snaps]
    assert raws[0] is None and raws[2] is not None and raws[2] != raws[4]
