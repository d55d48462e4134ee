"""``flask jobs ...`` (periodic jobs without Redis, queue state), and every feature's command group."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup

from app import queue
from app.analysis.cli import topics_cli
from app.api.cli import tokens_cli
from app.auth.cli import users_cli
from app.demo.cli import demo_cli
from app.extensions import db
from app.followups.cli import followups_cli
from app.health.cli import health_cli
from app.surveys.cli import surveys_cli
from app.trends.cli import rollups_cli

jobs_cli = AppGroup("jobs", help="Background jobs: periodic runs and queue state.")

COMMANDS = (
    users_cli,
    jobs_cli,
    demo_cli,
    surveys_cli,
    topics_cli,
    tokens_cli,
    rollups_cli,
    health_cli,
    followups_cli,
)


def register(app: Flask) -> None:
    """Add each command group listed in COMMANDS."""
    for group in COMMANDS:
        app.cli.add_command(group)


@jobs_cli.command("tick")
def tick() -> None:
    """Run every periodic job once, now (enqueued; inline in the embedded default)."""
    for periodic in queue.periodic_tasks():
        queue.enqueue(periodic.name)
        click.echo(f"ran {periodic.path}")


@jobs_cli.command("scheduler")
@click.option("--once", is_flag=True, help="Run the due jobs once and exit.")
def scheduler(once: bool) -> None:
    """Run periodic jobs on their intervals in this process (or ``rq cron app.cron`` with Redis).

    With Redis down, a due job is retried every second until it is enqueued (the outage is logged once,
    by the queue); the scheduler never exits for it.
    """
    periodic = queue.periodic_tasks()
    last: dict[str, float] = {}
    click.echo(f"scheduler: {len(periodic)} periodic jobs; inline={queue.jobs_inline()}")
    while True:
        now = time.monotonic()
        for job in periodic:
            if now - last.get(job.name, -1e9) >= (job.every or 0):
                if queue.enqueue(job.name) or queue.jobs_inline():
                    last[job.name] = now  # else Redis is down: due again at the next tick
                db.session.remove()  # inline jobs ran here: start the next tick with a fresh session
        if once:
            return
        time.sleep(1)


@jobs_cli.command("status")
def status() -> None:
    """Queue lengths and failed-job counts."""
    for name, (waiting, failed) in queue.queue_counts().items():
        click.echo(f"{name}: queued={waiting} failed={failed}")
