"""The queue: the one seam between features and background jobs.

Features enqueue a job BY NAME after their commit (``enqueue("analysis.analyze_responses", ids)``) and never
import ``app.tasks``; a job's name is the path of its function under ``app/tasks/`` (``app.tasks.analysis.
analyze_responses``), declared there with ``@task`` and the job's queue, timeout, retries and failure handler.
This module owns the rules every job shares (RELIABILITY 1 and 5):

- enqueue never raises for an outage: the database row is the truth and a sweeper catches up what a
  Redis outage dropped (a programming error, such as an unknown job name, still raises);
- enqueue-once: ``enqueue_once`` skips a job id still waiting or running, ``enqueue_coalesced`` shares a
  waiting job between callers (two slots per key, so new rows never wait behind a job that already read);
- the embedded default runs jobs inline, in the caller's process, on an in-process fake Redis.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

import fakeredis
import redis
from flask import Flask, current_app, has_app_context
from rq import Callback, Queue, Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from app.extensions import db
from app.models import utcnow
from app.resilience import Breaker

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

TASKS_PACKAGE = "app.tasks"
QUEUES = ("nlp", "mail", "default")  # a worker's default listening order: fresh answers first
FAILURE_TTL = 7 * 24 * 3600  # failed jobs stay visible a week
RESULT_TTL = 3600
LIVE_GRACE = 60  # seconds past its timeout before a "started" job is presumed dead
WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.CREATED}
# Another process's job of a window (``enqueue_coalesced(window=…)``) covers this one's calls only if it
# starts at least this long after the window ends.
COVER_MARGIN = 0.25
COVER_ENTRIES = 4096  # keys remembered per process; past that the older windows' are dropped
_clock = time.time  # the wall clock, as the scheduler's (tests move it)


@dataclass(frozen=True)
class TaskSpec:
    """A job type: its name, function, queue, timeout (s), retry intervals (s) and periodic interval (s)."""

    name: str
    func: Callable[..., Any]
    queue: str
    timeout: int
    retry: tuple[int, ...]
    on_failure: str | None
    every: int | None

    @property
    def path(self) -> str:
        """The dotted path RQ stores and a worker imports."""
        return f"{TASKS_PACKAGE}.{self.name}"


_TASKS: dict[str, TaskSpec] = {}


def task(
    *,
    queue: str = "default",
    timeout: int = 300,
    retry: tuple[int, ...] = (),
    on_failure: Callable[..., Any] | None = None,
    every: int | None = None,
) -> Callable[[F], F]:
    """Declare a job function of ``app/tasks/<area>.py``; its name is ``<area>.<function>``.

    ``retry`` lists the seconds to wait before each retry; ``on_failure`` is a ``@failure_handler`` of the
    same module, called when a run fails; ``every`` makes it periodic (``rq cron app.cron``, ``flask jobs``).
    """

    def decorator(func: F) -> F:
        name = _name_of(func)
        if queue not in QUEUES:
            raise ValueError(f"task {name}: unknown queue {queue!r}")
        wrapper = _in_app_context(func)
        handler = f"{func.__module__}.{on_failure.__name__}" if on_failure is not None else None
        _TASKS[name] = TaskSpec(name, wrapper, queue, timeout, tuple(retry), handler, every)
        return wrapper  # type: ignore[return-value]

    return decorator


def failure_handler(func: Callable[[tuple[Any, ...], BaseException], None]) -> Callable[..., None]:
    """Declare ``func(job_args, exc)``, called by RQ when a job fails (in the worker, or inline)."""

    @wraps(func)
    def callback(job: Job, connection: Any, exc_type: type, exc_value: BaseException, tb: Any) -> None:
        _in_app_context(func)(tuple(job.args or ()), exc_value)

    return callback


def _name_of(func: Callable[..., Any]) -> str:
    """``app.tasks.analysis`` + ``analyze_responses`` -> ``analysis.analyze_responses``."""
    module = func.__module__
    if not module.startswith(TASKS_PACKAGE + "."):
        raise ValueError(f"@task {func.__name__} must live in a module of {TASKS_PACKAGE}")
    return f"{module.removeprefix(TASKS_PACKAGE + '.')}.{func.__name__}"


def _in_app_context(func: F) -> F:
    """Run a job in the app context worker.py pushed; in workers, release the session after each job."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not has_app_context():
            raise RuntimeError(
                "jobs run in an app context: start workers with worker.py, not a bare rq worker"
            )
        try:
            return func(*args, **kwargs)
        finally:
            if current_app.config.get("IS_WORKER"):
                db.session.remove()

    return wrapper  # type: ignore[return-value]


