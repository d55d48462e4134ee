"""CSV export: the list's filters, formula cells neutralised, streamed in chunks, audited."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Tier, utcnow
from tests.factories import make_account, make_contact, make_user


def parse(resp) -> list[dict[str, str]]:
    body = resp.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel opens UTF-8 correctly only with a BOM
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_accounts_export_respects_filters_and_neutralises_formulas(cs_client, rows, app):
    def build():
        owner = make_user(role="cs", email="owner@clearloop.example")
        make_account(
            name="=cmd|' /C calc'!A0",
            external_id="E-1",
            arr=5,
            tier=Tier.SMB,
            csm_owner=owner,
            attributes={"industry": "@risk", "seats": 12},
        )
        make_account(name="Big Co", external_id="E-2", arr=900_000, tier=Tier.ENTERPRISE)
        make_account(name="Mid Co", external_id="E-3", tier=Tier.MID_MARKET, attributes={"region": "EMEA"})

    rows(build)
    resp = cs_client.post(
        "/accounts/export.csv", data={"tier": "smb", "sort": "-arr", "page": "3"}, page="/accounts"
    )
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    lines = parse(resp)
    assert len(lines) == 1
    row = lines[0]
    assert row["name"] == "'=cmd|' /C calc'!A0" and row["industry"] == "'@risk" and row["seats"] == "12"
    assert (row["external_id"], row["arr"], row["tier"], row["csm_owner"]) == (
        "E-1",
        "5",
        "smb",
        "owner@clearloop.example",
    )
    everything = parse(cs_client.post("/accounts/export.csv", page="/accounts"))
    assert [r["external_id"] for r in everything] == ["E-1", "E-2", "E-3"]
    assert set(everything[0]) >= {"industry", "seats", "region"}
    with app.app_context():
        events = (
            db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "accounts.export"))
            .scalars()
            .all()
        )
        assert len(events) == 2 and events[0].details["filters"]["tier"] == "smb"


def test_contacts_export_with_filters(cs_client, rows):
    def build():
        acme = make_account(name="Acme", external_id="A-1", domain="acme.example")
        make_contact(acme, email="left@acme.example", name="+Left", unsubscribed_at=utcnow())
        make_contact(acme, email="stay@acme.example", name="Stay", locale="de")

    rows(build)
    lines = parse(cs_client.post("/contacts/export.csv", data={"status": "unsubscribed"}, page="/contacts"))
    assert [(r["email"], r["name"], r["account_external_id"], r["account_domain"]) for r in lines] == [
        ("left@acme.example", "'+Left", "A-1", "acme.example")
    ]
    assert lines[0]["unsubscribed_at"].endswith("Z")
    assert [
        r["email"]
        for r in parse(cs_client.post("/contacts/export.csv", data={"locale": "de"}, page="/contacts"))
    ] == ["stay@acme.example"]


def test_export_streams_every_row_across_chunks(cs_client, rows, monkeypatch):
    from app.accounts import csv_export

    monkeypatch.setattr(csv_export, "CHUNK", 3)
    rows(lambda: [make_account(name=f"Chunk {i:02d}", external_id=f"C-{i:02d}") for i in range(10)])
    resp = cs_client.post("/accounts/export.csv", data={"q": "Chunk"}, page="/accounts")
    assert resp.is_streamed
    assert [r["external_id"] for r in parse(resp)] == [f"C-{i:02d}" for i in range(10)]


def test_bad_filters_wrong_roles_and_gets_get_no_export(cs_client, viewer_client, counts):
    before = counts()
    assert (
        cs_client.post("/accounts/export.csv", data={"sort": "secret"}, page="/accounts").status_code == 400
    )
    assert cs_client.get("/accounts/export.csv").status_code == 405  # recorded in the audit log: never a GET
    assert viewer_client.post("/accounts/export.csv", csrf="session").status_code == 403
    assert viewer_client.post("/contacts/export.csv", csrf="session").status_code == 403
    assert counts() == before


def test_the_export_button_carries_the_list_filters(cs_client):
    page = cs_client.get("/accounts?tier=smb&q=acme&page=2").get_data(as_text=True)
    form = page[page.index('action="/accounts/export.csv"') :].split("</form>")[0]
    assert 'name="tier" value="smb"' in form and 'name="q" value="acme"' in form and 'name="page"' not in form
    assert 'name="csrf_token"' in form


def test_exports_need_a_csrf_token(app, login):
    client = app.test_client()
    login(client, "cs")
    assert client.post("/accounts/export.csv", csrf=False).status_code == 400
