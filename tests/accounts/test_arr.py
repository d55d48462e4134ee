"""ARR history (every write path records its changes) and gross / net revenue retention from it."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts.arr import AccountArr, arr_on, retention_of, retention_report
from app.extensions import db
from app.models import ArrChange, ArrSource, utcnow
from tests.accounts.conftest import text
from tests.factories import make_account, make_response, make_survey

D = date(2026, 1, 1)


def acct(i, arr=0, created=date(2020, 1, 1), churned=None, changes=()):
    return AccountArr(i, arr, created, churned, tuple(changes))


def test_arr_on_a_day_follows_the_history():
    a = acct(1, arr=150, changes=[(date(2025, 6, 1), 100, 120), (date(2025, 9, 1), 120, 150)])
    assert arr_on(a, date(2025, 1, 1)) == 100  # before the first change: its "before"
    assert arr_on(a, date(2025, 6, 1)) == 120  # effective that day
    assert arr_on(a, date(2025, 12, 31)) == 150
    created = acct(2, arr=50, changes=[(date(2025, 6, 1), None, 50)])
    assert arr_on(created, date(2025, 5, 31)) == 0 and arr_on(created, date(2025, 6, 1)) == 50
    plain = acct(3, arr=70, created=date(2025, 3, 1))
    assert arr_on(plain, date(2025, 2, 28)) == 0 and arr_on(plain, date(2025, 3, 1)) == 70
    churned = acct(4, arr=70, churned=date(2025, 7, 1))
    assert arr_on(churned, date(2025, 6, 30)) == 70 and arr_on(churned, date(2025, 7, 1)) == 0


def test_grr_and_nrr_known_answer():
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    accounts = [
        acct(1, changes=[(date(2024, 1, 1), None, 100), (date(2025, 5, 1), 100, 120)]),  # expands
        acct(2, changes=[(date(2024, 1, 1), None, 100), (date(2025, 5, 1), 100, 50)]),  # contracts
        acct(3, arr=100, churned=date(2025, 8, 1)),  # churns
        acct(4, changes=[(date(2025, 3, 1), None, 200)]),  # new in the period: not in the cohort
    ]
    r = retention_of(accounts, start, end)
    assert (r.accounts, r.start_arr, r.end_arr, r.kept_arr, r.churned) == (3, 300, 170, 150, 1)
    assert r.grr == pytest.approx(50.0)  # (100 + 50 + 0) / 300
    assert r.nrr == pytest.approx(56.667, abs=1e-3)  # (120 + 50 + 0) / 300


def test_retention_of_an_empty_cohort_is_none_not_zero():
    r = retention_of([], D, D + timedelta(days=30))
    assert (r.accounts, r.grr, r.nrr) == (0, None, None)
    only_new = retention_of([acct(1, changes=[(D + timedelta(days=5), None, 10)])], D, D + timedelta(days=30))
    assert only_new.grr is None and only_new.nrr is None


def test_flat_cohort_keeps_100_percent():
    r = retention_of([acct(1, arr=500), acct(2, arr=300)], D, D + timedelta(days=90))
    assert r.grr == r.nrr == 100.0


def changes(app, account_id=None):
    with app.app_context():
        stmt = sa.select(ArrChange).order_by(ArrChange.id)
        if account_id is not None:
            stmt = stmt.where(ArrChange.account_id == account_id)
        return [(c.old_arr, c.new_arr, c.source, c.actor_id) for c in db.session.execute(stmt).scalars()]


FORM = {
    "name": "Acme",
    "external_id": "ACC-ARR",
    "domain": "",
    "arr": "1000",
    "plan": "",
    "tier": "",
    "lifecycle_stage": "",
    "renewal_date": "",
    "csm_owner_id": "",
    "churned_on": "",
    "churn_reason": "",
}


def test_the_edit_form_records_arr_changes_with_who(cs_client, app):
    assert cs_client.post("/accounts/new", data=FORM).status_code == 303
    with app.app_context():
        from app.models import Account

        account_id = db.session.execute(
            sa.select(Account.id).where(Account.external_id == "ACC-ARR")
        ).scalar()
    cs_client.get(f"/accounts/{account_id}/edit")
    assert cs_client.post(f"/accounts/{account_id}/edit", data=FORM | {"name": "Acme 2"}).status_code == 303
    assert cs_client.post(f"/accounts/{account_id}/edit", data=FORM | {"arr": "1500"}).status_code == 303
    me = cs_client.user_id
    assert changes(app, account_id) == [(None, 1000, ArrSource.EDIT, me), (1000, 1500, ArrSource.EDIT, me)]
    page = text(cs_client.get(f"/accounts/{account_id}"))
    assert "ARR history" in page and "+500" in page and "new account" in page and "Edit form" in page
    with app.app_context():
        today = db.session.execute(sa.select(ArrChange.effective_on)).scalars().first()
        assert abs((today - utcnow().date()).days) <= 1


def test_a_refused_edit_records_no_change(cs_client, rows, app):
    account_id = rows(lambda: make_account(arr=100))
    cs_client.get(f"/accounts/{account_id}/edit")
    bad = cs_client.post(f"/accounts/{account_id}/edit", data=FORM | {"arr": "-5", "external_id": "X"})
    assert bad.status_code == 422
    assert changes(app, account_id) == []


def test_a_csv_import_records_arr_changes(cs_client, rows, app):
    rows(lambda: make_account(name="Old", external_id="IMP-1", arr=100))
    csv = "External ID,Company,ARR\r\nIMP-1,Old,300\r\nIMP-2,New,5000\r\nIMP-3,Zero,0\r\n"
    resp = cs_client.post(
        "/accounts/import",
        data={"file": (io.BytesIO(csv.encode()), "a.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    bid = int(re.search(r"/imports/(\d+)", resp.headers["Location"]).group(1))
    cs_client.get(f"/imports/{bid}")
    assert cs_client.post(f"/imports/{bid}/confirm").status_code == 303
    # a new account with ARR 0 records nothing
    got = {(o, n, s) for o, n, s, _ in changes(app)}
    assert got == {
        (100, 300, ArrSource.IMPORT),
        (None, 5000, ArrSource.IMPORT),
    }
    assert all(actor == cs_client.user_id for *_, actor in changes(app))


def test_retention_report_counts_surveyed_accounts_only(app):
    with app.app_context():
        nps = make_survey("nps")
        today = utcnow().date()
        year_ago = utcnow() - timedelta(days=400)
        surveyed = make_account(arr=100, created_at=year_ago)
        make_response(nps, score=9, account=surveyed)
        silent = make_account(arr=900, created_at=year_ago)
        db.session.add(
            ArrChange(
                account_id=surveyed.id,
                old_arr=100,
                new_arr=80,
                effective_on=today - timedelta(days=10),
                source=ArrSource.EDIT,
            )
        )
        db.session.flush()
        report = retention_report(12, today)
        assert report.surveyed.accounts == 1 and report.surveyed.grr == pytest.approx(80.0)
        assert report.everyone.accounts == 2 and report.everyone.start_arr == 1000
        assert silent.id  # kept for clarity: the silent account is in "everyone" only


def test_portfolio_page_states_the_formula_and_refuses_bad_periods(viewer_client):
    page = viewer_client.get("/accounts/portfolio")
    assert page.status_code == 200
    body = text(page)
    assert "GRR = Σ min(E, S) / Σ S" in body and "NRR = Σ E / Σ S" in body
    for bad in ("7", "abc", "-1", "12x", "99999999999999999999"):
        resp = viewer_client.get(f"/accounts/portfolio?months={bad}")
        assert resp.status_code == 400 and "pick one of those" in text(resp)