def spec(name: str) -> TaskSpec:
    """The declared job ``name``; an unknown name is a programming error (LookupError)."""
    try:
        return _TASKS[name]
    except KeyError:
        raise LookupError(f"no job named {name!r}: declare it with @task in {TASKS_PACKAGE}") from None


def all_tasks() -> list[TaskSpec]:
    """Every declared job, by name."""
    return [_TASKS[name] for name in sorted(_TASKS)]


def periodic_tasks() -> list[TaskSpec]:
    """The jobs declared with ``every``: sweepers and schedules, run by ``rq cron app.cron``."""
    return [s for s in all_tasks() if s.every]


# --- Connection --------------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Create the Redis connection (real, or an in-process fake with inline jobs when REDIS_URL is unset).

    Web processes use short socket timeouts (REDIS_WEB_TIMEOUT, 0.2 s): a frozen Redis must not hold an
    answer; what could not be enqueued waits for the sweeper. Workers wait longer (5 s) for their own calls.
    """
    url = app.config.get("REDIS_URL")
    if url:
        timeout = 5.0 if app.config.get("IS_WORKER") else float(app.config["REDIS_WEB_TIMEOUT"])
        conn = redis.Redis.from_url(
            url, socket_connect_timeout=min(timeout, 2.0), socket_timeout=timeout, health_check_interval=30
        )
    else:
        conn = fakeredis.FakeRedis()
    app.extensions["clearloop.redis"] = conn
    # After a Redis failure, enqueueing is skipped for a few seconds (the rows wait for the sweeper), so a
    # frozen Redis costs one short timeout, not one per answer; logged once per outage.
    app.extensions["clearloop.redis_breaker"] = Breaker(
        "enqueue", cool_down=5.0, hint="the sweeper will pick it up from the database"
    )
    app.config["JOBS_INLINE"] = not url


def _breaker() -> Breaker:
    return current_app.extensions["clearloop.redis_breaker"]


def redis_connection() -> redis.Redis:
    """The app's Redis connection (a fake one in the embedded default)."""
    return current_app.extensions["clearloop.redis"]


def get_queue(name: str = "default") -> Queue:
    """An RQ queue; inline (synchronous) when no REDIS_URL is set."""
    return Queue(name, connection=redis_connection(), is_async=not current_app.config["JOBS_INLINE"])


def jobs_inline() -> bool:
    """True in the embedded default: jobs run in the caller's process, to the end, as they are enqueued."""
    return bool(current_app.config["JOBS_INLINE"])


# --- Enqueueing --------------------------------------------------------------------------------------------


