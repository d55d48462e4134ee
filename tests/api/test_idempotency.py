"""Idempotency-Key on API POSTs: a replay gets the stored answer, a different body 422, in flight 409."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Contact, IdempotencyKey


def _count(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(Contact.id))).scalar_one()


def test_same_key_same_body_replays_the_stored_response(app, admin_api):
    before = _count(app)
    headers = {"Idempotency-Key": "k-1"}
    first = admin_api.post("/contacts", json={"email": "idem@x.example"}, headers=headers)
    second = admin_api.post("/contacts", json={"email": "idem@x.example"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json and second.headers["Idempotent-Replayed"] == "true"
    assert _count(app) == before + 1


def test_an_error_is_replayed_too(admin_api):
    headers = {"Idempotency-Key": "k-err"}
    first = admin_api.post("/contacts", json={"email": "bad"}, headers=headers)
    second = admin_api.post("/contacts", json={"email": "bad"}, headers=headers)
    assert first.status_code == second.status_code == 422 and first.json == second.json


def test_same_key_different_body_is_422(admin_api):
    headers = {"Idempotency-Key": "k-2"}
    assert admin_api.post("/contacts", json={"email": "a2@x.example"}, headers=headers).status_code == 201
    other = admin_api.post("/contacts", json={"email": "b2@x.example"}, headers=headers)
    assert other.status_code == 422 and "different request body" in other.json["detail"]


def test_a_key_still_in_flight_is_409(app, admin_api):
    from app.api import tokens

    with app.app_context():
        token = tokens.authenticate(admin_api.secret)
        import hashlib

        body = b'{"email": "c3@x.example"}'
        db.session.add(
            IdempotencyKey(
                token_id=token.id,
                key="k-3",
                method="POST",
                path="/api/v1/contacts",
                body_hash=hashlib.sha256(body).hexdigest(),
            )
        )
        db.session.commit()
    resp = admin_api.post(
        "/contacts", data=body, content_type="application/json", headers={"Idempotency-Key": "k-3"}
    )
    assert resp.status_code == 409 and resp.headers["Retry-After"] == "1"


def test_keys_are_per_token_and_per_path(api_client, admin_api):
    other = api_client("admin")
    headers = {"Idempotency-Key": "shared"}
    assert admin_api.post("/contacts", json={"email": "t1@x.example"}, headers=headers).status_code == 201
    assert other.post("/contacts", json={"email": "t2@x.example"}, headers=headers).status_code == 201
    acc = admin_api.post("/accounts", json={"name": "Per path"}, headers=headers)
    assert acc.status_code == 201


def test_a_key_older_than_24_hours_is_forgotten(app, admin_api):
    headers = {"Idempotency-Key": "old"}
    assert admin_api.post("/contacts", json={"email": "o1@x.example"}, headers=headers).status_code == 201
    with app.app_context():
        row = db.session.execute(sa.select(IdempotencyKey).where(IdempotencyKey.key == "old")).scalar_one()
        row.created_at = row.created_at - timedelta(hours=25)
        db.session.commit()
    fresh = admin_api.post("/contacts", json={"email": "o2@x.example"}, headers=headers)
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    with app.app_context():
        from app.api.idempotency import purge_expired

        row = db.session.execute(sa.select(IdempotencyKey).where(IdempotencyKey.key == "old")).scalar_one()
        row.created_at = row.created_at - timedelta(hours=25)
        db.session.commit()
        assert purge_expired() == 1


def test_a_bad_key_is_400(admin_api):
    resp = admin_api.post("/contacts", json={"email": "k@x.example"}, headers={"Idempotency-Key": "x" * 300})
    assert resp.status_code == 400 and resp.content_type == "application/problem+json"


def test_without_a_token_the_key_is_not_stored(app, client):
    resp = client.post(
        "/api/v1/contacts", json={"email": "anon@x.example"}, headers={"Idempotency-Key": "anon"}
    )
    assert resp.status_code == 401
    with app.app_context():
        assert (
            db.session.execute(sa.select(IdempotencyKey).where(IdempotencyKey.key == "anon")).first() is None
        )
