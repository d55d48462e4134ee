"""Accounts and contacts through the API: create, upsert, bulk with per-row results, paging, errors."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Contact


def test_create_get_and_update_a_contact(admin_api):
    acc = admin_api.post("/accounts", json={"name": "Acme", "external_id": "A-1", "tier": "enterprise"})
    assert acc.status_code == 201, acc.json
    made = admin_api.post(
        "/contacts", json={"email": "Ada@Acme.example", "name": "Ada", "account_external_id": "A-1"}
    )
    assert made.status_code == 201, made.json
    body = made.json
    assert body["email"] == "ada@acme.example" and body["account_id"] == acc.json["id"]
    got = admin_api.get(f"/contacts/{body['id']}")
    assert got.status_code == 200 and got.json["name"] == "Ada"
    changed = admin_api.patch(f"/contacts/{body['id']}", json={"title": "CTO"})
    assert changed.status_code == 200 and changed.json["title"] == "CTO"


def test_errors_are_problem_documents(admin_api):
    missing = admin_api.get("/contacts/999999")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    assert missing.json["status"] == 404 and "999999" in missing.json["detail"]
    unknown_field = admin_api.post("/contacts", json={"email": "x@y.example", "is_admin": True})
    assert unknown_field.status_code == 422
    assert unknown_field.content_type == "application/problem+json"
    assert "is_admin" in unknown_field.json["errors"]["json"]
    bad_email = admin_api.post("/contacts", json={"email": "not an email"})
    assert bad_email.status_code == 422 and "email" in bad_email.json["errors"]
    assert admin_api.post("/contacts", data="{", content_type="application/json").status_code in (400, 422)


def test_duplicate_email_is_a_422_naming_the_field(admin_api):
    assert admin_api.post("/contacts", json={"email": "dup@x.example"}).status_code == 201
    again = admin_api.post("/contacts", json={"email": "DUP@x.example"})
    assert again.status_code == 422 and "email" in again.json["errors"]


def test_upsert_by_email_and_by_external_id(admin_api):
    first = admin_api.post("/contacts/upsert", json={"email": "u@x.example", "name": "U"})
    second = admin_api.post("/contacts/upsert", json={"email": "U@x.example", "name": "Ursula"})
    assert first.status_code == second.status_code == 200
    assert first.json["id"] == second.json["id"] and second.json["name"] == "Ursula"
    a1 = admin_api.post("/accounts/upsert", json={"external_id": "E-9", "name": "Nine"})
    a2 = admin_api.post("/accounts/upsert", json={"external_id": "E-9", "arr": 1200})
    assert a1.json["id"] == a2.json["id"] and a2.json["arr"] == 1200 and a2.json["name"] == "Nine"
    assert admin_api.post("/accounts/upsert", json={"external_id": "E-10"}).status_code == 422


def test_bulk_upsert_reports_each_row(app, admin_api):
    admin_api.post("/contacts", json={"email": "old@x.example", "name": "Old"})
    rows = [
        {"email": "new1@x.example", "name": "New"},
        {"email": "old@x.example", "name": "Renamed"},
        {"email": "NEW1@x.example"},  # repeated in the batch: this row fails alone
        {"email": "broken"},
        {"name": "no email"},
        {"email": "z@x.example", "surprise": 1},
        {"email": "old@x.example", "name": "Renamed"},  # repeated too
    ]
    resp = admin_api.post("/contacts/bulk", json={"contacts": rows})
    assert resp.status_code == 200, resp.json
    statuses = [r["status"] for r in resp.json["results"]]
    assert statuses == ["created", "updated", "error", "error", "error", "error", "error"]
    assert "row 0" in resp.json["results"][2]["errors"]["email"][0]
    assert resp.json["counts"] == {"created": 1, "updated": 1, "unchanged": 0, "error": 5}
    with app.app_context():
        emails = set(db.session.execute(sa.select(Contact.email)).scalars())
    assert {"new1@x.example", "old@x.example"} <= emails and "broken" not in emails
    again = admin_api.post("/contacts/bulk", json={"contacts": rows[:2]})
    assert [r["status"] for r in again.json["results"]] == ["unchanged", "unchanged"]


def test_bulk_refuses_more_than_1000_rows(admin_api):
    rows = [{"email": f"p{i}@x.example"} for i in range(1001)]
    resp = admin_api.post("/contacts/bulk", json={"contacts": rows})
    assert resp.status_code == 422 and "contacts" in resp.json["errors"]["json"]


def test_pages_follow_a_signed_cursor_and_refuse_a_forged_one(admin_api):
    for i in range(5):
        admin_api.post("/contacts", json={"email": f"page{i}@x.example"})
    seen, cursor = [], None
    while True:
        resp = admin_api.get("/contacts", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200
        seen += [c["email"] for c in resp.json["items"]]
        cursor = resp.json["next_cursor"]
        if not cursor:
            break
    assert [e for e in seen if e.startswith("page")] == [f"page{i}@x.example" for i in range(5)]
    first = admin_api.get("/contacts", query_string={"limit": 2}).json["next_cursor"]
    body, _, mac = first.partition(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    bad = admin_api.get("/contacts", query_string={"cursor": forged})
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"
    foreign = admin_api.get("/accounts", query_string={"cursor": first})
    assert foreign.status_code == 400


def test_updated_since_lists_only_later_changes(admin_api):
    a = admin_api.post("/contacts", json={"email": "early@x.example"}).json
    mark = a["updated_at"]
    b = admin_api.post("/contacts", json={"email": "late@x.example"}).json
    listed = admin_api.get("/contacts", query_string={"updated_since": b["updated_at"]}).json["items"]
    assert [c["email"] for c in listed] == ["late@x.example"]
    assert len(admin_api.get("/contacts", query_string={"updated_since": mark}).json["items"]) >= 2
    assert admin_api.get("/contacts", query_string={"updated_since": "yesterday"}).status_code == 422


def test_writes_are_audited_as_the_token_owner(app, admin_api):
    made = admin_api.post("/contacts", json={"email": "audited@x.example"}).json
    with app.app_context():
        event = db.session.execute(
            sa.select(AuditEvent).where(
                AuditEvent.action == "contact.create", AuditEvent.target_id == str(made["id"])
            )
        ).scalar_one()
        assert event.actor_id == admin_api.user_id
