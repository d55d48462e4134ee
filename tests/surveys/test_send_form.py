"""The send form with a CSV of emails and a schedule, and cancelling from the send's page."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import DeliveryState, Invitation, OutboxMessage, Send, SendStatus, utcnow
from tests.factories import make_contact, make_survey
from tests.helpers import text


def test_send_to_pasted_and_uploaded_emails(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        pasted, uploaded = make_contact().email, make_contact().email
        db.session.commit()
    csv = f"name,email\nAna,{uploaded.upper()}\nBo,not-an-email\n".encode()
    resp = admin_client.post(
        f"/surveys/{survey_id}/send",
        data={
            "audience": "emails",
            "emails": pasted,
            "csv_file": (io.BytesIO(csv), "people.csv"),
            "when": "now",
            "expiry_days": "30",
            "send": "Send",
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303, text(resp)
    with app.app_context():
        sent = set(db.session.execute(sa.select(OutboxMessage.to_addr)).scalars())
    assert sent == {pasted, uploaded}


def test_schedule_a_send_then_cancel_it(app, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        make_contact()
        db.session.commit()
    at = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    resp = admin_client.post(
        f"/surveys/{survey_id}/send",
        data={"audience": "all", "when": "later", "scheduled_at": at, "expiry_days": "30", "send": "Send"},
    )
    assert resp.status_code == 303
    detail = resp.headers["Location"]
    assert "Send scheduled." in text(admin_client.get(detail))
    send_id = int(detail.rsplit("/", 1)[1])
    with app.app_context():
        send = db.session.get(Send, send_id)
        assert send.status == SendStatus.SCHEDULED
        assert send.scheduled_at.strftime("%Y-%m-%dT%H:%M") == at
    cancelled = admin_client.post(f"/sends/{send_id}/cancel")
    assert cancelled.status_code == 303
    assert "Send cancelled." in text(admin_client.get(detail))
    with app.app_context():
        assert db.session.get(Send, send_id).status == SendStatus.CANCELLED
        states = set(
            db.session.execute(sa.select(Invitation.state).where(Invitation.send_id == send_id)).scalars()
        )
        assert states <= {DeliveryState.SKIPPED}
        assert db.session.execute(sa.select(sa.func.count(OutboxMessage.id))).scalar_one() == 0
    # a second cancel explains instead of failing
    again = admin_client.post(f"/sends/{send_id}/cancel", csrf="session")  # a stale page
    assert again.status_code == 303
    assert "Only a scheduled or running send can be cancelled." in text(admin_client.get(detail))


def test_cancel_is_for_admins_and_unknown_sends_are_404(app, cs_client, admin_client):
    with app.app_context():
        survey_id = make_survey().id
        db.session.commit()
    assert admin_client.post("/sends/999999/cancel", csrf="session").status_code == 404
    assert cs_client.post("/sends/1/cancel", csrf="session").status_code == 403
    assert admin_client.get(f"/surveys/{survey_id}/send").status_code == 200
