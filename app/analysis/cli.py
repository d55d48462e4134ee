"""``flask topics ...`` commands: seed the taxonomy, tag now, re-tag history, train the topic model."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.extensions import db

topics_cli = AppGroup("topics", help="Topic taxonomy and tagging.")


@topics_cli.command("seed")
def seed() -> None:
    """Create the default SaaS taxonomy if there are no topics yet."""
    from app.analysis.taxonomy import seed_default_taxonomy

    created = seed_default_taxonomy()
    db.session.commit()
    click.echo(f"created {created} topics" if created else "topics exist already; nothing to do")


@topics_cli.command("tag-pending")
def tag_pending() -> None:
    """Tag every pending response now, in this process."""
    from app.analysis.services import tag_all_pending

    click.echo(json.dumps(tag_all_pending()))


@topics_cli.command("retag")
@click.option("--reason", default="requested from the command line", show_default=True)
def retag(reason: str) -> None:
    """Re-tag history with the current taxonomy and topic model (restarts an active re-tag)."""
    from app.analysis.services import start_retag
    from app.models import RetagRun

    run_id = start_retag(reason).id
    run = db.session.get(RetagRun, run_id)
    click.echo(f"re-tag #{run.id}: {run.state.value}, {run.processed} of {run.total} responses")


@topics_cli.command("train")
@click.option("--epochs", default=15, show_default=True, type=click.IntRange(1, 100))
def train(epochs: int) -> None:
    """Train the topic model from confirmed tags, install it for workers, and re-tag history."""
    from app.analysis.services import AnalysisError
    from app.analysis.training import train_and_install

    try:
        info = train_and_install(epochs=epochs, log=lambda line: click.echo(line, err=True))
    except AnalysisError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(info))


@topics_cli.command("suggest")
def suggest() -> None:
    """Recompute the suggested new topics from recent untagged comments."""
    from app.analysis.suggestions import refresh_suggestions

    for item in refresh_suggestions()["items"]:
        click.echo(f"{item['count']:5d}  {item['label']}: {', '.join(item.get('phrases', [])[:6])}")
