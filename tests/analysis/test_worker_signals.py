"""The worker's parent refreshes the analyser before each nlp job; a stop signal arriving then must not be
swallowed (RQ raises StopRequested from its handler while the worker is not yet busy)."""

from __future__ import annotations

import fakeredis
import pytest
from rq import Queue, Worker
from rq.exceptions import StopRequested

from app.workers import PreloadingWorker


@pytest.fixture
def worker_and_runs(monkeypatch):
    conn = fakeredis.FakeRedis()
    queue = Queue("nlp", connection=conn)
    ran: list[str] = []
    monkeypatch.setattr(Worker, "execute_job", lambda self, job, q: ran.append(job))
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
