"""Erasure leaves no trace: unique markers planted everywhere a person's data can be copied are gone from
every text and JSON column of every table afterwards; the suppression hash stays; twice is a no-op."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from app.dataprotection import services as dataprotection
from app.extensions import db
from app.mail.suppression import is_suppressed
from app.models import (
    Alert,
    AuditEvent,
    Base,
    Contact,
    Digest,
    FollowUp,
    FollowUpEvent,
    HealthBand,
    HealthSnapshot,
    IdempotencyKey,
    ImportBatch,
    LinkClick,
    OutboxMessage,
    Response,
    Setting,
    Team,
    Tombstone,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from app.webhooks import services as webhooks
from tests.factories import make_account, make_contact, make_invitation, make_response, make_survey, make_user

EMAIL = "marker.person.q7@customer.example"
NAME = "Quillon Markerfield"
MARKERS = [
    EMAIL,
    NAME,
    "COMMENT-MARKER-Q1",
    "COMMENT-MARKER-Q2",
    "KEYPHRASE-MARKER-Q3",
    "HINT-MARKER-Q4",
    "UA-MARKER-Q5",
    "NOTE-MARKER-Q6",
    "EVENT-NOTE-MARKER-Q7",
    "203.0.113.77",
    "SMTP-ERROR-MARKER-Q8",
]
COMMENT_1 = "COMMENT-MARKER-Q1 the export to Excel is very slow"
COMMENT_2 = "COMMENT-MARKER-Q2 pricing went up again, naïve of us to expect otherwise"


def _qp_mail(to: str, subject: str, text: str) -> str:
    msg = EmailMessage()
    msg["From"] = "surveys@clearloop.localhost"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash(text))}@clearloop.localhost>"
    msg.set_content(text, cte="quoted-printable")
    return msg.as_string()


def plant(app) -> int:
    """A contact whose data is copied into every place the issue lists; returns the contact id."""
    with app.app_context():
        admin = make_user(role="admin")
        account = make_account(name="Markerfield Holdings")
        contact = make_contact(account, email=EMAIL, name=NAME)
        survey = make_survey("nps")
        invitation, _ = make_invitation(survey, contact)
        invitation.error = f"SMTP-ERROR-MARKER-Q8 550 {EMAIL} unknown"
        db.session.add(
            LinkClick(invitation_id=invitation.id, kind="score", user_agent="UA-MARKER-Q5 Mozilla")
        )
        r1 = make_response(
            survey,
            score=3,
            comment=COMMENT_1,
            contact_id=contact.id,
            account_id=account.id,
            invitation_id=invitation.id,
            analysis={"keyphrases": ["KEYPHRASE-MARKER-Q3"]},
        )
        r2 = make_response(
            survey,
            score=9,
            comment=COMMENT_2,
            respondent_email=EMAIL.upper(),
            account_hint="HINT-MARKER-Q4 Markerfield",
        )
        other = make_response(survey, score=10, comment="someone else entirely, keep me")
        fu = FollowUp(
            response_id=r1.id,
            account_id=account.id,
            reason="detractor",
            resolution_note=f"NOTE-MARKER-Q6 called {NAME}",
        )
        db.session.add(fu)
        db.session.flush()
        db.session.add(
            FollowUpEvent(followup_id=fu.id, kind="note", note="EVENT-NOTE-MARKER-Q7 left a voicemail")
        )
        db.session.add(
            OutboxMessage(
                message_id="<inv-q@x>",
                kind="invitation",
                to_addr=EMAIL,
                subject="How likely…",
                raw=_qp_mail(EMAIL, "Survey", f"Hi {NAME}"),
            )
        )
        db.session.add(
            OutboxMessage(
                message_id="<dig-q@x>",
                kind="digest",
                to_addr=admin.email,
                subject="Weekly digest",
                raw=_qp_mail(admin.email, "Digest", f"«{COMMENT_1}»"),
            )
        )
        db.session.add(
            ImportBatch(kind="contacts", filename="c.csv", content=f"email,name\n{EMAIL},{NAME}\n")
        )
        db.session.add(
            AuditEvent(
                actor_id=admin.id,
                action="contact.update",
                target_type="contact",
                target_id=str(contact.id),
                details={"email": EMAIL},
                ip="203.0.113.77",
            )
        )
        db.session.add(
            AuditEvent(
                actor_id=admin.id,
                action="import.apply",
                target_type="import",
                details={"sample": [EMAIL, NAME]},
            )
        )
        team = Team(name="Product Q")
        db.session.add(team)
        db.session.flush()
        db.session.add(
            Digest(
                team_id=team.id,
                period_start=date(2026, 11, 2),
                period_end=date(2026, 11, 8),
                content={"quotes": [{"response_id": r1.id, "text": COMMENT_1}]},
            )
        )
        db.session.add(
            Alert(
                team_id=team.id,
                kind="detractor",
                subject=f"account:{account.id}",
                day=date(2026, 11, 3),
                title=f"Detractor at Markerfield: {COMMENT_2[:40]}",
                evidence={"quote": COMMENT_2},
            )
        )
        db.session.add(
            HealthSnapshot(
                account_id=account.id,
                as_of=date(2026, 11, 9),
                score=40,
                band=list(HealthBand)[-1],
                drivers={"evidence": [{"text": COMMENT_2, "response_id": r2.id}]},
            )
        )
        db.session.add(Setting(key="topic_suggestions_q", value={"items": [{"examples": [COMMENT_1]}]}))
        endpoint = WebhookEndpoint(url="https://hooks.example.com/x", secret="whsec_" + "A" * 32)
        db.session.add(endpoint)
        db.session.flush()
        msg = webhooks.emit("response.created", webhooks.response_data(r1), contact.id, r1.id)
        delivery = db.session.execute(
            sa.select(WebhookDelivery).where(WebhookDelivery.message_id == msg.id)
        ).scalar_one()
        db.session.add(WebhookAttempt(delivery_id=delivery.id, status_code=500, response_body=f"bad {EMAIL}"))
        db.session.add(
            IdempotencyKey(
                token_id=_token(admin),
                key="k",
                method="POST",
                path="/api/v1/contacts",
                body_hash="0" * 64,
                status_code=201,
                response_body=f'{{"email": "{EMAIL}"}}',
            )
        )
        db.session.commit()
        assert _hits() == set(MARKERS), f"planting missed: {set(MARKERS) - _hits()}"
        return contact.id, other.id


def _token(user) -> int:
    from app.api import tokens

    return tokens.create_token(user, "t", ["read"], None).row.id


def _hits() -> set[str]:
    """Markers found in any text or JSON column of any table."""
    found = set()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (sa.String, sa.Text, sa.JSON)):
                continue
            as_text = sa.func.lower(sa.cast(column, sa.Text))
            for marker in MARKERS:
                if db.session.execute(
                    sa.select(sa.literal(1))
                    .select_from(table)
                    .where(as_text.contains(marker.lower(), autoescape=True))
                    .limit(1)
                ).first():
                    found.add(marker)
    return found


def test_erasure_leaves_no_trace_anywhere(app):
    contact_id, other_id = plant(app)
    with app.app_context():
        done = dataprotection.erase_contact(contact_id, None)
        assert done.responses == 2
        assert _hits() == set(), f"left behind: {_hits()}"
        assert db.session.get(Contact, contact_id) is None
        assert is_suppressed(EMAIL)  # never mailed again
        scores = db.session.execute(sa.select(Response.score).order_by(Response.id)).scalars().all()
        assert 3 in scores and 9 in scores  # the figures keep the anonymised scores
        assert db.session.get(Response, other_id).comment == "someone else entirely, keep me"
        stones = db.session.execute(sa.select(Tombstone.resource, Tombstone.reason)).all()
        assert ("contact", "erased") in stones and stones.count(("response", "erased")) == 2
        assert db.session.execute(
            sa.select(WebhookMessage).where(WebhookMessage.event_type == "response.erased")
        ).first()
        audit = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "contact.erase")
        ).scalar_one()
        assert audit.details == {"responses": 2}


def test_erasing_twice_is_a_no_op_and_unknown_is_not_found(app):
    contact_id, _ = plant(app)
    with app.app_context():
        dataprotection.erase_contact(contact_id, None)
        count = db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one()
        again = dataprotection.erase_contact(contact_id, None)
        assert (
            again.already
            and db.session.execute(sa.select(sa.func.count(AuditEvent.id))).scalar_one() == count
        )
        with pytest.raises(dataprotection.NotFound):
            dataprotection.erase_contact(987654, None)


def test_the_api_exports_and_erases(app, api_client):
    contact_id, _ = plant(app)
    api = api_client("admin", "read", "privacy")
    exported = api.get(f"/contacts/{contact_id}/export")
    assert exported.status_code == 200
    body = exported.json
    assert body["contact"]["email"] == EMAIL and len(body["responses"]) == 2
    assert {r["comment"] for r in body["responses"]} == {COMMENT_1, COMMENT_2}
    assert body["invitations"][0]["clicks"][0]["user_agent"].startswith("UA-MARKER")
    assert api._open("DELETE", f"/contacts/{contact_id}").status_code == 204
    assert api._open("DELETE", f"/contacts/{contact_id}").status_code == 204  # no-op
    assert api._open("DELETE", "/contacts/987654").status_code == 404
    assert api.get(f"/contacts/{contact_id}").status_code == 404
    assert api.get(f"/contacts/{contact_id}/export").status_code == 404
    stones = api.get("/tombstones").json["items"]
    assert {"resource": "contact", "object_id": contact_id} in [
        {k: s[k] for k in ("resource", "object_id")} for s in stones
    ]
    assert api_client("cs", "read", "write")._open("DELETE", f"/contacts/{contact_id}").status_code == 403


def test_admin_pages_export_and_erase_with_confirmation(app, admin_client, viewer_client):
    contact_id, _ = plant(app)
    found = admin_client.get("/settings/privacy", query_string={"q": EMAIL})
    assert found.status_code == 200 and "2 responses" in found.get_data(as_text=True)
    assert admin_client.get("/settings/privacy", query_string={"q": "nobody@x.example"}).status_code == 404
    download = admin_client.get(f"/settings/privacy/contacts/{contact_id}/export")
    assert download.status_code == 200 and download.json["contact"]["name"] == NAME
    assert "attachment" in download.headers["Content-Disposition"]
    refused = admin_client.post(f"/settings/privacy/contacts/{contact_id}/erase", data={"confirm": "wrong"})
    assert refused.status_code == 303
    with app.app_context():
        assert db.session.get(Contact, contact_id) is not None
    done = admin_client.post(
        f"/settings/privacy/contacts/{contact_id}/erase", data={"confirm": EMAIL.upper()}
    )
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Contact, contact_id) is None
    assert (
        admin_client.post(
            f"/settings/privacy/contacts/{contact_id}/erase", data={"confirm": EMAIL}, csrf="session"
        ).status_code
        == 404
    )
    assert viewer_client.get("/settings/privacy").status_code == 403