def enqueue(name: str, *args: Any, job_id: str | None = None, at: datetime | None = None) -> bool:
    """Enqueue job ``name`` with ``args`` after the caller committed; False when it could not be.

    ``at``: the job waits in RQ's scheduled registry until then (a worker's scheduler queues it); inline
    jobs ignore it and run now. Never raises for Redis being down (the sweeper picks the work up from the
    database) nor, inline, for the job's own failure (jobs record their failures in the database).
    """
    task_spec = spec(name)
    retry = Retry(max=len(task_spec.retry), interval=list(task_spec.retry)) if task_spec.retry else None
    if not _breaker().allows() and not jobs_inline():
        return False  # Redis failed moments ago: do not wait on it again; the sweeper catches up
    try:
        queue = get_queue(task_spec.queue)
        put = (
            queue.enqueue if at is None or jobs_inline() else lambda *a, **kw: queue.enqueue_at(at, *a, **kw)
        )
        put(
            task_spec.path,
            *args,
            job_id=job_id,
            job_timeout=task_spec.timeout,
            retry=retry,
            on_failure=Callback(task_spec.on_failure) if task_spec.on_failure else None,
            failure_ttl=FAILURE_TTL,
            result_ttl=RESULT_TTL,
        )
        _breaker().success()
        return True
    except (redis.RedisError, OSError) as exc:  # Redis unreachable: the row waits for the sweeper
        _breaker().failure(exc)  # logged once per outage, not once per answer
    except Exception:
        if not jobs_inline():
            raise
        log.exception("inline job %s failed", name)
    return False


def enqueue_once(name: str, *args: Any, job_id: str) -> bool:
    """Enqueue under a deterministic ``job_id`` unless a job with that id still waits or runs."""
    if not _breaker().allows() and not jobs_inline():
        return False
    try:
        if job_is_live(job_id, spec(name).timeout):
            return False
        _discard(job_id)
    except (redis.RedisError, OSError) as exc:
        _breaker().failure(exc)
        return False
    return enqueue(name, *args, job_id=job_id)


def enqueue_coalesced(name: str, *args: Any, key: str, window: int = 0) -> bool:
    """Enqueue unless a job of ``key`` still waits: a waiting job reads its rows only when it starts.

    So a burst of callers shares one job per key. Two slots per key (``<key>-a``, ``<key>-b``): a caller
    arriving while one slot's job already runs (and may have read its rows) takes the other; with both
    running, a one-off job without an id. False when an existing job covers the call.

    ``window`` (whole seconds; with Redis only, inline jobs run now): ``_enqueue_per_window`` instead.
    """
    if not _breaker().allows() and not jobs_inline():
        return False
    if window > 0 and not jobs_inline():
        return _enqueue_per_window(name, args, key, window)
    slots = [f"{key}-{slot}" for slot in ("a", "b")]
    timeout = spec(name).timeout
    try:
        if any(status in WAITING for status in _statuses(slots)):  # usually so in a burst: one round trip
            return False
        for job_id in slots:
            if not job_is_live(job_id, timeout):
                _discard(job_id)
                return enqueue(name, *args, job_id=job_id)
    except (redis.RedisError, OSError) as exc:
        _breaker().failure(exc)
        return False
    return enqueue(name, *args)


def _enqueue_per_window(name: str, args: tuple[Any, ...], key: str, window: int) -> bool:
    """One job of ``key`` per ``window`` seconds of the clock, scheduled to start one window after its
    window ends: every call made (after its caller's commit) during window ``n`` is read by window ``n``'s
    job, which starts at ``(n + 2) × window`` by the scheduler's clock at the earliest (one window of skew
    between the clocks is harmless). So each process asks Redis once per key and window — whether that
    window's job exists, with its start time — and then knows, without asking, that the window's later
    calls are covered: the answer path's follow-up rules ask Redis about once per bucket and second, not
    once per answer, whether or not workers keep up (issue 18). A job lost with Redis is the sweeper's,
    as for any enqueue.
    """
    turn = int(_clock() // window)
    covers = _covers()
    if covers.get(key) == turn:
        return False
    ends = (turn + 1) * window
    job_id = f"{key}-t{turn}"
    try:
        [(status, start)] = _slot_states([job_id], scheduled_in=spec(name).queue)
        if status == JobStatus.SCHEDULED and start is not None and start >= ends + COVER_MARGIN:
            _remember(covers, key, turn)  # another process queued this window's job
            return False
        if status is not None:  # the window's job ran already (a clock far behind the scheduler's)
            return enqueue(name, *args)
    except (redis.RedisError, OSError) as exc:
        _breaker().failure(exc)
        return False
    enqueued = enqueue(name, *args, job_id=job_id, at=datetime.fromtimestamp(ends + window, UTC))
    if enqueued:
        _remember(covers, key, turn)
    return enqueued


def _covers() -> dict[str, int]:
    """Per key, the window whose job this process knows is scheduled (``_enqueue_per_window``)."""
    return current_app.extensions.setdefault("clearloop.coalesced_covers", {})


def _remember(covers: dict[str, int], key: str, turn: int) -> None:
    if len(covers) >= COVER_ENTRIES:
        for old in [k for k, seen in covers.items() if seen < turn]:
            del covers[old]
    covers[key] = turn


def job_is_live(job_id: str, timeout: int) -> bool:
    """True while a job with this id waits in Redis, or runs and is younger than ``timeout`` (+ grace)."""
    try:
        job = Job.fetch(job_id, connection=redis_connection())
        status = job.get_status()
    except (NoSuchJobError, InvalidJobOperation):  # gone, or deleted between the fetch and the status read
        return False
    if status in WAITING:
        return True
    if status == JobStatus.STARTED and job.started_at is not None:
        started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=utcnow().tzinfo)
        return utcnow() - started < timedelta(seconds=timeout + LIVE_GRACE)
    return False


