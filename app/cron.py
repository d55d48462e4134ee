"""Configuration for ``rq cron app.cron``: registers every periodic job (``@task(every=...)``)."""

from rq import cron

from app import queue, tasks  # noqa: F401  (importing app.tasks declares the jobs)

for _task in queue.periodic_tasks():
    cron.register(
        _task.func,
        queue_name=_task.queue,
        interval=_task.every,
        job_timeout=_task.timeout,
        name=_task.path,
    )
