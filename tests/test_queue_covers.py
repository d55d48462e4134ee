"""``enqueue_coalesced(delay=…)``: a delayed coalesced job covers its key in this process until shortly
before it starts, so the answer path asks Redis once per bucket and second, not once per answer (issue
18); and never counts on a job that may already have read its rows."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import fakeredis
import pytest
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from app import queue
from app.followups import services as followups

JOB = followups.APPLY_JOB
KEY = "followup-rules-64-7"


@pytest.fixture
def redis_queues(app, monkeypatch):
    """Jobs queued in a (fake) Redis as in production, not run inline; no cover remembered yet."""
    conn = fakeredis.FakeRedis()
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.extensions, "clearloop.redis", conn)
    monkeypatch.setitem(app.extensions, "clearloop.coalesced_covers", {})
    with app.app_context():
        yield conn


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


def test_a_delayed_job_starts_on_a_whole_second_at_least_the_delay_away(redis_queues):
    before = time.time()
    assert queue.enqueue_coalesced(JOB, [1, 2], key=KEY, delay=1.0) is True
    [(job_id, start)] = _scheduled(redis_queues).items()
    assert job_id == f"{KEY}-a"
    assert start == int(start) and before + 1.0 <= start <= time.time() + 2.0
    job = Job.fetch(job_id, connection=redis_queues)
    assert job.get_status() == JobStatus.SCHEDULED and job.args == ([1, 2],)


def test_later_calls_of_the_process_are_covered_without_asking_redis(redis_queues, monkeypatch):
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is True
    trips = _round_trips(monkeypatch)
    for _ in range(20):
        assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is False
    assert trips == []
    assert len(_scheduled(redis_queues)) == 1
    # another key is not covered by it
    assert queue.enqueue_coalesced(JOB, [9], key="followup-rules-64-8", delay=1.0) is True
    assert len(trips) == 1


def test_another_process_learns_the_start_time_with_the_status_read(redis_queues, monkeypatch):
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is True
    start = _scheduled(redis_queues)[f"{KEY}-a"]
    covers = queue._covers()
    covers.clear()  # the other web process: it has not queued that job itself
    trips = _round_trips(monkeypatch)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is False
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is False
    assert len(trips) == 1  # the first read brought the start time, the second call asked nothing
    until = covers[KEY]
    assert until <= time.monotonic() + (start - time.time()) - queue.COVER_MARGIN + 0.05


def test_the_cover_ends_before_the_job_may_start(redis_queues, monkeypatch):
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is True
    start = _scheduled(redis_queues)[f"{KEY}-a"]
    trips = _round_trips(monkeypatch)
    # just before the margin the call is covered; from the margin on, Redis is asked again
    wall, mono = time.time(), time.monotonic()
    monkeypatch.setattr(queue.time, "monotonic", lambda: mono + (start - wall) - queue.COVER_MARGIN - 0.05)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is False
    assert trips == []
    monkeypatch.setattr(queue.time, "monotonic", lambda: mono + (start - wall) - queue.COVER_MARGIN + 0.01)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is False  # still scheduled in Redis
    assert len(trips) == 1


def test_a_job_already_queued_to_run_covers_nothing(redis_queues, monkeypatch):
    """A slot waiting in the queue itself may start any moment: each call asks Redis again."""
    job = Job.create(func=print, id=f"{KEY}-a", connection=redis_queues)
    job.save()
    job.set_status(JobStatus.QUEUED)
    trips = _round_trips(monkeypatch)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is False
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is False
    assert len(trips) == 2
    assert KEY not in queue._covers()


def test_the_scheduler_moving_the_job_ends_nothing_early(redis_queues, monkeypatch):
    """Once the scheduler queued the job (it left the registry), a process without a cover asks again
    and, the job being waiting, is covered by it without remembering anything."""
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is True
    queue._covers().clear()
    registry = ScheduledJobRegistry(queue.spec(JOB).queue, connection=redis_queues)
    job = Job.fetch(f"{KEY}-a", connection=redis_queues)
    registry.remove(job)
    job.set_status(JobStatus.QUEUED)
    assert queue.enqueue_coalesced(JOB, [1], key=KEY, delay=1.0) is False
    assert KEY not in queue._covers()


def test_without_a_delay_nothing_is_remembered(redis_queues):
    assert queue.enqueue_coalesced(JOB, [1], key=KEY) is True
    assert _scheduled(redis_queues) == {}
    assert Job.fetch(f"{KEY}-a", connection=redis_queues).get_status() == JobStatus.QUEUED
    assert queue._covers() == {}


def test_inline_jobs_ignore_the_delay_and_run_now(app, monkeypatch):
    ran = []
    monkeypatch.setattr(followups, "apply_rules", lambda ids: ran.append(ids) or {})
    monkeypatch.setitem(app.extensions, "clearloop.coalesced_covers", {})
    with app.app_context():
        assert queue.jobs_inline()
        queue.enqueue_coalesced(JOB, [5], key=KEY, delay=1.0)
        queue.enqueue_coalesced(JOB, [6], key=KEY, delay=1.0)
        assert queue._covers() == {}
    assert ran == [[5], [6]]


def test_score_only_answers_queue_their_rules_delayed(redis_queues):
    assert followups.enqueue_rules([130]) is True
    [(job_id, start)] = _scheduled(redis_queues).items()
    assert job_id == f"followup-rules-{followups.RULES_BUCKET}-{130 // followups.RULES_BUCKET}-a"
    assert start >= datetime.now(UTC).timestamp() + followups.RULES_DELAY - 1.0
    assert followups.enqueue_rules([131]) is False  # the same bucket, covered
