"""Queue access. Jobs are enqueued after commit, best effort: the SQL row is the truth, and the sweeper
re-enqueues what a Redis outage dropped. Embedded default: an in-process fake Redis with inline jobs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import fakeredis
import redis
from flask import Flask, current_app
from rq import Queue, Retry
from rq.job import Job

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Create the Redis connection (real or fake) the queues use."""
    url = app.config.get("REDIS_URL")
    if url:
        conn = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
    else:
        conn = fakeredis.FakeRedis()
    app.extensions["clearloop.redis"] = conn
    app.config["JOBS_INLINE"] = not url


def redis_connection() -> redis.Redis:
    """The app's Redis connection (a fake one in the embedded default)."""
    return current_app.extensions["clearloop.redis"]


def get_queue(name: str = "default") -> Queue:
    """An RQ queue; inline (synchronous) when no REDIS_URL is set."""
    return Queue(name, connection=redis_connection(), is_async=not current_app.config["JOBS_INLINE"])


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    queue: str = "default",
    job_id: str | None = None,
    timeout: int = 300,
    retry: Retry | None = None,
    **kwargs: Any,
) -> Job | None:
    """Enqueue ``func(*args)`` (a function or its dotted name) after the caller committed.

    Never raises: a lost enqueue is swept later."""
    name = getattr(func, "__name__", func)
    try:
        return get_queue(queue).enqueue(
            func,
            *args,
            job_id=job_id,
            job_timeout=timeout,
            retry=retry,
            failure_ttl=7 * 24 * 3600,
            result_ttl=3600,
            **kwargs,
        )
    except redis.RedisError as exc:
        log.warning("enqueue of %s failed (%s); the sweeper will pick it up", name, exc)
    except Exception:
        # Inline mode runs the job right here; its failure is recorded in the database by the job itself.
        if not current_app.config["JOBS_INLINE"]:
            raise
        log.exception("inline job %s failed", name)
    return None


def default_retry() -> Retry:
    """Retries with backoff for jobs that touch flaky neighbours (SMTP, database restarts)."""
    return Retry(max=3, interval=[10, 60, 300])


def check_redis_durability(conn: redis.Redis) -> list[str]:
    """Warnings when Redis may lose queued jobs (RELIABILITY rule 8): no AOF, or an evicting policy."""
    try:
        config = conn.config_get("appendonly") | conn.config_get("maxmemory-policy")
    except redis.RedisError as exc:  # managed Redis often forbids CONFIG; say so rather than fail
        return [f"could not read Redis configuration ({exc}); make sure appendonly=yes and noeviction"]
    warnings = []
    if config.get("appendonly") != "yes":
        warnings.append(
            "Redis appendonly is off: queued jobs can be lost on restart (the sweeper recovers them)"
        )
    if config.get("maxmemory-policy", "noeviction") != "noeviction":
        warnings.append(
            f"Redis maxmemory-policy is {config['maxmemory-policy']}: jobs can be evicted; use noeviction"
        )
    for warning in warnings:
        log.warning(warning)
    return warnings
