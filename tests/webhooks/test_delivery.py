"""Webhook delivery: Standard Webhooks signatures (verified with the `standardwebhooks` library), the outbox
written with the event, retries with jitter and Retry-After, 410, 3xx, pausing, replay, and a receiver that
is down for the first part of a run."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.extensions import db
from app.models import (
    DeliveryStatus,
    EndpointState,
    OutboxMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    utcnow,
)
from app.webhooks import services as webhooks
from tests.factories import make_survey, make_user
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.usefixtures("loopback_allowed")


def _endpoint(app, url: str, events: list[str] | None = None) -> int:
    with app.app_context():
        return webhooks.create_endpoint(url, events or [], "test", None).id


def _emit(app, n: int = 1, event: str = "digest.sent") -> list[str]:
    with app.app_context():
        ids = [webhooks.emit(event, {"id": i}).msg_id for i in range(n)]
        db.session.commit()
        return ids


def _run(app) -> None:
    with app.app_context():
        webhooks.sweep()


def _delivery(app, endpoint_id: int) -> WebhookDelivery:
    with app.app_context():
        d = (
            db.session.execute(
                sa.select(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == endpoint_id)
                .order_by(WebhookDelivery.id.desc())
            )
            .scalars()
            .first()
        )
        db.session.expunge(d)
        return d


def test_a_delivery_is_signed_to_the_standard(app, receiver):
    eid = _endpoint(app, receiver.url)
    [msg_id] = _emit(app)
    _run(app)
    headers, body = receiver.got[0]
    with app.app_context():
        secret = db.session.get(WebhookEndpoint, eid).secret
    assert secret.startswith("whsec_")
    assert headers["webhook-id"] == msg_id and headers["webhook-signature"].startswith("v1,")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "digest.sent" and payload["data"] == {"id": 0}
    assert _delivery(app, eid).status == DeliveryStatus.DELIVERED


def test_during_rotation_both_secrets_verify(app, receiver):
    eid = _endpoint(app, receiver.url)
    with app.app_context():
        ep = db.session.get(WebhookEndpoint, eid)
        old = ep.secret
        new = webhooks.rotate_secret(ep, None)
    _emit(app)
    _run(app)
    headers, body = receiver.got[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
    with app.app_context():
        ep = db.session.get(WebhookEndpoint, eid)
        ep.previous_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    _emit(app)
    _run(app)
    headers, body = receiver.got[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


def test_events_are_written_with_the_answer_and_only_for_subscribers(app, receiver):
    from app.models import Channel
    from app.respond import services as respond

    eid = _endpoint(app, receiver.url, ["response.created"])
    _endpoint(app, receiver.url.replace("hooks", "other"), ["digest.sent"])
    with app.app_context():
        survey = make_survey("nps")
        respond.submit_anonymous(
            survey, "sub-1", respond.Answer(score=3, comment="meh", comment_present=True), Channel.LINK
        )
        msgs = db.session.execute(sa.select(WebhookMessage)).scalars().all()
        created = [m for m in msgs if m.event_type == "response.created"]
        assert len(created) == 1 and created[0].payload["data"]["score"] == 3
        deliveries = (
            db.session.execute(
                sa.select(WebhookDelivery.endpoint_id).where(WebhookDelivery.message_id == created[0].id)
            )
            .scalars()
            .all()
        )
        assert deliveries == [eid]
        # an event whose transaction rolls back leaves nothing behind
        before = db.session.execute(sa.select(sa.func.count(WebhookMessage.id))).scalar_one()
        webhooks.emit("response.created", {"id": 1})
        db.session.rollback()
        assert db.session.execute(sa.select(sa.func.count(WebhookMessage.id))).scalar_one() == before


def test_failures_retry_on_the_schedule_with_jitter_and_retry_after(app, receiver):
    app.config["WEBHOOK_SCHEDULE"] = (0, 100, 1000)
    eid = _endpoint(app, receiver.url)
    receiver.answers = [(500, {}), (503, {"Retry-After": "5000"}), (500, {})]
    _emit(app)
    _run(app)
    d = _delivery(app, eid)
    assert d.status == DeliveryStatus.PENDING and d.attempts == 1
    wait = (d.next_attempt_at - utcnow()).total_seconds()
    assert 85 <= wait <= 111  # 100 s ± 10% jitter
    with app.app_context():
        db.session.execute(sa.update(WebhookDelivery).values(next_attempt_at=utcnow()))
        db.session.commit()
    _run(app)
    d = _delivery(app, eid)
    assert 4990 <= (d.next_attempt_at - utcnow()).total_seconds() <= 5001  # Retry-After beats 1000 s
    with app.app_context():
        db.session.execute(sa.update(WebhookDelivery).values(next_attempt_at=utcnow()))
        db.session.commit()
    _run(app)
    d = _delivery(app, eid)
    assert d.status == DeliveryStatus.FAILED and d.attempts == 3  # schedule spent
    assert len(receiver.got) == 3 and len({h["webhook-id"] for h, _ in receiver.got}) == 1


def test_3xx_is_a_failure_and_no_redirect_is_followed(app, receiver):
    eid = _endpoint(app, receiver.url)
    receiver.answers = [(302, {"Location": "http://169.254.169.254/latest"})]
    _emit(app)
    _run(app)
    d = _delivery(app, eid)
    assert d.status == DeliveryStatus.PENDING and len(receiver.got) == 1
    with app.app_context():
        attempt = db.session.execute(
            sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == d.id)
        ).scalar_one()
        assert attempt.status_code == 302 and "not followed" in attempt.error


def test_410_disables_the_endpoint_and_tells_admins(app, receiver):
    with app.app_context():
        admin_email = make_user(role="admin").email
    eid = _endpoint(app, receiver.url)
    receiver.answers = [(410, {})]
    _emit(app, 2)
    _run(app)
    with app.app_context():
        ep = db.session.get(WebhookEndpoint, eid)
        assert ep.state == EndpointState.DISABLED and "410" in ep.state_reason
        mails = (
            db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.to_addr == admin_email))
            .scalars()
            .all()
        )
        assert mails and "disabled" in mails[0].subject
    assert len(receiver.got) == 1  # the second delivery is not attempted against a disabled endpoint


def test_an_endpoint_failing_too_long_is_paused_and_resumable(app, receiver):
    with app.app_context():
        admin_email = make_user(role="admin").email
    eid = _endpoint(app, receiver.url)
    receiver.answers = [(500, {})]
    _emit(app)
    _run(app)
    with app.app_context():
        ep = db.session.get(WebhookEndpoint, eid)
        ep.failing_since = utcnow() - timedelta(hours=73)
        db.session.execute(sa.update(WebhookDelivery).values(next_attempt_at=utcnow()))
        db.session.commit()
    _run(app)
    with app.app_context():
        ep = db.session.get(WebhookEndpoint, eid)
        assert ep.state == EndpointState.PAUSED
        assert db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.to_addr == admin_email)
        ).first()
    calls = len(receiver.got)
    _run(app)
    assert len(receiver.got) == calls  # paused: nothing sent
    receiver.answers = [(200, {})]
    with app.app_context():
        webhooks.resume(db.session.get(WebhookEndpoint, eid), None)
    _run(app)
    assert _delivery(app, eid).status == DeliveryStatus.DELIVERED


def test_replay_sends_the_same_webhook_id_again(app, receiver):
    eid = _endpoint(app, receiver.url)
    _emit(app)
    _run(app)
    d = _delivery(app, eid)
    with app.app_context():
        webhooks.replay(db.session.get(WebhookDelivery, d.id), None)
    _run(app)
    assert len(receiver.got) == 2 and receiver.got[0][0]["webhook-id"] == receiver.got[1][0]["webhook-id"]


def test_a_receiver_down_for_the_first_part_of_the_run_gets_every_event(app):
    receiver = Receiver()  # not listening yet: connections are refused
    eid = _endpoint(app, receiver.url)
    sent = _emit(app, 25, "response.created")
    _run(app)
    assert _delivery(app, eid).attempts == 1
    time.sleep(1.2)
    _run(app)  # still down: a second failed round
    receiver.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(1.1)
            _run(app)
            if {h["webhook-id"] for h, _ in receiver.got} >= set(sent):
                break
    finally:
        receiver.stop()
    with app.app_context():
        secret = db.session.get(WebhookEndpoint, eid).secret
        statuses = set(
            db.session.execute(
                sa.select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == eid)
            ).scalars()
        )
    got = {}
    for headers, body in receiver.got:
        got[headers["webhook-id"]] = Webhook(secret).verify(body, headers)
    assert set(sent) <= set(got) and statuses == {DeliveryStatus.DELIVERED}
    assert all(json.dumps(p) for p in got.values())
