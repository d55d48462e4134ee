"""The worker class worker.py runs, what it loads once, and the loop that outlives Redis outages.

Tagging jobs (the ``nlp`` queue) run in the worker process itself, on the analyser it built and warmed at
start: forking a work horse per job cost 0.4-0.5 s of copy-on-write page faults per job, several times a
job's analysis (issue 18 §3). Other queues (mail, default) still fork a work horse per job, as RQ does.

In-process jobs keep RQ's guarantees by other means:

- **Timeout**: RQ's death penalty (SIGALRM, as ``SimpleWorker``) raises ``JobTimeoutException`` in the job
  at its timeout; the job fails and is retried as any failed job. A job stuck where the alarm cannot reach
  it (a C call that never returns to the interpreter) is ended by a watchdog thread ``HARD_STOP_GRACE``
  seconds later, by ending the whole process (a forking worker's parent kills its horse then): the
  supervisor restarts the worker and the sweeper re-enqueues the job's rows, which were never committed.
- **Crash**: a SIGKILL or OOM kill of the worker is a crash of the job's process, as a horse's was: its
  transaction is rolled back, the rows stay pending and the sweeper re-enqueues them; the supervisor
  (systemd ``Restart=always``, README) starts the worker again.
- **Memory growth**: after ``WORKER_MAX_JOBS`` in-process jobs, or once its resident memory passes
  ``WORKER_MAX_RSS_MB``, the worker finishes its job, stops, and ``worker.py`` replaces the process by a
  fresh one running the same command (same PID: a supervisor sees no exit).
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

import redis
from rq import Worker
from rq.defaults import DEFAULT_WORKER_TTL
from rq.exceptions import StopRequested
from rq.job import Job
from rq.queue import Queue
from rq.worker.base import WorkerStatus

from app.analysis import services as analysis
from app.resilience import REDIS_ERRORS, Outage

log = logging.getLogger(__name__)

IN_PROCESS_QUEUES = frozenset({"nlp"})  # jobs of these queues run in the worker process, not a horse
HARD_STOP_GRACE = 60  # seconds past a job's timeout before the watchdog ends a stuck worker process


def preload() -> None:
    """Build and warm the NLP analyzer (and anything else heavy) once, at the worker's start."""
    log.info("preloaded analyzer %s", analysis.preload_analyzer())


