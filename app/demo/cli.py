"""``flask demo ...``: seed an empty database with the demo company, and show its admin login."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from app import queue
from app.analysis import services as analysis
from app.demo.login import login_path, read_login
from app.demo.seed import SeedRefused, database_is_empty, seed_demo
from app.extensions import db
from app.followups import services as followups
from app.health import services as health
from app.insights import services as insights

HEALTH_HISTORY_WEEKS = 26  # the health pages (sparkline, 30/90-day change, history) have a story at once

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) when the database has data.")
@click.option(
    "--seed", "seed_value", type=int, help="Random seed (default: DEMO_SEED, so runs are identical)."
)
@click.option("--skip-analysis", is_flag=True, help="Leave comments pending for the tagger's sweeper.")
def seed(if_empty: bool, seed_value: int | None, skip_analysis: bool) -> None:
    """Fill an EMPTY database with a believable B2B SaaS company and 18 months of feedback."""
    if not database_is_empty():
        if if_empty:
            click.echo("The database already has data; demo seeding skipped.")
            return
        raise click.ClickException(
            "The database is not empty, so no demo data was added (it would mix with real data). "
            "Use --if-empty to skip quietly, or point CLEARLOOP_INSTANCE/DATABASE_URL at a fresh database."
        )
    value = current_app.config["DEMO_SEED"] if seed_value is None else seed_value
    try:
        result = seed_demo(value)
    except SeedRefused as exc:
        raise click.ClickException(str(exc)) from None
    counts = ", ".join(f"{n:,} {name}" for name, n in result.counts.items())
    click.echo(f"Demo data (seed {value}) created in {result.seconds:.1f} s: {counts}.")
    if not skip_analysis:
        click.echo(start_analysis())
        teams, digests = insights.seed_demo_teams()
        if teams:
            click.echo(f"{teams} product teams created; {digests} weekly digests sent to the demo's PMs.")
        loop = followups.seed_demo()
        click.echo(
            f"{loop['opened']:,} follow-ups opened by the default rules, {loop['resolved']:,} resolved."
        )
        began = time.perf_counter()
        snapshots = health.recompute_history(weeks=HEALTH_HISTORY_WEEKS)
        click.echo(
            f"Account health: {snapshots:,} weekly snapshots over {HEALTH_HISTORY_WEEKS} weeks "
            f"in {time.perf_counter() - began:.1f} s."
        )
    click.echo(f"Sign in as {result.email} with password {result.password}")
    click.echo(f"(saved in {login_path()}, readable only by you; `flask demo login` shows it again)")


def start_analysis() -> str:
    """Ask the tagger to pick up the seeded comments now (inline without Redis, else by the workers)."""
    inline = queue.jobs_inline()
    if inline:
        click.echo("Tagging the comments now (jobs run inline without Redis)...")
    began = time.perf_counter()
    analysis.enqueue_sweep()
    db.session.remove()
    if inline:
        return f"Comments tagged in {time.perf_counter() - began:.1f} s."
    return "Tagging queued; worker.py processes tag the comments."


@demo_cli.command("login")
def login() -> None:
    """Print the demo admin's email and password (saved when the demo data was seeded)."""
    saved = read_login()
    if saved is None:
        click.echo("No demo login saved here: this database was not filled by `flask demo seed`.")
        return
    click.echo(f"Demo admin login: {saved.get('email')} / {saved.get('password')}")
