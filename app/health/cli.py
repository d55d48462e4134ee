"""``flask health ...``: recompute today's health snapshots; backtest the model against churn."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.extensions import db
from app.health.services import backtest, recompute_health

health_cli = AppGroup("health", help="Account health: recompute snapshots, backtest against churn.")


@health_cli.command("recompute")
def recompute() -> None:
    """Score every live account now (one snapshot per account and day; rerunning replaces today's)."""
    bands = recompute_health()
    db.session.commit()
    click.echo(json.dumps(bands))


@health_cli.command("backtest")
@click.option("--months", default=12, show_default=True, help="Monthly as-of dates to score.")
@click.option("--horizon", default=90, show_default=True, help="Days after each date in which churn counts.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def run_backtest(months: int, horizon: int, as_json: bool) -> None:
    """Health at past dates from the data of then, against churn in the next days: ROC AUC vs NPS alone."""
    result = backtest(months=months, horizon_days=horizon)
    if as_json:
        click.echo(json.dumps(result))
        return
    for key, value in result.items():
        click.echo(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
