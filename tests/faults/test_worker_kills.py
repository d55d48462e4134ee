"""The worker SIGKILLed 20 times at random points of tagging and of an email batch: every response tagged
exactly once, no invitation sent twice (issue 17 §2 and the suite).

Two workers, one on the ``nlp`` queue and one on ``mail``, so kills land on both kinds of work: ten
land on tagging jobs, then ten on email batches. A tagging job runs in the worker process itself (no work
horse, issue 18 §3), so each tagging kill takes that whole worker (its process group: the worker and RQ's
scheduler process) while it runs a job, and the test then starts it again, as the supervisor
(systemd ``Restart=always``) does. Mail kills take an email batch's work horse, and one of them the whole
mail worker, which is then started again. The sweepers run
beside them every second in this process, as ``rq cron`` would, with the same settings as the workers; they
decide from the database, whatever Redis says about the killed jobs. The SMTP sink takes 30 ms over each
message, so a kill can land anywhere in a batch, including after the sink kept a message and before the
sender saw the reply: that invitation's fate is uncertain and it must stay ``uncertain``, never resent.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
import traceback
from collections import Counter

import pytest
import sqlalchemy as sa

from app import create_app, queue
from app.analysis import dispatch
from app.analysis.taxonomy_store import ensure_taxonomy
from app.extensions import db
from app.models import (
    AnalysisState,
    Contact,
    DeliveryState,
    Invitation,
    Response,
    Send,
    SendStatus,
    Survey,
    utcnow,
)
from app.surveys.services import catch_up_sends
from tests.analysis.test_workers import assert_tagged_exactly_once, comments
from tests.conftest import test_config as config_for
from tests.factories import make_account, make_contact, make_response, make_survey
from tests.faults.conftest import wait_for, work_horses

pytestmark = [pytest.mark.committed, pytest.mark.faults]

KILLS = 20
WHOLE = {15}  # this mail kill takes the whole mail worker; every tagging kill takes the whole nlp worker
CONTACTS = 150  # 15 batches of 10
RESPONSES = 180  # 30 tagging jobs of 6
# How long after a job starts the kill may come, per queue: about a job's length, so any point of it
# (a tagging job of 6 comments runs in the worker process in a few tens of milliseconds).
WINDOW = {"nlp": 0.1, "mail": 0.5}
# The workers' and the sweepers' settings alike (a sweeper with other batch sizes or timeouts than the
# workers would not be the deployment under test).
SETTINGS = {
    "MAIL_TRANSPORT": "smtp",
    "SMTP_STARTTLS": "0",
    "MAIL_BATCH_SIZE": "10",
    "MAIL_RETRY_DELAYS": "0",
    # Rows a killed batch left "sending" are recovered after 2 s: back to queued when no byte of them was
    # sent, else uncertain. Also while a slow live batch still holds them: its claim then loses the row.
    "MAIL_SENDING_TIMEOUT": "2",
    "NLP_BATCH_SIZE": "6",
    "SWEEP_AFTER_SECONDS": "2",
}


class Sweepers(threading.Thread):
    """The periodic sweeps of ``app.cron`` (tagging and sends), every second until stopped."""

    def __init__(self, app) -> None:
        super().__init__(daemon=True)
        self.app, self.stopped, self.errors, self.runs = app, threading.Event(), [], 0

    def run(self) -> None:
        while not self.stopped.wait(1):
            with self.app.app_context():
                try:
                    dispatch.catch_up_tagging()
                    catch_up_sends()
                    self.runs += 1
                except Exception:
                    self.errors.append(traceback.format_exc())
                finally:
                    db.session.remove()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)


class Workers:
    """One real ``worker.py`` per queue; kills the process running a job (a mail job's work horse; for a
    tagging job the nlp worker itself) or a whole worker, and restarts a killed worker."""

    def __init__(self, stack, env: dict[str, str], redis_url: str) -> None:
        import redis

        self.stack, self.env = stack, env
        self.redis = redis.Redis.from_url(redis_url)
        self.procs = {name: stack.worker(name, wait=False, **env) for name in ("nlp", "mail")}
        for proc in self.procs.values():
            stack.wait_log(proc, "Listening on", 90)

    def horse(self, names: list[str]) -> tuple[str, int] | None:
        """The process running a job of the first of ``names`` that runs one."""
        for name in names:
            if name == "nlp":  # tagging runs in the worker process: the worker, while it is busy
                if self._busy(self.procs[name].pid):
                    return name, self.procs[name].pid
                continue
            horses = work_horses(self.procs[name].pid)
            if horses:
                return name, horses[0]
        return None

    def _busy(self, pid: int) -> bool:
        from rq import Worker

        return any(w.pid == pid and w.get_state() == "busy" for w in Worker.all(connection=self.redis))

    def kill(self, name: str, horse: int, whole: bool) -> None:
        """SIGKILL the process running the job, and with ``whole`` (always for tagging, which runs in the
        worker) the worker's process group, then start a new worker."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(horse, signal.SIGKILL)
        if whole or name == "nlp":
            proc = self.procs[name]
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            self.procs[name] = self.stack.worker(name, **self.env)


