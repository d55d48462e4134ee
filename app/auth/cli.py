"""``flask users ...`` commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.auth.services import UserError, create_user
from app.extensions import db
from app.models import Role, User

users_cli = AppGroup("users", help="Manage staff users.")


@users_cli.command("create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value, show_default=True
)
@click.option("--name", default="", help="Display name.")
@click.option("--password", help="Omit to be asked (input hidden).")
def create(email: str, role: str, name: str, password: str | None) -> None:
    """Create a staff user (the first admin, typically)."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, role, name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role.value} {user.email}")


@users_cli.command("list")
def list_users() -> None:
    """List staff users."""
    for user in db.session.execute(sa.select(User).order_by(User.email)).scalars():
        click.echo(
            f"{user.id}\t{user.email}\t{user.role.value}\t{'active' if user.is_active else 'inactive'}"
        )
