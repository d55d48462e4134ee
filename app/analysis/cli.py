"""``flask topics ...`` commands: seed the taxonomy, tag now, re-tag history, train the topic model."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.analysis.services import (
    AnalysisError,
    refresh_suggestions,
    seed_default_taxonomy,
    start_retag,
    tag_all_pending,
    train_and_install,
)
from app.extensions import db
from app.models import RetagRun

topics_cli = AppGroup("topics", help="Topic taxonomy and tagging.")


@topics_cli.command("seed")
def seed() -> None:
    """Create the default SaaS taxonomy if there are no topics yet."""
    created = seed_default_taxonomy()
    db.session.commit()
    click.echo(f"created {created} topics" if created else "topics exist already; nothing to do")


@topics_cli.command("tag-pending")
def tag_pending() -> None:
    """Tag every pending response now, in this process."""
    click.echo(json.dumps(tag_all_pending()))


@topics_cli.command("retag")
@click.option("--reason", default="requested from the command line", show_default=True)
def retag(reason: str) -> None:
    """Re-tag history with the current taxonomy and topic model (restarts an active re-tag)."""
    run_id = start_retag(reason).id
    run = db.session.get(RetagRun, run_id)
    click.echo(f"re-tag #{run.id}: {run.state.value}, {run.processed} of {run.total} responses")


@topics_cli.command("train")
@click.option("--epochs", default=15, show_default=True, type=click.IntRange(1, 100))
def train(epochs: int) -> None:
    """Train the topic model from confirmed tags, install it for workers, and re-tag history."""
    try:
        info = train_and_install(epochs=epochs, log=lambda line: click.echo(line, err=True))
    except AnalysisError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(info))


@topics_cli.command("suggest")
def suggest() -> None:
    """Recompute the suggested new topics from recent untagged comments."""
    for item in refresh_suggestions()["items"]:
        click.echo(f"{item['count']:5d}  {item['label']}: {', '.join(item.get('phrases', [])[:6])}")