def _kill_once(workers: Workers, name: str, n: int, rng: random.Random) -> None:
    """Kill number ``n``: wait for a job of ``name`` to run, let it work a random moment of a job's length,
    SIGKILL the process running it (a mail work horse, or the nlp worker) or the whole worker."""
    _, horse = wait_for(lambda: workers.horse([name]), 20, 0.005, f"a {name} job to run")
    time.sleep(rng.uniform(0, WINDOW[name]))
    workers.kill(name, horse, whole=n in WHOLE)


def _progress(send_id: int | None) -> tuple[Counter, Counter, SendStatus | None]:
    analysis = Counter(db.session.execute(sa.select(Response.analysis_state)).scalars())
    delivery = Counter(
        db.session.execute(sa.select(Invitation.state).where(Invitation.send_id == send_id)).scalars()
    )
    return analysis, delivery, db.session.get(Send, send_id).status if send_id else None


# 20 kills, ten of them restarting the nlp worker (spaCy loads again): ~2 min alone, past the suite's 300 s
# hang guard when the machine is shared (a run at load 17 was at the last kill at 300 s)
@pytest.mark.timeout(900)
def test_worker_sigkilled_20_times_tags_once_and_mails_once(app, stack, own_redis, database_uri, slow_smtp):
    rng = random.Random(17)
    env = {**SETTINGS, "SMTP_HOST": slow_smtp.host, "SMTP_PORT": str(slow_smtp.port)}
    fault_app = create_app({**config_for(database_uri), "REDIS_URL": own_redis.url, **_typed(env)})
    with fault_app.app_context():
        ensure_taxonomy()
        survey = make_survey()
        ids = [make_response(survey, comment=c).id for c in comments(RESPONSES)]
        account = make_account()
        for _ in range(CONTACTS):
            make_contact(account)
        db.session.commit()
        survey_id, account_id = survey.id, account.id
        for start in range(0, len(ids), 6):  # many small jobs: many points to be killed at
            queue.enqueue(dispatch.TAG_JOB, ids[start : start + 6])
        dispatch.catch_up_tagging()  # loads the analyser here, before the workers start
        db.session.remove()

    sweepers = Sweepers(fault_app)
    workers = Workers(stack, env, own_redis.url)
    sweepers.start()
    send_id = None
    kills = Counter()
    try:
        # Tagging first, then an email send (while tagging recovers): each kind surely has work to kill.
        for n in range(KILLS):
            name = "nlp" if n < KILLS // 2 else "mail"
            if name == "mail" and send_id is None:
                send_id = _send_now(fault_app, survey_id, account_id)  # the sweepers launch it
            if name == "nlp":
                _keep_tagging_queued(fault_app, survey_id, ids)
            try:
                _kill_once(workers, name, n, rng)
            except AssertionError as exc:
                state = _state(fault_app, send_id, stack, workers)
                raise AssertionError(f"kill {n}: {exc}; {state}") from None
            kills[name] += 1
        # Recovery: the workers keep running; the sweepers find what the kills left, from the database.
        try:
            wait_for(lambda: _finished(fault_app, send_id), 60, 0.5, "tagging and the send to finish")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {_state(fault_app, send_id, stack, workers)}") from None
    finally:
        sweepers.stop()
    assert not sweepers.errors, sweepers.errors[0]

    received = Counter(slow_smtp.recorder.recipients())
    with app.app_context():
        assert_tagged_exactly_once(ids)
        rows = db.session.execute(
            sa.select(Invitation.state, Contact.email)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.send_id == send_id)
        ).all()
    states = Counter(state for state, _ in rows)
    sent = {email.lower() for state, email in rows if state == DeliveryState.SENT}
    uncertain = {email.lower() for state, email in rows if state == DeliveryState.UNCERTAIN}
    assert len(rows) == CONTACTS
    assert set(states) <= {DeliveryState.SENT, DeliveryState.UNCERTAIN}, states
    twice = {address: n for address, n in received.items() if n > 1}
    assert not twice, f"mailed more than once: {twice}"
    assert sent <= set(received), f"marked sent but never received: {sorted(sent - set(received))}"
    stray = set(received) - sent - uncertain
    assert not stray, f"received but neither sent nor uncertain: {stray}"
    # Each kill of a mail batch leaves at most the one message it had in flight uncertain.
    assert len(uncertain) <= kills["mail"], (states, kills)
    print(
        f"kills {dict(kills)}: {len(ids)} answers tagged, {len(sent)} sent, {len(uncertain)} uncertain "
        f"({len(set(received) & uncertain)} of them reached the sink); {sweepers.runs} sweeps"
    )


