"""A real sender process SIGKILLed in the middle of a send, three times: no address is mailed twice,
rows never tried go out on the next run, and at most one row per kill is left uncertain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import DeliveryState, Invitation, Send, SendStatus, utcnow
from tests.factories import make_account, make_contact, make_survey

pytestmark = [pytest.mark.committed, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONTACTS = 300
SENDER = (
    "from app import create_app\n"
    "app = create_app()\n"
    "with app.app_context():\n"
    "    from app.tasks.mail import sweep_sends\n"
    "    print(sweep_sends(), flush=True)\n"
)


def _env(database_uri: str, smtp_server) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_uri,
            "REDIS_URL": "",
            "SMTP_HOST": smtp_server.host,
            "SMTP_PORT": str(smtp_server.port),
            "SMTP_STARTTLS": "0",
            "MAIL_BATCH_SIZE": "25",
            "MAIL_SENDING_TIMEOUT": "0",  # the killed sender is dead: recover its rows at once
            "MAIL_RETRY_DELAYS": "0",
        }
    )
    return env


def _run(env: dict[str, str], smtp_server, kill_at: int | None) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SENDER],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if kill_at is None:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        return
    deadline = time.monotonic() + 60
    while (
        len(smtp_server.recorder.messages) < kill_at and proc.poll() is None and time.monotonic() < deadline
    ):
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def test_killing_the_sender_never_mails_anyone_twice(app, database_uri, smtp_server):
    with app.app_context():
        survey = make_survey()
        account = make_account()
        for _ in range(CONTACTS):
            make_contact(account)
        send = Send(
            survey_id=survey.id,
            status=SendStatus.SCHEDULED,
            scheduled_at=utcnow(),
            audience={"type": "accounts", "ids": [account.id]},
        )
        db.session.add(send)
        db.session.commit()
        send_id = send.id
    env = _env(database_uri, smtp_server)
    for kill_at in (40, 110, 190):
        _run(env, smtp_server, kill_at)
    _run(env, smtp_server, None)
    _run(env, smtp_server, None)  # a further run finds nothing left to do

    received = Counter(smtp_server.recorder.recipients())
    assert received and max(received.values()) == 1, "an address was mailed twice"
    with app.app_context():
        rows = db.session.execute(sa.select(Invitation).where(Invitation.send_id == send_id)).scalars().all()
        states = Counter(inv.state for inv in rows)
        sent = {inv.contact.email for inv in rows if inv.state == DeliveryState.SENT}
        uncertain = {inv.contact.email for inv in rows if inv.state == DeliveryState.UNCERTAIN}
        assert db.session.get(Send, send_id).status == SendStatus.COMPLETED
    assert set(states) <= {DeliveryState.SENT, DeliveryState.UNCERTAIN}
    assert states[DeliveryState.SENT] + states[DeliveryState.UNCERTAIN] == CONTACTS
    assert states[DeliveryState.UNCERTAIN] <= 3  # at most the one in flight at each kill
    assert sent <= set(received) and set(received) <= sent | uncertain
