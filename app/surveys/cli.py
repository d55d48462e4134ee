"""``flask surveys ...`` commands: list surveys, create one, send one, and run the mail jobs now."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.extensions import db
from app.mail import services as mail
from app.models import Send, Survey, SurveyKind
from app.surveys.queries import state_counts, survey_rows
from app.surveys.services import (
    AudienceError,
    SendError,
    catch_up_sends,
    create_send,
    create_survey,
    emails_from_csv,
)

surveys_cli = AppGroup("surveys", help="Surveys and sends.")


@surveys_cli.command("list")
def list_surveys() -> None:
    """Surveys with their response counts and response rates."""
    for row in survey_rows():
        rate = f"{row.rate.value:.0f}%" if row.rate.value is not None else "-"
        survey = row.survey
        line = f"{survey.id:>5} {survey.kind.value:<5} {row.responses:>7} answers {rate:>5}"
        click.echo(f"{line} {survey.name}")


@surveys_cli.command("create")
@click.option("--kind", type=click.Choice([k.value for k in SurveyKind]), default="nps")
@click.option("--name", required=True)
def create(kind: str, name: str) -> None:
    """Create a survey with the standard wording of its kind."""
    survey = create_survey({"kind": kind, "name": name, "public_link_enabled": True}, None)
    click.echo(f"created survey {survey.id}")


@surveys_cli.command("send")
@click.argument("survey_id", type=int)
@click.option("--all", "everyone", is_flag=True, help="Every contact.")
@click.option("--tier", "tiers", multiple=True, help="Accounts of this tier (repeatable).")
@click.option("--plan", "plans", multiple=True, help="Accounts on this plan (repeatable).")
@click.option("--lifecycle", "stages", multiple=True, help="Accounts in this lifecycle stage (repeatable).")
@click.option("--account", "accounts", multiple=True, type=int, help="An account id (repeatable).")
@click.option(
    "--emails", "emails_file", type=click.Path(exists=True, dir_okay=False), help="A CSV of addresses."
)
@click.option("--at", "at", help="Send later, at this ISO time (UTC when no offset is given).")
@click.option("--reminder-days", type=int, default=None, help="One reminder after this many days.")
@click.option("--expiry-days", type=int, default=None)
def send(
    survey_id: int,
    everyone: bool,
    tiers,
    plans,
    stages,
    accounts,
    emails_file,
    at,
    reminder_days,
    expiry_days,
) -> None:
    """Send a survey to an audience now (or schedule it with --at)."""

    survey = db.session.get(Survey, survey_id) or _fail(f"no survey {survey_id}")
    if emails_file:
        spec = {"type": "emails", "emails": emails_from_csv(Path(emails_file).read_text(errors="replace"))}
    elif tiers or plans or stages:
        kind, values = next((k, v) for k, v in (("tier", tiers), ("plan", plans), ("lifecycle", stages)) if v)
        spec = {"type": kind, "values": list(values)}
    elif accounts:
        spec = {"type": "accounts", "ids": list(accounts)}
    elif everyone:
        spec = {"type": "all"}
    else:
        _fail("choose an audience: --all, --tier, --plan, --lifecycle, --account or --emails")
    when = None
    if at:
        when = datetime.fromisoformat(at)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
    try:
        created = create_send(survey, spec, when, reminder_days, expiry_days)
    except (AudienceError, SendError) as exc:
        _fail(str(exc))
    counts = state_counts([created.id])[created.id]
    click.echo(
        f"send {created.id}: {created.status.value}; "
        + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )


@surveys_cli.command("sweep")
def sweep() -> None:
    """Run the send sweeper now (start due sends, mark stuck rows uncertain, re-enqueue batches)."""
    click.echo(catch_up_sends())


@surveys_cli.command("remind")
def remind() -> None:
    """Send the due reminders now."""
    click.echo(mail.send_reminders())


@surveys_cli.command("sends")
def sends() -> None:
    """Recent sends with their delivery states."""
    rows = list(db.session.execute(sa.select(Send).order_by(Send.id.desc()).limit(20)).scalars())
    counts = state_counts([s.id for s in rows])
    for s in rows:
        parts = ", ".join(f"{k}={v}" for k, v in sorted(counts[s.id].items()))
        click.echo(f"{s.id:>5}  survey {s.survey_id:<4} {s.status.value:<10} {parts}")


def _fail(message: str):
    raise click.ClickException(message)
