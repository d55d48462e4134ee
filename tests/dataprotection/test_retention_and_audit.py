"""Retention (off by default; anonymise or delete; the count audited) and the audit log page."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.audit import audit
from app.dataprotection import services as dataprotection
from app.extensions import db
from app.models import AuditEvent, Response, Tombstone, utcnow
from app.workspace_settings import set_settings
from tests.factories import make_contact, make_response, make_survey, make_user


def _old_and_new(app):
    with app.app_context():
        survey = make_survey("nps")
        contact = make_contact()
        old = make_response(
            survey,
            score=4,
            comment="old words",
            contact_id=contact.id,
            created_at=utcnow() - timedelta(days=400),
        )
        new = make_response(survey, score=8, comment="new words", contact_id=contact.id)
        db.session.commit()
        return old.id, new.id


def test_retention_is_off_by_default(app):
    old, _ = _old_and_new(app)
    with app.app_context():
        assert dataprotection.apply_retention() == 0
        assert db.session.get(Response, old).comment == "old words"


def test_retention_anonymises_older_responses_and_audits_the_count(app):
    old, new = _old_and_new(app)
    with app.app_context():
        set_settings({"retention_months": 12})
        db.session.commit()
        assert dataprotection.apply_retention() == 1
        row = db.session.get(Response, old)
        assert (row.comment, row.contact_id, row.score) == (None, None, 4)
        assert db.session.get(Response, new).comment == "new words"
        event = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "retention.run")
        ).scalar_one()
        assert event.details["count"] == 1 and event.details["mode"] == "anonymise"
        assert dataprotection.apply_retention() == 0  # nothing left to do


def test_retention_can_delete_with_tombstones(app):
    old, new = _old_and_new(app)
    with app.app_context():
        set_settings({"retention_months": 12, "retention_mode": "delete"})
        db.session.commit()
        assert dataprotection.apply_retention() == 1
        assert db.session.get(Response, old) is None and db.session.get(Response, new) is not None
        assert (
            db.session.execute(sa.select(Tombstone).where(Tombstone.object_id == old)).scalar_one().reason
            == "retention"
        )


def test_the_settings_page_sets_retention(app, admin_client):
    page = admin_client.get("/settings").get_data(as_text=True)
    assert "retention_months" in page and "Audit log" in page and "Webhooks" in page
    with app.app_context():
        from app.workspace_settings import all_settings

        values = dict(all_settings())
    values.update(retention_months="-3")
    assert admin_client.post("/settings", data=values).status_code == 422
    values.update(retention_months="18", retention_mode="delete")
    assert admin_client.post("/settings", data=values).status_code == 303
    with app.app_context():
        from app.workspace_settings import get_setting

        assert get_setting("retention_months") == 18 and get_setting("retention_mode") == "delete"


def test_admins_filter_the_audit_log(app, admin_client, viewer_client):
    with app.app_context():
        someone = make_user(role="cs")
        audit(someone.id, "taxonomy.edit", "topic", 7, name="Billing")
        audit(None, "retention.run", "responses", None, count=3)
        db.session.commit()
        sid = someone.id
    everything = admin_client.get("/settings/audit").get_data(as_text=True)
    assert "taxonomy.edit" in everything and "retention.run" in everything
    only = admin_client.get("/settings/audit", query_string={"action": "taxonomy.edit"}).get_data(
        as_text=True
    )
    assert "name: Billing" in only and "count: 3" not in only
    by_actor = admin_client.get("/settings/audit", query_string={"actor": sid}).get_data(as_text=True)
    assert "taxonomy.edit" in by_actor and "retention.run" not in by_actor.split("<tbody>")[1]
    future = admin_client.get("/settings/audit", query_string={"start": "2999-01-01"}).get_data(as_text=True)
    assert "No events match" in future
    junk = admin_client.get("/settings/audit", query_string={"start": "yesterday", "actor": "'; drop"})
    assert junk.status_code == 200
    assert viewer_client.get("/settings/audit").status_code == 403