def _status(job_id: str) -> JobStatus | None:
    """A job's status, or None when it does not exist (or was deleted a moment ago by another process's
    ``_discard`` of a finished slot, or its result expiring)."""
    return _statuses([job_id])[0]


def _statuses(job_ids: list[str]) -> list[JobStatus | None]:
    """Each job's status (None when it does not exist), in one round trip: only the ``status`` field of
    each job's hash, as RQ's own ``get_status`` reads it — not the whole job with its pickled arguments,
    which ``Job.fetch`` loads (on the answer path that was a quarter of an answer's time under load)."""
    return [status for status, _ in _slot_states(job_ids)]


def _slot_states(
    job_ids: list[str], scheduled_in: str | None = None
) -> list[tuple[JobStatus | None, float | None]]:
    """``_statuses`` and, with ``scheduled_in`` (a queue's name), each job's start time in that queue's
    scheduled registry (epoch seconds; None when not scheduled), in the same round trip. MULTI/EXEC: the
    scheduler moves a job out of the registry and sets its status in one transaction too."""
    pipe = redis_connection().pipeline(transaction=scheduled_in is not None)
    for job_id in job_ids:
        pipe.hget(Job.key_for(job_id), "status")
        if scheduled_in is not None:
            pipe.zscore(_scheduled_key(scheduled_in), job_id)
    replies = pipe.execute()
    step = 1 if scheduled_in is None else 2
    found: list[tuple[JobStatus | None, float | None]] = []
    for i in range(0, len(replies), step):
        raw, start = replies[i], replies[i + 1] if step == 2 else None
        text = raw.decode() if isinstance(raw, bytes) else raw
        try:
            status = JobStatus(text) if text else None
        except ValueError:  # a status this RQ does not know: not one that waits
            status = None
        found.append((status, float(start) if start is not None else None))
    return found


def _scheduled_key(queue_name: str) -> str:
    """The Redis key of a queue's scheduled-job registry (a sorted set scored by start time)."""
    return ScheduledJobRegistry(queue_name, connection=redis_connection()).key


def _discard(job_id: str) -> None:
    """Delete a finished, failed or abandoned job so its id can be used again. Another web worker may
    discard the same slot between this fetch and this delete (RQ then cannot read the status it needs
    to leave the registries, InvalidJobOperation): the job is gone either way."""
    with contextlib.suppress(NoSuchJobError, InvalidJobOperation):
        Job.fetch(job_id, connection=redis_connection()).delete()


# --- Operations --------------------------------------------------------------------------------------------


def queue_counts() -> dict[str, tuple[int, int]]:
    """Per queue: (waiting jobs, failed jobs)."""
    return {name: (q.count, q.failed_job_registry.count) for name in QUEUES for q in [get_queue(name)]}


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
