"""What a worker process loads once before forking, so jobs never pay for it, and the worker class."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from types import FrameType

import redis
from rq import Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.queue import Queue

from app.analysis import services as analysis
from app.resilience import REDIS_ERRORS, Outage

log = logging.getLogger(__name__)


def preload() -> None:
    """Build the NLP analyzer (and anything else heavy) in the parent worker process."""
    log.info("preloaded analyzer %s", analysis.preload_analyzer())


class PreloadingWorker(Worker):
    """An RQ worker that brings preloaded state up to date in the parent before forking each nlp job.

    Work horses are forked from the parent, so a taxonomy edit or a new topic model must reach the parent's
    analyser; otherwise every horse would rebuild it, once per job, until the worker restarts.
    """

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
        """Refresh the analyser (a cheap check when nothing changed), then run the job as RQ does."""
        if queue.name == "nlp":
            try:
                analysis.refresh_analyzer()
            except StopRequested:
                # SIGTERM between dequeue and fork: the worker is not "busy" yet, so RQ's handler raised
                # here. Run the job already taken off the queue, then stop, as a warm shutdown does.
                self._stop_requested = True
            except Exception:
                log.exception("could not refresh the analyzer; jobs will retry the build")
        super().execute_job(job, queue)


def work_through_outages(
    make_worker: Callable[[], Worker],
    connection: redis.Redis,
    burst: bool = False,
    with_scheduler: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run workers until asked to stop, outliving Redis outages (issue 17 §1).

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
                return
            try:
                connection.ping()
                pending = any(queue.count for queue in worker.queues)
            except REDIS_ERRORS as exc:
                outage.failed(exc)
                if not outage.wait_until_up(connection.ping, sleep=sleep):
                    return
                continue
            outage.recovered()
            if burst and not pending:
                return  # a burst worker is done when the queues are empty
            if not burst:
                log.warning("worker: the work loop ended unexpectedly; starting a new worker")
                sleep(outage.next_delay())
    except StopRequested:
        log.info("worker: stopping on request")
