"""The outage handling itself, without services (issue 17 §1 and §3): the worker loop replaces a worker that
Redis took down, ``rq cron``'s loop waits out errors, and the web side gives up on Redis at once."""

from __future__ import annotations

import logging

import fakeredis
import pytest
import redis
from rq import cron
from rq.exceptions import StopRequested

from app import create_app, queue
from app.cron import start_through_outages
from app.workers import work_through_outages
from tests.conftest import test_config as config_for


class FakeWorker:
    """Stands in for an RQ worker: its work loop fails as RQ's does when Redis goes, or returns."""

    def __init__(self, outcome: BaseException | None) -> None:
        self.outcome = outcome
        self._stop_requested = False
        self.queues: list = []
        self.deaths = 0

    def work(self, burst: bool = False, with_scheduler: bool = True) -> bool:
        if self.outcome is not None:
            raise self.outcome
        return True

    def register_death(self) -> None:
        self.deaths += 1


class FlakyConnection:
    """``ping`` fails ``failures`` times, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    def ping(self) -> bool:
        if self.failures:
            self.failures -= 1
            raise redis.ConnectionError("Connection refused")
        return True


def test_a_worker_taken_down_by_redis_is_replaced_when_redis_returns(caplog):
    outcomes = [redis.ConnectionError("Connection refused"), None]
    made: list[FakeWorker] = []

    def make() -> FakeWorker:
        made.append(FakeWorker(outcomes.pop(0)))
        return made[-1]

    sleeps: list[float] = []
    with caplog.at_level(logging.WARNING):
        work_through_outages(make, FlakyConnection(3), burst=True, sleep=sleeps.append)
    assert len(made) == 2 and made[0].deaths == 1  # the old registration is cleared for the new worker
    assert sleeps == [0.5, 1.0]  # backoff while Redis is away (one failed ping found it, two more waited)
    assert caplog.text.count("Redis is unreachable") == 1 and caplog.text.count("Redis is back") == 1


def test_a_stop_request_ends_the_wait():
    def make() -> FakeWorker:
        return FakeWorker(redis.ConnectionError("down"))

    def sleep(_: float) -> None:
        raise StopRequested()

    work_through_outages(make, FlakyConnection(100), burst=False, sleep=sleep)  # returns, does not hang


def test_rq_cron_waits_out_redis_errors(monkeypatch, caplog):
    scheduler = cron.CronScheduler(connection=fakeredis.FakeRedis())
    calls = {"n": 0}

    def enqueue_jobs():
        calls["n"] += 1
        if calls["n"] <= 3:
            raise redis.ConnectionError("Connection refused")
        if calls["n"] == 5:
            raise StopRequested()
        return []

    monkeypatch.setattr(scheduler, "enqueue_jobs", enqueue_jobs)
    monkeypatch.setattr(scheduler, "_install_signal_handlers", lambda: None)
    monkeypatch.setattr("app.cron.time.sleep", lambda s: None)
    with caplog.at_level(logging.WARNING):
        start_through_outages(scheduler)
    assert calls["n"] == 5  # it kept going through three failures
    assert caplog.text.count("Redis is unreachable") == 1 and caplog.text.count("Redis is back") == 1
    assert cron.CronScheduler.start is start_through_outages  # loading app.cron installs it for `rq cron`


def test_the_web_side_waits_at_most_200_ms_on_redis_and_then_not_at_all(database_uri):
    web = create_app({**config_for(database_uri), "REDIS_URL": "redis://127.0.0.1:1/0"})
    kwargs = web.extensions["clearloop.redis"].connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] <= 0.2 and kwargs["socket_connect_timeout"] <= 0.2
    options = web.config["RATELIMIT_STORAGE_OPTIONS"]
    assert options["socket_timeout"] <= 0.2 and options["socket_connect_timeout"] <= 0.2
    assert web.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"]
    worker = create_app({**config_for(database_uri), "REDIS_URL": "redis://127.0.0.1:1/0", "IS_WORKER": True})
    assert worker.extensions["clearloop.redis"].connection_pool.connection_kwargs["socket_timeout"] == 5.0
    with web.app_context():
        assert queue.enqueue("analysis.sweep_pending_analysis") is False  # tried, failed fast
        tried = []
        web.extensions["clearloop.redis"].execute_command = lambda *a, **k: tried.append(a)
        assert queue.enqueue("analysis.sweep_pending_analysis") is False
        assert tried == []  # within the cool-down Redis is not asked again


@pytest.mark.parametrize("failures", [0, 2])
def test_the_scheduler_command_retries_a_due_job_redis_refused(app, monkeypatch, failures):
    from app.cli import scheduler

    attempts: list[str] = []
    first = queue.periodic_tasks()[0].name

    def enqueue(name: str) -> bool:
        attempts.append(name)
        return name != first or attempts.count(name) > failures  # Redis refuses the first job at first

    monkeypatch.setattr(queue, "enqueue", enqueue)
    monkeypatch.setattr(queue, "jobs_inline", lambda: False)
    ticks = {"n": 0}

    def sleep(_: float) -> None:
        ticks["n"] += 1
        if ticks["n"] > failures + 1:
            raise KeyboardInterrupt

    monkeypatch.setattr("app.cli.time.sleep", sleep)
    runner = app.test_cli_runner()
    runner.invoke(scheduler)
    assert attempts.count(first) == failures + 1  # retried every tick until Redis took it, then not again
