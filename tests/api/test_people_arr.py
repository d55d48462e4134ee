"""Account ARR written through the API is recorded in the ARR history with the source "api"."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import ArrChange, ArrSource


def changes(app, account_id):
    with app.app_context():
        stmt = sa.select(ArrChange).where(ArrChange.account_id == account_id).order_by(ArrChange.id)
        return [(c.old_arr, c.new_arr, c.source) for c in db.session.execute(stmt).scalars()]


def test_the_api_records_arr_changes(admin_api, app):
    made = admin_api.post("/accounts", json={"name": "Api Co", "external_id": "API-1", "arr": 2000})
    assert made.status_code == 201, made.json
    aid = made.json["id"]
    assert admin_api.patch(f"/accounts/{aid}", json={"arr": 2400}).status_code == 200
    assert admin_api.post("/accounts/upsert", json={"external_id": "API-1", "arr": 2400}).status_code == 200
    assert changes(app, aid) == [
        (None, 2000, ArrSource.API),
        (2000, 2400, ArrSource.API),
    ]
