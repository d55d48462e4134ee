"""``flask followups ...``: run the rules over history (after adding a rule), escalate now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.followups import services

followups_cli = AppGroup("followups", help="Closing the loop: follow-up rules and escalation.")


@followups_cli.command("apply")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.option("--notify/--no-notify", default=False, show_default=True, help="Email the assignees.")
def apply(days: int, notify: bool) -> None:
    """Run the follow-up rules over the answers of the last DAYS days (idempotent)."""
    counts = services.backfill(days, notify)
    click.echo(", ".join(f"{n:,} {name}" for name, n in counts.items()))


@followups_cli.command("escalate")
def escalate() -> None:
    """Take the escalation steps that are due now."""
    result = services.escalate_overdue()
    click.echo(f"{result['step1']} owner(s) and {result['step2']} admin escalation(s)")
