"""Configuration for ``rq cron app.cron``: registers every periodic job (``@task(every=...)``).

RQ 3.0's ``CronScheduler.start`` exits with a traceback on the first Redis error (issue 17 §1: a restarted
or frozen Redis stopped every sweep, scheduled send and reminder). Loading this configuration replaces that
loop with ``start_through_outages``: the same steps, but a Redis error is logged once per outage and the
loop waits with backoff (0.5 s up to 30 s), re-registers and carries on; a job that was due when Redis
failed is enqueued when it answers again.
"""

from __future__ import annotations

import contextlib
import time

from rq import cron
from rq.exceptions import StopRequested

from app import queue, tasks  # noqa: F401  (importing app.tasks declares the jobs)
from app.resilience import REDIS_ERRORS, Outage


def start_through_outages(self: cron.CronScheduler) -> None:
    """``CronScheduler.start``, outliving Redis outages."""
    self.log.info("CronScheduler %s: starting (riding out Redis outages)...", self.name)
    self._install_signal_handlers()
    outage = Outage(f"rq cron {self.name}", logger=self.log)
    registered = False
    try:
        while True:
            try:
                if not registered:
                    self.register_birth()
                    registered = True
                if self.enqueue_jobs():
                    self.save()  # persist the jobs' timing
                self.heartbeat()
                outage.recovered()
                pause = self.calculate_sleep_interval()
            except REDIS_ERRORS as exc:
                outage.failed(exc)
                registered = False  # a restarted Redis forgot us: register again when it is back
                pause = outage.next_delay()
            if pause > 0:
                time.sleep(pause)
    except KeyboardInterrupt:
        self.log.info("CronScheduler %s: received KeyboardInterrupt", self.name)
    except StopRequested:
        self.log.info("CronScheduler %s: stop requested", self.name)
    finally:
        with contextlib.suppress(*REDIS_ERRORS):
            self.register_death()
        self.log.info("CronScheduler %s: shutdown complete", self.name)


cron.CronScheduler.start = start_through_outages  # type: ignore[method-assign]

for _task in queue.periodic_tasks():
    cron.register(
        _task.func,
        queue_name=_task.queue,
        interval=_task.every,
        job_timeout=_task.timeout,
        name=_task.path,
    )
