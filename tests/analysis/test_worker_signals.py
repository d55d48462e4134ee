"""The worker refreshes the analyser before each nlp job; a stop signal arriving then must not be swallowed
(RQ raises StopRequested from its handler while the worker is not yet busy). A forked work horse (mail,
default) never returns into the worker's loop."""

from __future__ import annotations

import fakeredis
import pytest
from rq import Queue
from rq.exceptions import StopRequested

from app.workers import PreloadingWorker


@pytest.fixture
def worker_and_runs(monkeypatch):
    conn = fakeredis.FakeRedis()
    queue = Queue("nlp", connection=conn)
    ran: list[str] = []
    monkeypatch.setattr(PreloadingWorker, "perform_here", lambda self, job, q: ran.append(job))
    return PreloadingWorker([queue], connection=conn), queue, ran


def test_a_stop_during_the_refresh_runs_the_taken_job_then_stops(app, worker_and_runs, monkeypatch):
    worker, queue, ran = worker_and_runs

    def signalled():
        raise StopRequested()

    monkeypatch.setattr("app.analysis.pipeline.get_analyzer", signalled)
    with app.app_context():
        worker.execute_job("job-1", queue)
    assert ran == ["job-1"]  # the dequeued job is not dropped
    assert worker._stop_requested  # and the work loop stops before the next one


def test_a_failed_refresh_is_logged_and_the_job_still_runs(app, worker_and_runs, monkeypatch, caplog):
    worker, queue, ran = worker_and_runs

    def broken():
        raise RuntimeError("taxonomy unreadable")

    monkeypatch.setattr("app.analysis.pipeline.get_analyzer", broken)
    with app.app_context():
        worker.execute_job("job-2", queue)
    assert ran == ["job-2"] and not worker._stop_requested
    assert "could not refresh the analyzer" in caplog.text


HORSE_ESCAPE = """
import os, sys
import redis
from rq import Queue
from rq.exceptions import StopRequested
from app.workers import PreloadingWorker

conn = redis.Redis.from_url(sys.argv[1])
queue = Queue("mail", connection=conn)  # a forking queue
queue.enqueue("os.getpid")
parent = os.getpid()


class Worker(PreloadingWorker):
    def setup_work_horse_signals(self):
        if os.getpid() != parent:
            raise StopRequested()  # what a SIGTERM landing between fork() and the horse's set-up raised
        super().setup_work_horse_signals()


Worker([queue], connection=conn).work(burst=True, with_scheduler=False)
print("left the work loop in the", "parent" if os.getpid() == parent else "HORSE", flush=True)
"""


@pytest.mark.redis
def test_a_work_horse_never_returns_into_the_parents_loop(redis_url, clean_redis):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", HORSE_ESCAPE, redis_url],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    left = [line for line in out.stdout.splitlines() if line.startswith("left the work loop")]
    assert left == ["left the work loop in the parent"], out.stdout[-3000:] + out.stderr[-2000:]


@pytest.fixture
def restore_signals():
    """``Worker.work`` installs its handlers in this process: put pytest's back after."""
    import signal

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.redis
def test_a_stuck_tagging_job_ends_at_its_timeout_and_the_worker_goes_on(
    redis_url, clean_redis, monkeypatch, restore_signals
):
    """Tagging jobs run in the worker process (no horse to kill): RQ's death penalty (SIGALRM) ends a job
    at its timeout, the job fails as any failed job, and the worker takes the next one."""
    import os

    import redis
    from rq.job import JobStatus

    conn = redis.Redis.from_url(redis_url)
    queue = Queue("nlp", connection=conn)
    stuck = queue.enqueue("time.sleep", 600, job_timeout=1)
    after = queue.enqueue("os.getpid")
    monkeypatch.setattr("app.analysis.services.refresh_analyzer", lambda: None)
    worker = PreloadingWorker([queue], connection=conn)
    worker.work(burst=True, with_scheduler=False)
    assert stuck.get_status(refresh=True) == JobStatus.FAILED
    assert "JobTimeoutException" in stuck.latest_result().exc_string
    assert after.get_status(refresh=True) == JobStatus.FINISHED
    assert after.return_value() == os.getpid(), "a tagging job runs in the worker process, not a horse"
    assert worker.jobs_in_process == 2 and not worker.restart_requested


WATCHDOG = """
import sys
import redis
from rq import Queue
from rq.timeouts import BaseDeathPenalty
import app.workers as workers

workers.HARD_STOP_GRACE = 1
workers.analysis.refresh_analyzer = lambda: None


class NoAlarm(BaseDeathPenalty):  # a job stuck where the alarm cannot reach it (a C call)
    def setup_death_penalty(self):
        pass

    def cancel_death_penalty(self):
        pass


conn = redis.Redis.from_url(sys.argv[1])
queue = Queue("nlp", connection=conn)
queue.enqueue("time.sleep", 600, job_timeout=1)
worker = workers.PreloadingWorker([queue], connection=conn)
worker.death_penalty_class = NoAlarm
worker.work(burst=True, with_scheduler=False)
print("the stuck job was never ended", flush=True)
"""


@pytest.mark.redis
def test_a_job_the_alarm_cannot_end_ends_the_worker_process(redis_url, clean_redis):
    """The watchdog: past the job's timeout and a grace, the whole process ends (non-zero: the supervisor
    restarts it; the sweeper re-enqueues the job's uncommitted rows)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", WATCHDOG, redis_url], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 70, out.stdout[-2000:] + out.stderr[-2000:]
    assert "ending the process" in out.stderr, out.stderr[-2000:]
    assert "never ended" not in out.stdout
