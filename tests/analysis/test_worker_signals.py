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