def resident_mb() -> float:
    """This process's resident memory now, in MB (Linux); elsewhere its peak."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def watchdog(seconds: float, what: str) -> Iterator[None]:
    """End the whole process if the block runs ``seconds`` longer than it may (a stuck in-process job)."""

    def _hard_stop() -> None:
        log.critical("worker: %s is still running %.0f s past its limit; ending the process", what, seconds)
        logging.shutdown()
        os._exit(70)  # EX_SOFTWARE: the supervisor restarts the worker, the sweeper re-enqueues the rows

    timer = threading.Timer(seconds, _hard_stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class PreloadingWorker(Worker):
    """An RQ worker that runs tagging jobs in its own process and forks a work horse for the others.

    ``max_jobs`` / ``max_rss_mb`` (0: no limit) are the memory-growth guard: past either, the worker stops
    after its current job with ``restart_requested`` set, and worker.py starts a fresh process.
    """

    def __init__(self, *args, max_jobs: int = 0, max_rss_mb: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_jobs_in_process = max_jobs
        self.max_rss_mb = max_rss_mb
        self.jobs_in_process = 0
        self.restart_requested = False
        self._running_here = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """A SIGTERM/SIGINT stops this worker for good, whenever it comes (a warm shutdown).

        RQ marks the stop only when the signal finds the worker busy; an idle worker gets StopRequested
        raised in its loop, which RQ swallows, and ``work()`` returns as if the loop had simply ended.
        ``work_through_outages`` then started a new worker and the signal was lost: the process never
        stopped (the flaky taxonomy-edit test, issue 18). The mark set here tells the two apart.
        """
        self._stop_requested = True
        super().request_stop(signum, frame)

    def fork_work_horse(self, job: Job, queue: Queue) -> None:
        """Fork a work horse as RQ does, but a horse can never return into the parent's loop.

        Between RQ's ``os.fork()`` and the horse's own signal set-up the child still runs the parent's
        handlers: a SIGTERM there (a supervisor signalling the whole group) raised StopRequested in the
        child, outside RQ's ``try``, and the child went on as a second worker. Here the stop signals are
        blocked across the fork until the horse has its handlers, and any way out of the horse ends it.
        """
        stops = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        try:
            child_pid = os.fork()
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            raise
        if child_pid == 0:  # the work horse
            try:
                os.environ["RQ_WORKER_ID"] = self.name
                os.environ["RQ_JOB_ID"] = job.id
                os.setpgrp()
                self.setup_work_horse_signals()
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
                self.main_work_horse(job, queue)  # ends the process itself (os._exit)
            finally:
                os._exit(1)
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        os.environ["RQ_WORKER_ID"] = self.name
        os.environ["RQ_JOB_ID"] = job.id
        self._horse_pid = child_pid
        self.procline(f"Forked {child_pid} at {time.time()}")

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Tagging jobs: refresh the analyser (a cheap check when nothing changed), run the job here.
        Other jobs: fork a work horse, as RQ does."""
        if queue.name not in IN_PROCESS_QUEUES:
            super().execute_job(job, queue)
            return
        try:
            analysis.refresh_analyzer()
        except StopRequested:
            # SIGTERM between dequeue and the job: the worker is not "busy" yet, so RQ's handler raised
            # here. Run the job already taken off the queue, then stop, as a warm shutdown does.
            self._stop_requested = True
        except Exception:
            log.exception("could not refresh the analyzer; jobs will retry the build")
        self.perform_here(job, queue)

    def perform_here(self, job: Job, queue: Queue) -> None:
        """Run a job in this process, as RQ's SimpleWorker does, under its timeout and the watchdog."""
        timeout = job.timeout or self.queue_class.DEFAULT_TIMEOUT
        self._running_here = True
        try:
            execution = self.prepare_execution(job)
            limit = (timeout if timeout > 0 else DEFAULT_WORKER_TTL) + HARD_STOP_GRACE
            with watchdog(limit, f"job {job.id}"):
                self.perform_job(job, queue, execution)  # the death penalty (SIGALRM) is inside
        finally:
            self._running_here = False
        self.set_state(WorkerStatus.IDLE)
        self.jobs_in_process += 1
        self._check_growth()

    def _check_growth(self) -> None:
        """Past the job count or the memory limit: stop after this job and ask for a fresh process."""
        reason = None
        if self.max_jobs_in_process and self.jobs_in_process >= self.max_jobs_in_process:
            reason = f"{self.jobs_in_process} jobs run (WORKER_MAX_JOBS)"
        elif self.max_rss_mb and (rss := resident_mb()) > self.max_rss_mb:
            reason = f"resident memory {rss:.0f} MB over WORKER_MAX_RSS_MB={self.max_rss_mb}"
        if reason:
            log.info("worker: %s; restarting in a fresh process", reason)
            self.restart_requested = True
            self._stop_requested = True

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """An in-process job sends no heartbeat while it runs (no parent watches it): its registration
        must outlive its whole timeout, as SimpleWorker's does."""
        if not self._running_here:
            return super().get_heartbeat_ttl(job, working_time)
        if job.timeout == -1:
            return DEFAULT_WORKER_TTL
        return int(job.timeout or DEFAULT_WORKER_TTL) + 60

    def kill_horse(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Kill the work horse, if there is one: with none (an in-process job), RQ's ``killpg`` of
        ``getpgid(0)`` would kill this worker's own process group."""
        if self.horse_pid:
            super().kill_horse(sig)
        elif self._running_here:
            log.warning("worker: job runs in the worker process; it cannot be stopped on its own")


def work_through_outages(
    make_worker: Callable[[], Worker],
    connection: redis.Redis,
    burst: bool = False,
    with_scheduler: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Run workers until asked to stop, outliving Redis outages (issue 17 §1); True when the worker
    stopped to be replaced by a fresh process (its memory-growth guard).

    RQ's ``Worker.work`` returns ("found an unhandled exception, quitting") or raises when Redis goes away
    outside its dequeue loop. Here a worker that ended that way is replaced, once Redis answers again, by a
    fresh one in this same process (the preloaded pipeline stays warm). The outage is logged once when it
    starts and once when it ends; attempts back off from 0.5 s to 30 s. A SIGTERM ends the wait.
    """
    outage = Outage("worker")
    worker: Worker | None = None
    try:
        while True:
            if worker is not None:
                with contextlib.suppress(*REDIS_ERRORS):
                    worker.register_death()  # a named worker's old registration must not block the new one
            worker = make_worker()
            try:
                worker.work(burst=burst, with_scheduler=with_scheduler)
            except REDIS_ERRORS as exc:
                outage.failed(exc)
            if worker._stop_requested:
                return bool(getattr(worker, "restart_requested", False))
            try:
                connection.ping()
                pending = any(queue.count for queue in worker.queues)
            except REDIS_ERRORS as exc:
                outage.failed(exc)
                if not outage.wait_until_up(connection.ping, sleep=sleep):
                    return False
                continue
            outage.recovered()
            if burst and not pending:
                return False  # a burst worker is done when the queues are empty
            if not burst:
                log.warning("worker: the work loop ended unexpectedly; starting a new worker")
                sleep(outage.next_delay())
    except StopRequested:
        log.info("worker: stopping on request")
    return False
