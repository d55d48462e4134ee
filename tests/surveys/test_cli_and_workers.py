"""``flask surveys`` commands, and a send run by real RQ worker processes over real Redis."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import DeliveryState, Invitation, Send, SendStatus, Tier
from app.surveys.sending import create_send
from tests.factories import make_account, make_contact, make_survey


def test_the_send_command_sends_to_an_audience_and_reports(app):
    with app.app_context():
        account = make_account(tier=Tier.SMB)
        make_contact(account)
        make_contact(account, unsubscribed_at=sa.func.now())
        survey = make_survey()
        db.session.commit()
        survey_id = survey.id
    runner = app.test_cli_runner()
    result = runner.invoke(args=["surveys", "send", str(survey_id), "--tier", "smb", "--reminder-days", "3"])
    assert result.exit_code == 0, result.output
    assert "completed" in result.output and "sent=1" in result.output and "skipped=1" in result.output
    listing = runner.invoke(args=["surveys", "list"])
    assert str(survey_id) in listing.output and "nps" in listing.output
    assert "sent=1" in runner.invoke(args=["surveys", "sends"]).output
    refused = runner.invoke(args=["surveys", "send", str(survey_id)])
    assert refused.exit_code != 0 and "choose an audience" in refused.output
    missing = runner.invoke(args=["surveys", "send", "999999", "--all"])
    assert missing.exit_code != 0 and "no survey" in missing.output


def test_the_create_and_job_commands(app):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["surveys", "create", "--kind", "ces", "--name", "Support CES"])
    assert created.exit_code == 0 and created.output.startswith("created survey ")
    assert "started" in runner.invoke(args=["surveys", "sweep"]).output
    assert runner.invoke(args=["surveys", "remind"]).exit_code == 0


@pytest.mark.committed
@pytest.mark.redis
def test_a_send_runs_on_real_workers_over_redis(
    redis_app, clean_redis, worker_process, smtp_server, monkeypatch
):
    for name, value in {
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_STARTTLS": "0",
        "MAIL_BATCH_SIZE": "10",
    }.items():
        monkeypatch.setenv(name, value)
    with redis_app.app_context():
        account = make_account()
        for _ in range(35):
            make_contact(account)
        db.session.commit()
        send = create_send(make_survey(), {"type": "accounts", "ids": [account.id]})
        send_id = send.id
        assert db.session.get(Send, send_id).status == SendStatus.SCHEDULED  # queued in Redis, not run inline
    workers = [worker_process("mail", name=f"mail-{n}") for n in range(2)]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and any(w.poll() is None for w in workers):
        time.sleep(0.2)
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
    with redis_app.app_context():
        db.session.remove()
        states = db.session.execute(
            sa.select(Invitation.state, sa.func.count())
            .where(Invitation.send_id == send_id)
            .group_by(Invitation.state)
        ).all()
        status = db.session.get(Send, send_id).status
    assert dict(states) == {DeliveryState.SENT: 35} and status == SendStatus.COMPLETED
    assert len(smtp_server.recorder.messages) == 35 and len(set(smtp_server.recorder.recipients())) == 35
