"""``enqueue_coalesced(window=…)``: one job per key and window of the clock, started one window after its
window ends, so each web process asks Redis once per bucket and window (the answer path's follow-up
rules, issue 18), and never counts on a job that may already have read its rows."""

from __future__ import annotations

import fakeredis
import pytest
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from app import queue
from app.followups import services as followups
from app.resilience import Breaker

JOB = followups.APPLY_JOB
KEY = "followup-rules-64-7"
T0 = 1_800_000_000.0  # a window's start


@pytest.fixture
def redis_queues(app, monkeypatch):
    """Jobs queued in a (fake) Redis as in production, not run inline; no window remembered yet; the
    clock at ``T0`` + 0.3 s."""
    conn = fakeredis.FakeRedis()
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.extensions, "clearloop.redis", conn)
    monkeypatch.setitem(app.extensions, "clearloop.coalesced_covers", {})
    monkeypatch.setitem(app.extensions, "clearloop.redis_breaker", Breaker("enqueue", cool_down=5.0))
    clock(monkeypatch, T0 + 0.3)
    with app.app_context():
        yield conn


def clock(monkeypatch, at: float) -> None:
    monkeypatch.setattr(queue, "_clock", lambda: at)


def _scheduled(conn) -> dict[str, float]:
    key = ScheduledJobRegistry(queue.spec(JOB).queue, connection=conn).key
    return {k.decode(): score for k, score in conn.zrange(key, 0, -1, withscores=True)}


def _round_trips(monkeypatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = queue._slot_states

    def counting(job_ids, scheduled_in=None):
        calls.append(list(job_ids))
        return real(job_ids, scheduled_in)

    monkeypatch.setattr(queue, "_slot_states", counting)
    return calls


def test_a_windows_job_starts_one_window_after_the_window_ends(redis_queues):
    assert queue.enqueue_coalesced(JOB, [1, 2], key=KEY, window=1) is True
    turn = int(T0)
    assert _scheduled(redis_queues) == {f"{KEY}-t{turn}": T0 + 2}
    job = Job.fetch(f"{KEY}-t{turn}", connection=redis_queues)
    assert job.get_status() == JobStatus.SCHEDULED and job.args == ([1, 2],)


def test_later_calls_in_the_window_are_covered_without_asking_redis(redis_queues, monkeypatch):
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is True
    trips = _round_trips(monkeypatch)
    for _ in range(20):
        assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is False
    clock(monkeypatch, T0 + 0.999)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is False
    assert trips == []
    # another key is not covered by it
    assert queue.enqueue_coalesced(JOB, [9], key="followup-rules-64-8", window=1) is True
    assert len(trips) == 1 and len(_scheduled(redis_queues)) == 2


def test_the_next_window_gets_its_own_job(redis_queues, monkeypatch):
    """A call of the next window could commit after the first window's job started: it asks again."""
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is True
    clock(monkeypatch, T0 + 1.0)
    trips = _round_trips(monkeypatch)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is True
    assert len(trips) == 1
    assert _scheduled(redis_queues) == {f"{KEY}-t{int(T0)}": T0 + 2, f"{KEY}-t{int(T0) + 1}": T0 + 3}


def test_another_process_learns_of_the_windows_job_in_one_read(redis_queues, monkeypatch):
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is True
    queue._covers().clear()  # the other web process: it has not queued that job itself
    trips = _round_trips(monkeypatch)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is False
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is False
    assert len(trips) == 1  # the first read found the scheduled job; the second call asked nothing
    assert len(_scheduled(redis_queues)) == 1


def test_a_windows_job_that_already_left_the_schedule_covers_nothing(redis_queues, monkeypatch):
    """With clocks far apart the scheduler may have queued (or run) the window's job: the call gets a job
    of its own and remembers nothing."""
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is True
    queue._covers().clear()
    registry = ScheduledJobRegistry(queue.spec(JOB).queue, connection=redis_queues)
    job = Job.fetch(f"{KEY}-t{int(T0)}", connection=redis_queues)
    registry.remove(job)
    job.set_status(JobStatus.STARTED)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is True
    assert KEY not in queue._covers()
    waiting = queue.get_queue(queue.spec(JOB).queue).jobs
    assert [j.args for j in waiting] == [([1],)]  # a one-off job, to run now


def test_a_job_starting_too_soon_covers_nothing(redis_queues, monkeypatch):
    """Another process's job of this key scheduled to start before the window ends is no cover."""
    q = queue.get_queue(queue.spec(JOB).queue)
    from datetime import UTC, datetime

    q.enqueue_at(datetime.fromtimestamp(T0 + 1, UTC), print, job_id=f"{KEY}-t{int(T0)}")
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is True
    assert KEY not in queue._covers()


def test_redis_down_is_the_sweepers(redis_queues, monkeypatch):
    def down(*a, **kw):
        raise queue.redis.ConnectionError("refused")

    monkeypatch.setattr(queue, "_slot_states", down)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, window=1) is False
    assert KEY not in queue._covers()


def test_without_a_window_nothing_is_remembered(redis_queues):
    assert queue.enqueue_coalesced(JOB, [1], key=KEY) is True
    assert _scheduled(redis_queues) == {}
    assert Job.fetch(f"{KEY}-a", connection=redis_queues).get_status() == JobStatus.QUEUED
    assert queue._covers() == {}


def test_inline_jobs_ignore_the_window_and_run_now(app, monkeypatch):
    ran = []
    monkeypatch.setattr(followups, "apply_rules", lambda ids: ran.append(ids) or {})
    monkeypatch.setitem(app.extensions, "clearloop.coalesced_covers", {})
    with app.app_context():
        assert queue.jobs_inline()
        queue.enqueue_coalesced(JOB, [5], key=KEY, window=1)
        queue.enqueue_coalesced(JOB, [6], key=KEY, window=1)
        assert queue._covers() == {}
    assert ran == [[5], [6]]


def test_score_only_answers_queue_their_rules_per_window(redis_queues):
    assert followups.enqueue_rules([130]) is True
    bucket = 130 // followups.RULES_BUCKET
    assert _scheduled(redis_queues) == {
        f"followup-rules-{followups.RULES_BUCKET}-{bucket}-t{int(T0)}": T0 + 2
    }
    assert followups.enqueue_rules([131]) is False  # the same bucket and second: covered
