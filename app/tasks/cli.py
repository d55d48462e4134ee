"""``flask jobs ...``: run the periodic jobs in the embedded default, and inspect queues."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.jobs import enqueue, get_queue
from app.tasks.schedule import PERIODIC

jobs_cli = AppGroup("jobs", help="Background jobs: periodic runs and queue state.")


@jobs_cli.command("tick")
def tick() -> None:
    """Run every periodic job once, now (enqueued; inline in the embedded default)."""
    for periodic in PERIODIC:
        enqueue(periodic.resolve(), queue=periodic.queue, timeout=periodic.timeout)
        click.echo(f"ran {periodic.func}")


@jobs_cli.command("scheduler")
@click.option("--once", is_flag=True, help="Run the due jobs once and exit.")
def scheduler(once: bool) -> None:
    """Run periodic jobs on their intervals in this process (use ``rq cron app.cron`` with Redis)."""
    last: dict[str, float] = {}
    click.echo(f"scheduler: {len(PERIODIC)} periodic jobs; inline={current_app.config['JOBS_INLINE']}")
    while True:
        now = time.monotonic()
        for periodic in PERIODIC:
            if now - last.get(periodic.func, -1e9) >= periodic.every:
                last[periodic.func] = now
                enqueue(periodic.resolve(), queue=periodic.queue, timeout=periodic.timeout)
                db.session.remove()  # inline jobs ran here: start the next tick with a fresh session
        if once:
            return
        time.sleep(1)


@jobs_cli.command("status")
def status() -> None:
    """Queue lengths and failed-job counts."""
    for name in current_app.config["RQ_QUEUES"]:
        queue = get_queue(name)
        click.echo(f"{name}: queued={queue.count} failed={queue.failed_job_registry.count}")
