"""``flask rollups ...``: rebuild the response rollups from the responses."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.extensions import db
from app.trends.services import timezone_changed
from app.workspace_settings import get_setting

rollups_cli = AppGroup("rollups", help="Response rollups (what dashboards and health read).")


@rollups_cli.command("rebuild")
def rebuild() -> None:
    """Recompute every rollup from the responses in one transaction (also refreshes the time zone)."""
    started = time.perf_counter()
    rows = timezone_changed(str(get_setting("timezone")))
    db.session.commit()
    click.echo(f"rebuilt {rows} rollup rows in {time.perf_counter() - started:.1f} s")
