"""What a worker process loads once before forking, so jobs never pay for it, and the worker class."""

from __future__ import annotations

import logging

from rq import Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.queue import Queue

from app.analysis import services as analysis

log = logging.getLogger(__name__)


def preload() -> None:
    """Build the NLP analyzer (and anything else heavy) in the parent worker process."""
    log.info("preloaded analyzer %s", analysis.preload_analyzer())


class PreloadingWorker(Worker):
    """An RQ worker that brings preloaded state up to date in the parent before forking each nlp job.

    Work horses are forked from the parent, so a taxonomy edit or a new topic model must reach the parent's
    analyser; otherwise every horse would rebuild it, once per job, until the worker restarts.
    """

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
