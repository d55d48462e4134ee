"""Hostile input gets a 4xx with a reason, never a 500 (issue 17 §9–15): the one argument parser
(``app.inputs``), the one control-character check, the bounded ``<int:>`` converter, CSV neutralisation and
HEAD on one-click unsubscribe."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.inputs import MAX_ID, parse_day, parse_id, parse_int
from app.models import Account, Contact, Invitation
from app.spreadsheet import neutralise, unneutralise
from tests.factories import make_account, make_invitation, make_survey
from tests.helpers import text


def test_the_parser_takes_ascii_digits_within_bounds_only():
    assert parse_int("42", 0, 100) == 42 and parse_int(" 7 ", 0, 10) == 7
    for bad in ("²", "１２", "٣", "1e3", "", None, "4 2", "101", "-1", "0x10", "9" * 40):
        assert parse_int(bad, 0, 100) is None, bad
    assert parse_id(str(MAX_ID)) == MAX_ID and parse_id(str(MAX_ID + 1)) is None and parse_id("0") is None
    assert parse_day("2026-02-28") == date(2026, 2, 28)
    for bad in ("9999-12-31", "0001-01-01", "2026-02-30", "２０２６-01-01", "2026-1-1", "x"):
        assert parse_day(bad) is None, bad


@pytest.mark.parametrize(
    "url",
    ["/accounts?q=a%00b", "/contacts?q=%00", "/responses?q=x%00", "/accounts?plan=%1b[31m", "/?days=%00"],
)
def test_nul_and_control_characters_in_arguments_are_a_400_with_a_reason(viewer_client, url):
    resp = viewer_client.get(url)
    assert resp.status_code == 400 and "control character" in text(resp)


def test_a_nul_byte_at_sign_in_is_a_400_for_anyone(client):
    resp = client.post("/login", data={"email": "\x00", "password": "x"})
    assert resp.status_code == 400 and "control character" in text(resp)


def test_a_nul_byte_in_a_form_writes_nothing_and_says_why(app, cs_client):
    resp = cs_client.post("/accounts/new", data={"name": "Acme\x00", "external_id": "N-1", "tier": "smb"})
    assert resp.status_code == 400 and "“name” contains a control character" in text(resp)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Account.id))) == 0


def test_typed_text_keeps_its_lines_and_tabs(app, cs_client):
    resp = cs_client.post(
        "/accounts/new",
        data={
            "name": "Acme",
            "external_id": "N-2",
            "tier": "smb",
            "lifecycle_stage": "onboarding",
            "plan": "Pro",
        },
    )
    assert resp.status_code in (303, 422), text(resp)
    resp = cs_client.post(
        "/topics", data={"name": "Billing", "phrases": "invoice\r\nrefund\tcredit"}, csrf="session"
    )
    assert resp.status_code != 400


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/99999999999",
        "/accounts/2147483648/edit",
        "/surveys/9223372036854775808",
        "/tagging/responses/9223372036854775807",
        "/responses/9223372036854775807",
        "/accounts/²",
        "/contacts/١",
    ],
)
def test_ids_past_the_integer_range_in_the_path_are_404(admin_client, url):
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/responses?survey=99999999999",
        "/responses?account=-9223372036854775809",
        "/responses?survey=²",
        "/responses?end=9999-12-31",
        "/responses?start=0001-01-01&end=9999-12-31",
        "/?days=²",
        "/?days=99999999999999999999999",
        "/insights/topics?survey=²&days=²&end=9999-12-31",
        "/contacts/new?account=²",
        "/contacts/new?account=99999999999",
    ],
)
def test_filters_drop_what_is_not_a_bounded_number_or_date(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/accounts?page=²",
        "/accounts?csm=99999999999",
        "/contacts?account=9223372036854775807",
        "/contacts?surveyed_days=１",
    ],
)
def test_list_filters_explain_a_bad_number(viewer_client, url):
    resp = viewer_client.get(url)
    assert resp.status_code == 400 and "must be a whole number" in text(resp)


def test_bulk_tagging_and_retry_refuse_out_of_range_ids(pm_client, admin_client):
    resp = pm_client.post(
        "/responses/tag",
        data={"response_id": ["-9223372036854775809", "²"], "topic_id": "1"},
        csrf="session",  # hand-built: no rendered form posts these
    )
    assert resp.status_code in (302, 303, 400)
    assert (
        admin_client.post(
            "/tagging/retry", data={"response_id": "9223372036854775808"}, csrf="session"
        ).status_code
        < 500
    )
    resp = admin_client.post("/topics", data={"name": "Sub", "parent_id": "2147483648"}, csrf="session")
    assert 400 <= resp.status_code < 500


@pytest.mark.parametrize("name", ["endpoint", "_method", "_external", "_anchor", "_scheme"])
def test_url_for_argument_names_in_a_query_string_are_refused(viewer_client, name):
    resp = viewer_client.get(f"/accounts?{name}=x&page=1")
    assert resp.status_code == 400 and "not an argument this page takes" in text(resp)
    assert viewer_client.get(f"/contacts?{name}=POST").status_code == 400


def test_an_audience_cell_past_the_csv_field_limit_is_explained(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        db.session.commit()
    resp = admin_client.post(
        f"/surveys/{survey_id}/send",
        data={
            "audience": "emails",
            "emails": '"' + "a" * 140_000,
            "when": "now",
            "expiry_days": "30",
            "send": "Send",
        },
    )
    assert 400 <= resp.status_code < 500 and "paste one address per line" in text(resp)


@pytest.mark.parametrize("cell", ["＝1+1", "|calc", "＋1", "－1", "＠SUM(A1)", "｜x", "\nx", "=1", "@x"])
def test_csv_cells_a_spreadsheet_would_run_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell and unneutralise(neutralise(cell)) == cell


def test_accounts_export_neutralises_full_width_and_pipe_formulas(app, cs_client):
    with app.app_context():
        make_account(name="＝1+1", external_id="F-1")
        make_account(name="|calc", external_id="F-2")
        db.session.commit()
    body = cs_client.post("/accounts/export.csv", data={}, page="/accounts").get_data(as_text=True)
    names = {row["name"] for row in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))}
    assert names == {"'＝1+1", "'|calc"}


def test_head_on_one_click_unsubscribe_is_200_and_changes_nothing(app, client):
    with app.app_context():
        inv, token = make_invitation()
        db.session.commit()
        inv_id = inv.id
    assert client.head(f"/r/{token}/unsubscribe/one-click").status_code == 200
    assert client.head(f"/r/{token}/unsubscribe").status_code == 200
    with app.app_context():
        contact = db.session.get(Invitation, inv_id).contact
        assert db.session.get(Contact, contact.id).unsubscribed_at is None


def test_a_preview_score_and_an_account_reference_take_ascii_digits_only(app, admin_client, cs_client):
    with app.app_context():
        survey_id = make_survey().id
        db.session.commit()
    assert admin_client.get(f"/surveys/{survey_id}/preview?score=²").status_code == 200
    resp = cs_client.post("/contacts/new", data={"email": "a@b.example", "name": "A", "account": "#²"})
    assert resp.status_code < 500
    resp = cs_client.post(
        "/contacts/new", data={"email": "a@b.example", "name": "A", "account": "#99999999999"}
    )
    assert resp.status_code < 500