def _keep_tagging_queued(app, survey_id: int, ids: list[int], low: int = 60) -> None:
    """Before a tagging kill: when fewer than ``low`` answers still wait, add ``low`` more in jobs of 6 (their
    ids join ``ids``). The worker tags a job in ~10 ms, so the first 30 jobs could all be done before the
    tenth kill (a CI run timed out at kill 8 waiting for a tagging job that would never come)."""
    with app.app_context():
        waiting = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Response)
            .where(Response.analysis_state == AnalysisState.PENDING)
        )
        if waiting < low:
            survey = db.session.get(Survey, survey_id)
            more = [make_response(survey, comment=c).id for c in comments(low)]
            db.session.commit()
            for start in range(0, len(more), 6):
                queue.enqueue(dispatch.TAG_JOB, more[start : start + 6])
            ids.extend(more)
        db.session.remove()


def _finished(app, send_id: int) -> bool:
    with app.app_context():
        analysis, _, status = _progress(send_id)
        db.session.remove()
    return set(analysis) <= {AnalysisState.DONE, AnalysisState.FAILED} and status == SendStatus.COMPLETED


def _send_now(app, survey_id: int, account_id: int) -> int:
    """A send to the account's contacts, due now: the next sweep starts it and queues its batches."""
    with app.app_context():
        send = Send(
            survey_id=survey_id,
            status=SendStatus.SCHEDULED,
            scheduled_at=utcnow(),
            audience={"type": "accounts", "ids": [account_id]},
        )
        db.session.add(send)
        db.session.commit()
        send_id = send.id
        db.session.remove()
        return send_id


def _state(app, send_id: int | None, stack, workers: Workers) -> str:
    """What a failure message needs: the progress in the database and the end of each worker's log."""
    with app.app_context():
        progress = _progress(send_id)
        db.session.remove()
    logs = {name: stack.log_of(proc)[-1500:] for name, proc in workers.procs.items()}
    return f"{progress}; logs {logs}"


def _typed(env: dict[str, str]) -> dict:
    """The settings as create_app's overrides (numbers as numbers)."""
    from app.config import load_config

    return {key: load_config({**env, "SECRET_KEY": "x"})[key] for key in env}
