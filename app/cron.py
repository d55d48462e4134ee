"""Configuration for ``rq cron app.cron``: registers every periodic job of app/tasks/schedule.py."""

from rq import cron

from app.tasks.schedule import PERIODIC

for _periodic in PERIODIC:
    cron.register(
        _periodic.resolve(),
        queue_name=_periodic.queue,
        interval=_periodic.every,
        job_timeout=_periodic.timeout,
        name=_periodic.func,
    )
