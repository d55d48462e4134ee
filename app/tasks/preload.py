"""What a worker loads once before forking, so jobs never pay for it."""

from __future__ import annotations

import logging

from flask import Flask
from rq import Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.queue import Queue

log = logging.getLogger(__name__)


def preload(app: Flask) -> None:
    """Build the NLP analyzer (and anything else heavy) in the parent worker process."""
    from app.extensions import db
    from app.tasks.analysis import get_analyzer

    analyzer = get_analyzer()
    db.session.remove()  # the parent must hold no transaction (on SQLite that would be the write lock)
    log.info("preloaded analyzer %s", analyzer.version)


class PreloadingWorker(Worker):
    """An RQ worker that brings preloaded state up to date in the parent before forking each nlp job.

    Work horses are forked from the parent, so a taxonomy edit or a new topic model must reach the parent's
    analyser; otherwise every horse would rebuild it, once per job, until the worker restarts.
    """

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Refresh the analyser (a cheap check when nothing changed), then run the job as RQ does."""
        if queue.name == "nlp":
            from app.analysis.pipeline import refresh_analyzer

            try:
                refresh_analyzer()
            except StopRequested:
                # SIGTERM between dequeue and fork: the worker is not "busy" yet, so RQ's handler raised
                # here. Run the job already taken off the queue, then stop, as a warm shutdown does.
                self._stop_requested = True
            except Exception:
                log.exception("could not refresh the analyzer; jobs will retry the build")
        super().execute_job(job, queue)
