"""Real parts: tagging through real Redis and real worker.py processes, a SIGKILLed worker, a flushed Redis.

These commit for real (both apps share the test database) and need REDIS_URL; each stays within seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.job import Job
from rq.registry import StartedJobRegistry

from app import queue
from app.analysis.dispatch import job_size
from app.analysis.pipeline import get_analyzer
from app.analysis.services import enqueue_tagging
from app.analysis.taxonomy_store import ensure_taxonomy
from app.extensions import db
from app.models import AnalysisState, Mention, Response
from app.tasks.analysis import sweep_pending_analysis
from tests.analysis.conftest import add_responses, backdate

pytestmark = [pytest.mark.committed, pytest.mark.redis]

PARTS = [
    "Onboarding was smooth",
    "the invoices are wrong every month",
    "support answered within minutes",
    "the dashboard is painfully slow",
    "pricing went up again",
    "SSO login fails on Mondays",
    "the API docs are outdated",
    "great product overall",
]


def comments(n: int) -> list[str]:
    """Varied comments with one to three topics each."""
    return [
        " but ".join(PARTS[(i + k * 3) % len(PARTS)] for k in range(1 + i % 3)) + f". Ticket {i}."
        for i in range(n)
    ]


def run_worker(worker_process, timeout: float = 300) -> str:  # minutes at load 20 (the 9 kB texts)
    """Run a burst worker on the nlp queue to the end; return its output."""
    proc = worker_process("nlp", burst=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the worker did not finish: " + proc.communicate()[0][-4000:]) from None
    assert proc.returncode == 0, out[-3000:]
    return out


def expected_mentions(texts: dict[int, str]) -> dict[int, int]:
    """How many mention rows each response should end with (the analyser run in this process)."""
    analyzer = get_analyzer()
    return {
        rid: len(result.mentions)
        for rid, result in zip(texts, analyzer.analyze(list(texts.values())), strict=True)
    }


def assert_tagged_exactly_once(ids: list[int]) -> None:
    """Every response done, each with exactly the mentions one analysis gives (no duplicates)."""
    rows = db.session.execute(
        sa.select(Response.id, Response.comment, Response.analysis_state).where(Response.id.in_(ids))
    ).all()
    assert {r.analysis_state for r in rows} == {AnalysisState.DONE}
    counts = dict(
        db.session.execute(
            sa.select(Mention.response_id, sa.func.count())
            .where(Mention.response_id.in_(ids))
            .group_by(Mention.response_id)
        ).all()
    )
    expected = expected_mentions({r.id: r.comment for r in rows})
    assert {rid: counts.get(rid, 0) for rid in ids} == expected
    assert sum(expected.values()) > 0


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@contextmanager
def rows_locked(ids: list[int]) -> Iterator[None]:
    """Hold the rows (PostgreSQL) or the whole database (SQLite) so a worker blocks mid-job."""
    with db.engine.connect() as conn:
        trans = conn.begin()  # SQLite: BEGIN IMMEDIATE takes the write lock
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(Response.id).where(Response.id.in_(ids)).with_for_update())
        try:
            yield
        finally:
            trans.rollback()


def test_a_real_worker_tags_200_responses(app, redis_app, worker_process, clean_redis):
    with redis_app.app_context():
        ensure_taxonomy()
        ids = add_responses(*comments(200))
        enqueue_tagging(ids)
        buckets = {i // job_size() for i in ids}
        assert Queue("nlp", connection=redis_app.extensions["clearloop.redis"]).count == len(buckets)
    run_worker(worker_process)
    with app.app_context():
        assert_tagged_exactly_once(ids)


def test_a_worker_past_its_job_limit_continues_in_a_fresh_process(
    app, redis_app, worker_process, clean_redis, monkeypatch
):
    """The memory-growth guard: after WORKER_MAX_JOBS tagging jobs the worker finishes its job and
    replaces itself by a fresh process (the same PID), which takes the rest; nothing is lost or doubled."""
    with redis_app.app_context():
        ensure_taxonomy()
        ids = add_responses(*comments(50))
        for start in range(0, len(ids), 10):
            queue.enqueue("analysis.analyze_responses", ids[start : start + 10])  # five jobs
        db.session.remove()
    monkeypatch.setenv("WORKER_MAX_JOBS", "2")
    proc = worker_process("nlp", burst=True)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]
    assert out.count("restarting in a fresh process") == 2, out[-3000:]  # after jobs 2 and 4
    starts = [line for line in out.splitlines() if "started with PID" in line]
    assert len(starts) == 3 and all(f"PID {proc.pid}," in line for line in starts), starts
    with app.app_context():
        assert_tagged_exactly_once(ids)


def _wait_for_started(conn, timeout: float = 90) -> str:  # a worker starts in 20 s at load 12
    registry = StartedJobRegistry(queue=Queue("nlp", connection=conn))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = registry.get_job_ids()
        if started:
            return started[0]
        time.sleep(0.02)
    raise AssertionError("the worker never started a job")


def _kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL the whole worker, which runs the tagging job itself, and its children (RQ's scheduler)."""
    for pid in [*_children(worker.pid), worker.pid]:
        os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    app, redis_app, worker_process, clean_redis, monkeypatch
):
    conn = redis_app.extensions["clearloop.redis"]
    long_text = ("The invoices are wrong every month but support answered within minutes. " * 120)[:9000]
    with redis_app.app_context():
        ensure_taxonomy()
        big = add_responses(*[f"{long_text} #{i}" for i in range(300)])  # one slow batch (about a second)
        small = add_responses(*comments(180))
        queue.enqueue("analysis.analyze_responses", big)
        for start in range(0, len(small), 20):
            queue.enqueue("analysis.analyze_responses", small[start : start + 20])
        db.session.remove()
    monkeypatch.setenv("NLP_BATCH_SIZE", "1000")  # the worker takes the big job as one batch
    with app.app_context():
        is_pg = db.engine.dialect.name == "postgresql"
        # PostgreSQL: lock the big job's rows up front, so its write blocks. SQLite: take the database's
        # write lock once the job runs (its analysis takes about a second), with the same effect.
        with rows_locked(big) if is_pg else _nothing():
            worker = worker_process("nlp", burst=True)
            job_id = _wait_for_started(conn)
            with _nothing() if is_pg else rows_locked(big):
                time.sleep(0.3)
                _kill_worker(worker)
        assert sorted(Job.fetch(job_id, connection=conn).args[0]) == big
        states = set(
            db.session.execute(sa.select(Response.analysis_state).where(Response.id.in_(big))).scalars()
        )
        assert states == {AnalysisState.PENDING}, "the killed batch must not be half-written"
        db.session.remove()
    monkeypatch.delenv("NLP_BATCH_SIZE")
    run_worker(worker_process)  # another worker takes the jobs still queued
    with redis_app.app_context():
        pending = list(
            db.session.execute(
                sa.select(Response.id).where(Response.analysis_state == AnalysisState.PENDING)
            ).scalars()
        )
        assert sorted(pending) == big
        backdate(pending)
        assert sweep_pending_analysis()["enqueued"] >= 1
        db.session.remove()
    run_worker(worker_process)
    with app.app_context():
        assert_tagged_exactly_once(big + small)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def test_redis_flushed_with_jobs_queued_then_the_sweeper_re_enqueues_them_all(
    app, redis_app, worker_process, clean_redis
):
    conn = redis_app.extensions["clearloop.redis"]
    queue = Queue("nlp", connection=conn)
    with redis_app.app_context():
        ensure_taxonomy()
        ids = add_responses(*comments(500))
        for rid in ids:
            enqueue_tagging([rid])  # one call per answer, as the submit service does
        assert queue.count == len({i // job_size() for i in ids}), "answers in a bucket share its waiting job"
        conn.flushdb()  # FLUSHALL would also empty other databases of this shared server
        assert queue.count == 0
        backdate(ids)
        result = sweep_pending_analysis()
        assert result["pending"] == 500
        swept = {i for job_id in queue.get_job_ids() for i in Job.fetch(job_id, connection=conn).args[0]}
        assert set(ids) <= swept
        assert sweep_pending_analysis()["enqueued"] == 0, "a second sweep must not duplicate waiting jobs"
        db.session.remove()
    run_worker(worker_process)
    with app.app_context():
        assert_tagged_exactly_once(ids)


def test_a_running_worker_rebuilds_its_analyser_once_after_a_taxonomy_edit(
    app, redis_app, redis_url, worker_process, clean_redis
):
    from app.analysis.editing import TopicInput, create_topic

    with redis_app.app_context():
        ensure_taxonomy()
        ids = add_responses("quokka mode is slow", "the invoices are wrong", "quokka mode again", "fine")
        db.session.remove()
    worker = worker_process("nlp", burst=False)
    with redis_app.app_context():
        enqueue_tagging(ids[:2])
        _wait_until(lambda: _done(ids[:2]), timeout=240, worker=worker)  # includes the worker's start
        create_topic(
            TopicInput(name="Quokka mode", phrases=["quokka mode"]), actor_id=None
        )  # queues a re-tag
        for rid in ids[2:]:
            enqueue_tagging([rid])  # one job each: every one is forked from the parent
        _wait_until(lambda: _done(ids))
        _wait_until(lambda: _retag_done())
        db.session.remove()
    # Stop it once it is idle again: a SIGTERM to an idle worker was once lost (RQ swallowed the stop and
    # the restart loop started a new worker), which made this test hang now and then (issue 18).
    _wait_until(lambda: _idle(redis_url), worker=worker)
    worker.send_signal(signal.SIGTERM)
    out, _ = worker.communicate(timeout=120)
    assert "ended unexpectedly" not in out, out[-3000:]
    with app.app_context():
        topic = db.session.execute(sa.text("SELECT id FROM topics WHERE key = 'quokka-mode'")).scalar_one()
        tagged = db.session.execute(
            sa.select(Mention.response_id).where(Mention.topic_id == topic).order_by(Mention.response_id)
        ).scalars()
        assert list(tagged) == [ids[0], ids[2]], "history was re-tagged, and new jobs use the new taxonomy"
        assert_tagged_exactly_once(ids)
    # Built at start, rebuilt once in the parent after the edit; never once per forked job.
    assert out.count("analyzer built") == 2, out[-3000:]


def test_a_sigterm_stops_an_idle_worker(redis_url, worker_process, clean_redis):
    """A stop signal that finds the worker waiting for jobs ends the process (it used to start a new
    worker in the same process and run on)."""
    worker = worker_process("nlp", burst=False)
    _wait_until(lambda: _idle(redis_url), timeout=240, worker=worker)
    time.sleep(0.5)  # into its blocking wait for a job
    worker.send_signal(signal.SIGTERM)
    try:
        out, _ = worker.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        raise AssertionError("the worker ran on after SIGTERM: " + worker.communicate()[0][-3000:]) from None
    assert worker.returncode == 0, out[-3000:]
    assert "ended unexpectedly" not in out, out[-3000:]


def _idle(redis_url: str) -> bool:
    """True when a registered worker waits for jobs (read on a connection of its own: the web app's
    0.2 s Redis timeout is too short on a loaded machine)."""
    import redis
    from rq import Worker

    conn = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        return any(w.get_state() == "idle" for w in Worker.all(connection=conn))
    finally:
        conn.close()


def _wait_until(predicate, timeout: float = 60, worker: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            if worker is not None:
                worker.kill()
                print(worker.communicate()[0][-4000:])
            raise AssertionError("timed out")
        time.sleep(0.1)


def _done(ids: list[int]) -> bool:
    # Short transactions: on SQLite even a read holds the write lock (BEGIN IMMEDIATE) until it ends.
    try:
        states = db.session.execute(sa.select(Response.analysis_state).where(Response.id.in_(ids))).scalars()
        return set(states) == {AnalysisState.DONE}
    finally:
        db.session.remove()


def _retag_done() -> bool:
    from app.models import RetagRun, RetagState

    try:
        runs = db.session.execute(sa.select(RetagRun.state)).scalars().all()
        return bool(runs) and set(runs) == {RetagState.DONE}
    finally:
        db.session.remove()
