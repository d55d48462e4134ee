"""A real process delivering a digest, SIGKILLed mid-send twice, then the sweeper: no member is mailed twice,
everyone not in flight at a kill gets it, and at most one email per kill is left uncertain."""

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
from app.insights import digest_flow
from app.insights.periods import Period
from app.models import DeliveryState, Digest, DigestState, Team, TeamMessage
from tests.factories import make_user

pytestmark = [pytest.mark.committed, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 60
RUN = (
    "import sys\n"
    "from app import create_app\n"
    "app = create_app()\n"
    "with app.app_context():\n"
    "    from app.tasks import insights\n"
    "    job = getattr(insights, sys.argv[1])\n"
    "    print(job(*map(int, sys.argv[2:])), flush=True)\n"
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
            "MAIL_SENDING_TIMEOUT": "0",  # the killed sender is dead: recover its rows at once
            "MAIL_RETRY_DELAYS": "0",
        }
    )
    return env


def _run(env: dict[str, str], smtp_server, args: list[str], kill_at: int | None = None) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    if kill_at is None:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out.decode(errors="replace")
        return
    deadline = time.monotonic() + 60
    while (
        len(smtp_server.recorder.messages) < kill_at and proc.poll() is None and time.monotonic() < deadline
    ):
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def test_killing_the_digest_sender_never_mails_a_member_twice(app, database_uri, smtp_server):
    with app.app_context():
        team = Team(name="Everyone", timezone="UTC")
        team.members = [make_user("viewer", email=f"member{i:02d}@example.com") for i in range(MEMBERS)]
        db.session.add(team)
        db.session.commit()
        digest, _ = digest_flow.ensure_digest(team, Period(*_last_week(), "UTC"))
        assert digest_flow.build(digest.id)
        digest_id = digest.id
    env = _env(database_uri, smtp_server)
    _run(env, smtp_server, ["deliver_digest", str(digest_id)], kill_at=15)
    _run(env, smtp_server, ["sweep_team_mail"], kill_at=35)  # recovers, then re-delivers inline: killed again
    _run(env, smtp_server, ["sweep_team_mail"])
    with app.app_context():  # a further sweep finds nothing left to do
        from app.insights.services import sweep_team_mail

        assert sweep_team_mail() == {"released": 0, "uncertain": 0, "builds": 0, "digests": 0, "alerts": 0}

    received = Counter(smtp_server.recorder.recipients())
    assert received and max(received.values()) == 1, "a member was mailed twice"
    with app.app_context():
        rows = (
            db.session.execute(sa.select(TeamMessage).where(TeamMessage.digest_id == digest_id))
            .scalars()
            .all()
        )
        states = Counter(r.state for r in rows)
        sent = {r.to_email for r in rows if r.state == DeliveryState.SENT}
        uncertain = {r.to_email for r in rows if r.state == DeliveryState.UNCERTAIN}
        final = db.session.get(Digest, digest_id).state
    assert set(states) <= {DeliveryState.SENT, DeliveryState.UNCERTAIN}
    assert states[DeliveryState.SENT] + states[DeliveryState.UNCERTAIN] == MEMBERS
    assert states[DeliveryState.UNCERTAIN] <= 2  # at most the one in flight at each kill
    assert sent <= set(received) and set(received) <= sent | uncertain
    assert final == (DigestState.UNCERTAIN if uncertain else DigestState.SENT)


def _last_week():
    from datetime import date, timedelta

    monday = date.today() - timedelta(days=date.today().weekday() + 7)
    return monday, monday + timedelta(days=6)
